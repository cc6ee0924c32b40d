"""The customer's side of a link: the cart page, placing the order, the confirmation.

``GET``/``HEAD`` never change state. ``POST`` validates the form and then
spends the link in the ledger's single atomic step; invalid input and store
failures leave the link usable.
"""

from __future__ import annotations

import time
from typing import Any
from urllib.parse import urlencode, urlsplit, urlunsplit

from flask import Blueprint, Response, current_app, request
from itsdangerous import BadSignature, URLSafeTimedSerializer
from pydantic import ValidationError

from checkout_links import metrics
from checkout_links.core import text
from checkout_links.core.errors import Conflict, InvalidToken, LinkGone, NotFound
from checkout_links.core.ids import event_id_for, order_id_for
from checkout_links.core.jsonutil import dumps
from checkout_links.core.links import total_of
from checkout_links.core.money import format_money
from checkout_links.core.orders import build_order, load_order
from checkout_links.core.records import Customer, Line
from checkout_links.core.schemas import CustomerIn
from checkout_links.core.services import Services
from checkout_links.core.tokens import LinkPayload
from checkout_links.web import cart_page, headers
from checkout_links.web.extensions import services

bp = Blueprint("checkout", __name__)

#: A form older than this is refused (and re-rendered with a fresh one).
CSRF_MAX_AGE = 24 * 3600


def _confirmations(svc: Services) -> URLSafeTimedSerializer:
    keys = svc.keyring.mac_keys("checkout-links/confirmation/v1")
    return URLSafeTimedSerializer(keys, salt="confirmation")


def _payload(svc: Services, token: str) -> LinkPayload:
    payload = svc.codec.decode(token)
    # A token "issued" further in the future than any sane clock skew is not
    # one of ours in good standing; refuse it like a forgery.
    if payload.issued_at > time.time() + svc.settings.clock_skew_seconds:
        raise InvalidToken()
    return payload


def _check_open(svc: Services, payload: LinkPayload) -> None:
    """Refuse a page for a link that is spent, revoked or expired.

    A plain ``GET`` of the mark, and expiry by this instance's clock: the cart
    page only shows the state, and the spend script, which decides, judges
    expiry by Redis's clock. With clocks kept in sync (NTP) the two agree but
    for the milliseconds around the expiry itself, where the worst case is a
    form that answers "expired" when sent.
    """
    mark = svc.ledger.mark(payload.link_rand)
    if mark.state == "spent":
        raise LinkGone("completed", "This link was already used to place an order.")
    if mark.state == "revoked":
        raise LinkGone("revoked", "The seller withdrew this link.")
    if time.time() >= payload.expires_at:
        raise LinkGone("expired", "This link has expired. Ask the seller for a new one.")


def _lines(svc: Services, payload: LinkPayload) -> tuple[Line, ...]:
    try:
        return svc.links.lines_of(payload)
    except NotFound:
        raise InvalidToken() from None


def _page(name: str, **context: Any) -> str:
    """Render a customer page straight from the app's Jinja environment.

    Flask's ``render_template`` would also run the context processors (which
    open the session) and send two signals, a tenth of the cart page's time;
    these pages need only ``request`` (for the script root) from it.
    """
    return str(current_app.jinja_env.get_template(name).render(request=request, **context))


def _render_cart(
    svc: Services,
    payload: LinkPayload,
    lines: tuple[Line, ...],
    values: dict[str, str],
    errors: dict[str, str],
    status: int = 200,
) -> Response:
    locale = payload.locale or (payload.customer.language if payload.customer else "") or "en"

    def money(amount: Any) -> str:
        return format_money(amount, payload.currency, locale.replace("-", "_"))

    csrf_token = svc.form_tokens.make(payload.link_rand, int(time.time()))
    # Amounts are formatted here rather than called from the template: a call
    # from Jinja costs more than the formatting itself.
    html = _page(
        "cart.html",
        rows=cart_page.rows([(line, money(line.price), money(line.amount)) for line in lines]),
        total=money(total_of(lines)),
        fields=cart_page.fields(values, errors),
        errors=errors,
        csrf_token=csrf_token,
        lang=locale.split("-")[0].split("_")[0],
    )
    response = Response(html, status=status, mimetype="text/html")
    extra = ""
    if payload.return_url:
        # Browsers apply the form page's form-action to the redirect after the
        # POST, so the merchant's return origin must be allowed here.
        parts = urlsplit(payload.return_url)
        extra = f" {parts.scheme}://{parts.netloc}"
    response.headers["Content-Security-Policy"] = headers.CSP.format(extra=extra)
    return response


@bp.route("/c/<token>", methods=["GET", "HEAD"])
def cart(token: str) -> Response:
    svc = services()
    payload = _payload(svc, token)
    lines = _lines(svc, payload)
    _check_open(svc, payload)
    customer = payload.customer
    prefill = {n: getattr(customer, n) for n in cart_page.FIELD_NAMES} if customer else {}
    return _render_cart(svc, payload, lines, prefill, {})


def _form_errors(exc: ValidationError) -> dict[str, str]:
    errors: dict[str, str] = {}
    for err in exc.errors():
        field = str(err["loc"][0]) if err["loc"] else "form"
        errors.setdefault(field, text.message(err).removeprefix("Value error, "))
    return errors


def _request_id(svc: Services, payload: LinkPayload, token: str) -> str | None:
    """The form's nonce if its CSRF ``token`` is ours, fresh and bound to this link."""
    return svc.form_tokens.check(token, payload.link_rand, int(time.time()), CSRF_MAX_AGE)


def _placed(svc: Services, payload: LinkPayload, order_id: str) -> Response:
    if payload.return_url:
        parts = urlsplit(payload.return_url)
        # Append to the merchant's query as sent: it is not re-encoded, so
        # blank values ("a=") and "%20" reach the merchant unchanged.
        added = urlencode({"order_id": order_id})
        query = f"{parts.query}&{added}" if parts.query else added
        target = urlunsplit(parts._replace(query=query))
    else:
        ref = _confirmations(svc).dumps(payload.link_rand.hex())
        target = f"/done/{ref}"
    return Response(status=303, headers={"Location": target})


@bp.post("/c/<token>")
def place_order(token: str) -> Response:
    svc = services()
    payload = _payload(svc, token)
    lines = _lines(svc, payload)
    form = request.form  # once: each request.form goes through Flask's context proxy
    values = {name: form.get(name, "").strip() for name in cart_page.FIELD_NAMES}
    request_id = _request_id(svc, payload, form.get("csrf_token", ""))
    if request_id is None:
        _check_open(svc, payload)
        errors = {
            "form": "This form has expired or did not come from this page. Please send it again."
        }
        return _render_cart(svc, payload, lines, values, errors, 422)
    try:
        customer = CustomerIn.model_validate(values)
        if not customer.email:
            raise ValidationError.from_exception_data(
                "CustomerIn",
                [{"type": "missing", "loc": ("email",), "input": ""}],
            )
    except ValidationError as exc:
        _check_open(svc, payload)
        return _render_cart(svc, payload, lines, values, _form_errors(exc), 422)
    order_id = order_id_for(payload.link_rand)
    created_ms = int(time.time() * 1000)
    link_id = svc.links.link_id_of(payload)
    order = build_order(
        order_id=order_id,
        link_id=link_id,
        payload=payload,
        lines=lines,
        customer=Customer(**customer.model_dump()),
        created_ms=created_ms,
    )
    result = svc.ledger.spend(
        payload.link_rand,
        link_expires_at=payload.expires_at,
        merchant_id=payload.merchant_id,
        order_id=order_id,
        order_json=dumps(order),
        created_ms=created_ms,
        request_id=request_id,
        event_id=event_id_for(payload.link_rand),
        external_ref=payload.external_ref,
    )
    if result.outcome == "placed":
        metrics.ORDERS_PLACED.inc()
        return _placed(svc, payload, order_id)
    mark = result.mark
    if mark.state == "spent" and mark.request_id == request_id and mark.order_id:
        # Our own earlier attempt succeeded and its reply was lost: same answer.
        return _placed(svc, payload, mark.order_id)
    reason = "expired" if result.outcome == "expired" else mark.state
    metrics.REDEMPTIONS_REFUSED.labels(reason=reason).inc()
    if reason == "expired":
        raise LinkGone("expired", "This link has expired. Ask the seller for a new one.")
    if reason == "revoked":
        raise LinkGone("revoked", "The seller withdrew this link.")
    raise Conflict("This link was already used to place an order.")


@bp.get("/done/<ref>")
def confirmation(ref: str) -> Response:
    svc = services()
    try:
        link_hex = _confirmations(svc).loads(ref, max_age=7 * 86400)
        order_id = order_id_for(bytes.fromhex(link_hex))
    except (BadSignature, ValueError, TypeError):
        raise InvalidToken() from None
    order = load_order(svc.redis, order_id)
    currency, locale = order.currency, order.locale or "en"

    def money(amount: Any) -> str:
        return format_money(amount, currency, locale.replace("-", "_"))

    html = _page("done.html", order=order, money=money, lang=locale.split("-")[0])
    return Response(html, mimetype="text/html")
