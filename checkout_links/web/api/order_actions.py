"""The order's payment actions in the merchant API: ``mark_paid``, ``refund``, ``cancel``.

``POST /api/v1/orders/{order_id}/<action>``: views validate, call
``core/payments/actions.py`` and answer the order. Each takes ``Idempotency-Key``
as ``POST /api/v1/links`` does: the same key and body within 24 h answer the
stored order again (with ``Idempotent-Replayed: true``), and change nothing more.
"""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal
from typing import TypeVar

from flask import Blueprint, request
from pydantic import BaseModel

from checkout_links.core import records
from checkout_links.core.errors import FieldError, ValidationFailed
from checkout_links.core.i18n.messages import INVALID
from checkout_links.core.links import idempotency
from checkout_links.core.money import parse_amount
from checkout_links.core.orders import queries as orders
from checkout_links.core.payments import actions
from checkout_links.core.payments.requests import MarkPaidIn, RefundIn
from checkout_links.core.records import Order, OrderView
from checkout_links.web.api import parameters as params
from checkout_links.web.api import views as merchant_api
from checkout_links.web.api.operations import Reply, operation
from checkout_links.web.extensions import services

bp = Blueprint("order_actions", __name__, url_prefix="/api/v1/orders")
# The merchant API's authentication, not a copy of it: one place decides who calls.
bp.before_request(merchant_api._authenticate)

IDEMPOTENCY_KEY = params.idempotency_key(
    "gets the same answer (with Idempotent-Replayed: true) and changes nothing more",
    "refund-2026-118-1",
)
_REPLAYED = params.replayed(200)
_ERRORS = {
    **params.BODY_ERRORS,
    404: "No such order of this merchant.",
    422: "Validation failed; also an Idempotency-Key reused with another body, order or action.",
}


M = TypeVar("M", bound=BaseModel)


def _body(model: type[M]) -> tuple[M, bytes]:
    """The body as ``model``; an empty body is ``{}`` (every field is optional)."""
    if not request.get_data(cache=True):
        return model(), b""
    return merchant_api.parse_body(model)


def _run(order_id: str, action: str, raw: bytes, act: Callable[[Order], Order]) -> Reply:
    """``act`` on the merchant's order, idempotently when an ``Idempotency-Key`` came."""
    svc = services()
    merchant_id = merchant_api._merchant_id()

    def answer() -> OrderView:
        return act(orders.get_order(svc.redis, svc.keyring, merchant_id, order_id)).public()

    key = request.environ.get("HTTP_IDEMPOTENCY_KEY")
    if key is None:
        return Reply(answer(), 200)
    body, replayed = idempotency.run_action(
        svc.redis,
        svc.keyring,
        merchant_id,
        key,
        f"orders/{order_id}/{action}",
        raw,
        answer,
        OrderView,
    )
    return Reply(body, 200, {"Idempotent-Replayed": "true"} if replayed else None)


@bp.post("/<order_id>/mark_paid")
@operation(
    "Mark a manual order paid",
    description="For orders of provider manual: the payment arrived. Emits order.paid once; "
    "repeating it on a paid order answers 200 with the order unchanged.",
    body=MarkPaidIn,
    responses={200: records.OrderView},
    errors={**_ERRORS, 409: "The order is not paid through the manual provider."},
    params=(params.ORDER, IDEMPOTENCY_KEY),
    response_headers=_REPLAYED,
)
def mark_paid(order_id: str) -> Reply:
    body, raw = _body(MarkPaidIn)
    payments = services().payments
    return _run(
        order_id, "mark_paid", raw, lambda o: actions.mark_paid(payments, o, body.reference)
    )


def _amount(order: Order, value: str | None) -> Decimal | None:
    if value is None:
        return None
    try:
        return parse_amount(value, order.currency)
    except ValueError as exc:
        raise ValidationFailed(INVALID, errors=[FieldError(("body", "amount"), str(exc))]) from None


@bp.post("/<order_id>/refund")
@operation(
    "Refund a paid order",
    description="All that is left, or amount. Orders paid by card are refunded through the "
    "provider; manual and none orders record the refund made your own way. Emits "
    "order.refunded once per refund.",
    body=RefundIn,
    responses={200: records.OrderView},
    errors={
        **_ERRORS,
        409: "The order is not paid (pending, canceled, not_required) or is already refunded "
        "in full.",
        422: "Validation failed; also an amount over what is left to refund, or with more "
        "decimals than the currency has, or an Idempotency-Key reused with another body, "
        "order or action.",
    },
    params=(params.ORDER, IDEMPOTENCY_KEY),
    response_headers=_REPLAYED,
)
def refund(order_id: str) -> Reply:
    body, raw = _body(RefundIn)
    svc = services()
    merchant = merchant_api._merchant()

    def act(order: Order) -> Order:
        amount = _amount(order, body.amount)
        return actions.refund(svc.payments, merchant, svc.keyring, order, amount)

    return _run(order_id, "refund", raw, act)


@bp.post("/<order_id>/cancel")
@operation(
    "Cancel an unpaid order",
    description="Only a pending order (awaiting payment); emits order.canceled once.",
    responses={200: records.OrderView},
    errors={**_ERRORS, 409: "The order is not pending (paid, refunded, canceled, not_required)."},
    params=(params.ORDER, IDEMPOTENCY_KEY),
    response_headers=_REPLAYED,
)
def cancel(order_id: str) -> Reply:
    payments = services().payments
    # Cancel takes no body: whatever came is ignored, by the Idempotency-Key too.
    return _run(order_id, "cancel", b"", lambda o: actions.cancel(payments, o))
