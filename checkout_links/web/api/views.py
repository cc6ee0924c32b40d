"""The merchant API under ``/api/v1``: views validate, call the domain, and return its records.

Each view declares its operation (:func:`~checkout_links.web.api.operations.operation`):
the response model its answer is written through, and what the OpenAPI
document says about it.
"""

from __future__ import annotations

import time
from typing import Any, TypeVar, cast

from flask import Blueprint, g, request
from pydantic import BaseModel, ValidationError

from checkout_links import metrics
from checkout_links.core import records
from checkout_links.core.catalog.products import check_product_id
from checkout_links.core.errors import (
    BadRequest,
    Conflict,
    FieldError,
    InvalidToken,
    NotFound,
    UnsupportedMediaType,
    ValidationFailed,
)
from checkout_links.core.i18n.messages import INVALID, sentence
from checkout_links.core.links import idempotency
from checkout_links.core.links.choices import LinkChoicesIn
from checkout_links.core.links.status import status_of
from checkout_links.core.merchants.account import AccountPatch, account_of
from checkout_links.core.orders import erasure
from checkout_links.core.orders import queries as orders
from checkout_links.core.outbox import events
from checkout_links.core.records import Merchant
from checkout_links.core.schemas import PRODUCT_ID, ProductIn
from checkout_links.web.api import parameters as params
from checkout_links.web.api.operations import Reply, operation
from checkout_links.web.api.query import parse_query
from checkout_links.web.extensions import services

bp = Blueprint("api", __name__, url_prefix="/api/v1")

M = TypeVar("M", bound=BaseModel)


def validation_errors(exc: ValidationError, prefix: str = "body") -> list[FieldError]:
    """Pydantic errors as field errors, each a sentence; input values are left out."""
    return [FieldError((prefix, *err["loc"]), sentence(err)) for err in exc.errors()]


def parse_body(model: type[M]) -> tuple[M, bytes]:
    """The request body validated as ``model``, and its raw bytes."""
    mimetype = request.mimetype
    if mimetype != "application/json" and not mimetype.endswith("+json"):
        raise UnsupportedMediaType("Send the body as application/json.")
    raw = request.get_data(cache=True)
    try:
        # Parsed and validated in one pass by pydantic-core, without building
        # the intermediate dicts and lists first.
        return model.model_validate_json(raw), raw
    except ValidationError as exc:
        # Not chained: pydantic's error quotes the input values (personal data).
        if any(err["type"] == "json_invalid" for err in exc.errors()):
            raise BadRequest("The body is not valid JSON.") from None
        raise ValidationFailed(INVALID, errors=validation_errors(exc)) from None


@bp.before_request
def _authenticate() -> None:
    g.merchant = services().merchants.authenticate(request.environ.get("HTTP_AUTHORIZATION"))


def _merchant() -> Merchant:
    return cast(Merchant, g.merchant)


def _merchant_id() -> str:
    return _merchant().id


def _known_product_id(product_id: str) -> str:
    if not PRODUCT_ID.fullmatch(product_id):
        raise NotFound(f"No product {product_id!r}.")
    return product_id


@bp.put("/products/<product_id>")
@operation(
    "Create or replace an original product",
    description="Every link issued before keeps the revision it was issued against.",
    body=ProductIn,
    responses={200: records.Product, 201: records.Product},
    errors={
        **params.BODY_ERRORS,
        422: "Validation failed; also for rules the schema cannot state: an amount with "
        "more decimals than the currency has, price_min above price_max, a default price "
        "outside them.",
    },
    params=(params.PRODUCT,),
)
def put_product(product_id: str) -> Reply:
    check_product_id(product_id)  # before the body: a bad id is named first
    product, _ = parse_body(ProductIn)
    doc, created = services().catalog.put_product(_merchant_id(), product_id, product)
    return Reply(doc, 201 if created else 200)


@bp.get("/products/<product_id>")
@operation(
    "Read an original product",
    responses={200: records.Product},
    errors={404: "No product by that id."},
    params=(params.PRODUCT,),
)
def get_product(product_id: str) -> Any:
    pid = _known_product_id(product_id)
    return services().catalog.get_product(_merchant_id(), pid)


@bp.delete("/products/<product_id>")
@operation(
    "Deactivate an original product",
    description="New links cannot sell it; links already issued still can.",
    responses={200: records.Product},
    errors={404: "No product by that id."},
    params=(params.PRODUCT,),
)
def delete_product(product_id: str) -> Any:
    pid = _known_product_id(product_id)
    return services().catalog.deactivate(_merchant_id(), pid)


@bp.get("/products")
@operation(
    "List original products",
    responses={200: records.ProductPage},
    errors=params.PAGE_422,
    params=params.PRODUCT_PAGE,
)
def list_products() -> Any:
    q = parse_query(request.args, params.PRODUCT_PAGE)
    items, next_cursor = services().catalog.list_products(
        _merchant_id(), q[params.PRODUCT_CURSOR], q[params.LIMIT]
    )
    return records.ProductPage(items=items, next_cursor=next_cursor)


@bp.get("/account")
@operation(
    "The seller's public settings",
    description="How the seller appears on every customer page.",
    responses={200: records.AccountView},
)
def get_account() -> Any:
    return account_of(_merchant(), services().settings.base_url)


@bp.patch("/account")
@operation(
    "Change the seller's public settings",
    description="JSON merge patch: fields not sent stay, a field sent as null is cleared.",
    body=AccountPatch,
    responses={200: records.AccountView},
    errors={
        **params.BODY_ERRORS,
        422: "Validation failed; also for rules the schema cannot state: a URL that is not "
        "https, an email address that is not one, a locale CLDR does not know.",
    },
)
def patch_account() -> Any:
    patch, _ = parse_body(AccountPatch)
    return services().merchants.update_account(_merchant_id(), patch)


@bp.post("/links")
@operation(
    "Issue a checkout link",
    description="Nothing is stored: the link's token carries the cart. With an "
    "Idempotency-Key, the same key and body within 24 h answer the same link.",
    body=LinkChoicesIn,
    responses={201: records.IssuedLink},
    errors={
        **params.BODY_ERRORS,
        422: "Validation failed; also for rules the schema cannot state: a product id "
        "that names no active product of the catalog, a line without a price whose "
        "product has no default price in the link's currency, a price outside the "
        "product's price_min/price_max or with more decimals than the currency has, a "
        "property the product does not let a link override, a cart too large for a link, "
        "an Idempotency-Key reused with another body.",
    },
    params=(
        params.idempotency_key(
            "gets the same link (with Idempotent-Replayed: true)", "quote-2026-118"
        ),
    ),
    response_headers=params.replayed(201),
)
def create_link() -> Reply:
    req, raw = parse_body(LinkChoicesIn)
    svc = services()
    key = request.environ.get("HTTP_IDEMPOTENCY_KEY")
    if key is None:
        body, replayed = svc.links.issue(_merchant(), req), False
    else:
        body, replayed = idempotency.run(
            svc.redis,
            svc.keyring,
            _merchant_id(),
            key,
            raw,
            lambda: svc.links.issue(_merchant(), req),
        )
    if not replayed:
        metrics.LINKS_ISSUED.inc()
    return Reply(body, 201, {"Idempotent-Replayed": "true"} if replayed else None)


def _link(link_id: str) -> tuple[bytes, int]:
    try:
        return services().links.link_ids.parse(link_id, _merchant_id())
    except InvalidToken as exc:
        raise NotFound("No such link.") from exc


@bp.get("/links/<link_id>")
@operation(
    "Link status",
    responses={200: records.LinkStatus},
    errors={404: "No such link of this merchant."},
    params=(params.LINK,),
)
def link_status(link_id: str) -> Any:
    link_rand, expires_at = _link(link_id)
    mark, now = services().ledger.read(link_rand)
    # Expiry by the Redis server's clock, the one the spend script judges by.
    status = status_of(mark.state, expires_at, now)
    body: dict[str, Any] = {"id": link_id, "status": status}
    if status == "completed":
        body["order_id"] = mark.order_id
    return body


@bp.post("/links/<link_id>/revoke")
@operation(
    "Revoke a link",
    description="Revoking an already revoked link answers 200 again.",
    responses={200: records.LinkStatus},
    errors={
        404: "No such link of this merchant.",
        409: "The link already produced an order, or has expired.",
    },
    params=(params.LINK,),
)
def revoke_link(link_id: str) -> Any:
    link_rand, expires_at = _link(link_id)
    mark = services().ledger.revoke(link_rand, expires_at)
    if mark.state == "spent":
        raise Conflict("The link already produced an order and cannot be revoked.")
    if mark.state == "expired":
        raise Conflict("The link has already expired; there is nothing to revoke.")
    return {"id": link_id, "status": "revoked"}


@bp.get("/orders/<order_id>")
@operation(
    "Read an order",
    responses={200: records.OrderView},
    errors={404: "No such order of this merchant."},
    params=(params.ORDER,),
)
def get_order(order_id: str) -> Any:
    order = orders.get_order(services().redis, services().keyring, _merchant_id(), order_id)
    return order.public()


@bp.delete("/orders/<order_id>/personal_data")
@operation(
    "Erase an order's personal data",
    description=(
        "The order keeps its id, lines and amounts; the customer's details and "
        "additional_data are erased from it and from every webhook still to be sent, "
        "and a receipt not yet sent is not sent. Erasing again answers 200 again."
    ),
    responses={200: records.OrderView},
    errors={404: "No such order of this merchant."},
    params=(params.ORDER,),
)
def erase_personal_data(order_id: str) -> Any:
    svc = services()
    order = erasure.erase_personal_data(svc.redis, svc.keyring, _merchant_id(), order_id)
    return order.public()


@bp.get("/orders")
@operation(
    "List orders, newest first",
    responses={200: records.OrderPage},
    errors=params.PAGE_422,
    params=params.ORDER_FILTERS,
)
def list_orders() -> Any:
    q = parse_query(request.args, params.ORDER_FILTERS)
    number = q[params.NUMBER]
    if number is not None:
        svc = services()
        found = orders.find_by_number(svc.redis, svc.keyring, _merchant_id(), number)
        return records.OrderPage(items=[found.public()] if found else [], next_cursor=None)
    window = orders.OrderFilter(q[params.CREATED_GTE], q[params.CREATED_LT], q[params.EXTERNAL_REF])
    svc = services()
    items, next_cursor = orders.list_orders(
        svc.redis,
        svc.keyring,
        _merchant_id(),
        q[params.ORDER_CURSOR],
        q[params.LIMIT],
        window,
        retention_seconds=svc.settings.order_retention_seconds,
    )
    return records.OrderPage(items=[o.public() for o in items], next_cursor=next_cursor)


@bp.get("/events")
@operation(
    "List order events with their delivery state, newest first",
    responses={200: records.EventPage},
    errors=params.EVENT_422,
    params=params.EVENT_FILTERS,
)
def list_events() -> Any:
    q = parse_query(request.args, params.EVENT_FILTERS)
    items, next_cursor = events.list_events(
        services().redis,
        _merchant_id(),
        q[params.EVENT_CURSOR],
        q[params.LIMIT],
        state=q[params.STATE],
        type_=q[params.TYPE],
    )
    return records.EventPage(items=items, next_cursor=next_cursor)


@bp.get("/events/<event_id>")
@operation(
    "Read an event",
    responses={200: records.EventView},
    errors={404: "No such event of this merchant."},
    params=(params.EVENT,),
)
def get_event(event_id: str) -> Any:
    record = events.get_for(services().redis, _merchant_id(), event_id)
    return events.public_view(record)


@bp.post("/events/<event_id>/redeliver")
@operation(
    "Queue another delivery of an event",
    description="Whatever its state (a skipped one too, once a webhook URL is set); the event "
    "keeps its id, so receivers can deduplicate.",
    responses={202: records.EventView},
    errors={
        404: "No such event of this merchant.",
        409: "The merchant has no webhook URL: the event would only be skipped again.",
    },
    params=(params.EVENT,),
)
def redeliver_event(event_id: str) -> Reply:
    now_ms = int(time.time() * 1000)
    svc = services()
    merchant_id = _merchant_id()
    record = events.get_for(svc.redis, merchant_id, event_id)  # 404 before 409
    if not svc.merchants.get(merchant_id).webhook_url:
        raise Conflict(
            f"No webhook URL is set, so event {record.id!r} would be skipped again: set one "
            "(checkout-links merchant set-webhook-url) and redeliver it then."
        )
    view = events.redeliver(svc.redis, merchant_id, event_id, now_ms)
    return Reply(view, 202)
