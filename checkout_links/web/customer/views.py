"""The customer's side of a link: the cart page, placing the order, the confirmation.

``GET``/``HEAD`` never change state. ``POST`` reads the form and places the
order through :func:`checkout_links.core.checkout.place.place_order`, which
spends the link in the ledger's single atomic step; invalid input and store
failures leave the link usable. Every page speaks the link's locale (see
:func:`checkout_links.core.i18n.locales.negotiate`) and shows the seller.
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from typing import Any
from urllib.parse import urlsplit

from flask import Blueprint, Response, request
from itsdangerous import BadSignature
from markupsafe import Markup

from checkout_links import metrics
from checkout_links.core.checkout import custom_fields, place
from checkout_links.core.checkout import form as customer_form
from checkout_links.core.checkout.address import address_lines
from checkout_links.core.checkout.cart import CartState, cart_state, taxed_cart
from checkout_links.core.checkout.place import AlreadyPlaced, Invalid, Lapsed, Placed, Refused
from checkout_links.core.errors import CheckoutError, Conflict, InvalidToken, NotFound
from checkout_links.core.i18n.locales import PageLocale, browser_country, negotiate
from checkout_links.core.i18n.translatable import Message
from checkout_links.core.ledger.store import Mark
from checkout_links.core.links.ids import order_id_for
from checkout_links.core.links.issue import total_of
from checkout_links.core.links.offers import chosen_lines
from checkout_links.core.links.status import gone, status_of
from checkout_links.core.links.token import LinkPayload
from checkout_links.core.merchants.account import (
    LIGHT_TEXT,
    MIN_CONTRAST,
    Seller,
    contrast,
    text_on,
)
from checkout_links.core.merchants.payment import instructions_of
from checkout_links.core.money import format_money
from checkout_links.core.orders.queries import load_order
from checkout_links.core.payments.state import payment_of
from checkout_links.core.records import Line
from checkout_links.core.services import Services
from checkout_links.web.customer import (
    cart_choices,
    cart_custom_fields,
    cart_page,
    cart_tax,
    headers,
    pages,
    targets,
)
from checkout_links.web.customer import payment as card_payment
from checkout_links.web.customer.i18n import catalog, translate
from checkout_links.web.extensions import services

bp = Blueprint("checkout", __name__)

#: A form older than this is refused (and re-rendered with a fresh one).
CSRF_MAX_AGE = 24 * 3600
#: How old a form may be and still prove "this order is mine" after it was placed.
OWN_ORDER_MAX_AGE = 400 * 86400


def _payload(svc: Services, token: str) -> LinkPayload:
    payload = svc.codec.decode(token)
    # A token "issued" further in the future than any sane clock skew is not
    # one of ours in good standing; refuse it like a forgery.
    if payload.issued_at > time.time() + svc.settings.clock_skew_seconds:
        raise InvalidToken()
    return payload


def _context(svc: Services, payload: LinkPayload) -> tuple[PageLocale, Seller]:
    """The page's locale and seller, also kept for an error page of this request."""
    customer = payload.customer
    language = customer.language if customer else None
    accept = request.environ.get("HTTP_ACCEPT_LANGUAGE")
    if payload.locale or language:
        # Known before the store is asked: a 503 for this link speaks its language.
        pages.remember(negotiate(payload.locale, language, accept, None), None)
    try:
        seller = pages.seller(svc, payload.merchant_id)
    except NotFound as exc:
        raise InvalidToken() from exc
    locale = negotiate(payload.locale, language, accept, seller.default_locale)
    pages.remember(locale, seller)
    return locale, seller


def remember_link(token: str) -> None:
    """For an error page raised before the view ran (a 429): the link's locale and seller.

    Best effort: a token that does not decode, or a store that cannot say who
    sells, leaves the page in the browser's language without a seller.
    """
    try:
        svc = services()
        _context(svc, _payload(svc, token))
    except CheckoutError:
        return


def _check_open(svc: Services, payload: LinkPayload, mark: Mark | None = None) -> None:
    """Refuse a page for a link that is spent, revoked or expired.

    A plain ``GET`` of the mark, and expiry by this instance's clock: the cart
    page only shows the state, and the spend script, which decides, judges
    expiry by Redis's clock. With clocks kept in sync (NTP) the two agree but
    for the milliseconds around the expiry itself, where the worst case is a
    form that answers "expired" when sent.
    """
    mark = mark or svc.ledger.mark(payload.link_rand)
    status = status_of(mark.state, payload.expires_at, time.time())
    if status != "open":
        error = gone(status, payload.expires_at)
        if status == "completed" and mark.order_id:
            # The page names the order the link produced and where its payment stands.
            try:
                order = load_order(svc.redis, svc.keyring, mark.order_id)
            except NotFound:
                raise error from None
            error.order_number = order.number or order.id
            error.payment_status = payment_of(order).status
        raise error


def _lines(svc: Services, payload: LinkPayload, page: PageLocale) -> tuple[Line, ...]:
    try:
        return svc.links.lines_of(payload, page)
    except NotFound as exc:
        raise InvalidToken() from exc


def _render_cart(
    svc: Services,
    payload: LinkPayload,
    lines: tuple[Line, ...],
    page: tuple[PageLocale, Seller],
    values: dict[str, str],
    errors: Mapping[str, Message],
    status: int = 200,
    state: CartState | None = None,
) -> Response:
    locale, seller = page
    t = catalog(locale.words)
    babel, currency = locale.babel, payload.currency

    def money(amount: Any) -> str:
        return format_money(amount, currency, babel)

    country = values.get("country", "")
    if country not in customer_form.countries():
        accept = request.environ.get("HTTP_ACCEPT_LANGUAGE")
        country = (browser_country(accept) if accept else "") or locale.territory
    texts = {name: translate(t, message) for name, message in errors.items()}
    total = money(total_of(lines))
    # Amounts are formatted here rather than called from the template: a call
    # from Jinja costs more than the formatting itself.
    choices: dict[str, Any] = {}
    extra_lines: tuple[Line, ...] = ()
    if payload.choices is not None:
        extra_lines = svc.links.optional_lines_of(payload, locale)
        state = state or cart_state(svc.promotions, payload, lines, extra_lines, None)
        texts = {**cart_choices.form_errors(state, t), **texts}
        words = t.gettext
        rows = cart_choices.rows(state, lines, extra_lines, money, values, texts, t, babel=babel)
        total = money(state.priced.total)
        choices = {
            "summary": cart_choices.summary(state, money, words),
            "choices": cart_choices.controls(
                state,
                lines,
                extra_lines,
                money,
                values,
                texts,
                payload.choices.promotion_codes,
                words,
            ),
        }
    else:
        rows = cart_page.rows(
            t, [(line, money(line.price), money(line.amount)) for line in lines], babel=babel
        )
    # The lines chosen now (an up-sell or an optional item may be physical) say whether
    # the form asks where to deliver.
    chosen = lines if state is None else chosen_lines(state.priced, lines, extra_lines)
    delivery = any(line.delivery == "physical" for line in chosen)
    delivery_country: str | None = None
    if delivery:
        code = values.get("delivery_country", "")
        delivery_country = code if code in customer_form.countries() else country
    # One cached look-up for a merchant without tax rates; the tax for the
    # country the form shows (the one it sends) otherwise.
    taxed = taxed_cart(
        svc.tax.setup(payload.merchant_id),
        payload,
        lines,
        extra_lines,
        state,
        {**values, "country": country},
    )
    tax = Markup("")
    if taxed is not None:
        total = money(taxed.total)
        tax = cart_tax.rows(taxed, money, t, babel)
    form = cart_page.fields(locale.words, babel, country, delivery_country, values, texts)
    if payload.custom_fields:
        # The seller's questions after the addresses (nothing to do for a link without).
        form += cart_custom_fields.fieldset(t, locale, payload.custom_fields, values, texts)
    consent = Markup("")
    if seller.terms_required:
        checked = values.get("accept_terms") == "yes"
        error = texts.get("accept_terms")
        consent = cart_page.consent(t, seller.name, seller.terms_required, checked, error)
    csrf_token = svc.form_tokens.make(payload.link_rand, int(time.time()))
    if texts:
        html = pages.render(
            "cart.html",
            locale,
            seller,
            rows=rows,
            total=total,
            tax=tax,
            fields=form,
            consent=consent,
            errors=cart_page.error_list(locale.words, country, delivery_country, texts),
            csrf_token=csrf_token,
            **choices,
        )
    else:
        # The common page: a cached frame of the template with these parts (a link with
        # choices has a frame of its own, with their summary and controls).
        html = pages.render_framed(
            "cart.html",
            locale,
            seller,
            rows=rows,
            total=cart_page.escape(total),
            tax=tax,
            fields=form,
            consent=consent,
            csrf_token=csrf_token,
            **choices,
        )
    response = Response(html, status=status, mimetype="text/html")
    extra = ""
    if payload.return_url:
        # Browsers apply the form page's form-action to the redirect after the
        # POST, so the merchant's return origin must be allowed here.
        parts = urlsplit(payload.return_url)
        extra = f" {parts.scheme}://{parts.netloc}"
    csp = headers.CSP.format(extra=extra)
    if payload.choices is not None and "script-src" not in csp:
        # static/choices.js re-prices through the server.
        csp += "; script-src 'self'"
    response.headers["Content-Security-Policy"] = csp
    return response


@bp.route("/c/<token>", methods=["GET", "HEAD"])
def cart(token: str) -> Response:
    svc = services()
    payload = _payload(svc, token)
    page = _context(svc, payload)
    lines = _lines(svc, payload, page[0])
    mark = svc.ledger.mark(payload.link_rand)
    if (
        mark.state == "spent"
        and mark.order_id
        and card_payment.unpaid_card_order(svc, mark.order_id)
    ):
        # The link's order waits for its card payment: back to its payment page, never a
        # second order.
        target = card_payment.pay_url(svc, mark.order_id, payload.return_url)
        return Response(status=303, headers={"Location": target})
    _check_open(svc, payload, mark)
    customer = payload.customer
    prefill = {n: getattr(customer, n) for n in customer_form.FIELD_NAMES} if customer else {}
    return _render_cart(svc, payload, lines, page, prefill, {})


def _placed(
    svc: Services, payload: LinkPayload, order_id: str, awaits_card: bool | None = None
) -> Response:
    """Where the customer goes once ``order_id`` is placed: its payment page while it
    waits for a card payment, else the confirmation. ``awaits_card``: known by the
    placing itself (a fresh order); ``None``: read from the stored order."""
    if awaits_card is None:
        awaits_card = card_payment.takes_card(
            svc, payload.merchant_id
        ) and card_payment.unpaid_card_order(svc, order_id)
    if awaits_card:
        target = card_payment.pay_url(svc, order_id, payload.return_url)
    else:
        target = targets.placed_target(svc, payload.link_rand, order_id, payload.return_url)
    return Response(status=303, headers={"Location": target})


def _own_order_or_refuse(svc: Services, payload: LinkPayload, token: str) -> Response | None:
    """Before re-rendering a form: the customer's own placed order, or a refusal.

    A customer who sends again the form their order was placed with (a reload,
    the back button, a form left open for days) carries that attempt's request
    id: they are shown their order, not "this link was already used".
    Returns ``None`` when the link is still open.
    """
    mark = svc.ledger.mark(payload.link_rand)
    if mark.state == "spent" and mark.request_id and mark.order_id:
        now = int(time.time())
        if svc.form_tokens.check(token, payload.link_rand, now, OWN_ORDER_MAX_AGE) == (
            mark.request_id
        ):
            return _placed(svc, payload, mark.order_id)
    _check_open(svc, payload, mark)
    return None


@bp.post("/c/<token>")
def place_order(token: str) -> Response:
    svc = services()
    payload = _payload(svc, token)
    page = _context(svc, payload)
    lines = _lines(svc, payload, page[0])
    form = request.form  # once: each request.form goes through Flask's context proxy
    # A plain dict of the first values: MultiDict.get raises and catches a KeyError for
    # each of the two dozen names a form does not send.
    sent = form.to_dict()
    values = {
        name: sent.get(name, "").strip()
        for name in (*customer_form.FIELD_NAMES, *customer_form.DELIVERY_NAMES)
    }
    # A hidden "no" before the box: "no" alone is unticked; nothing sent (a page that
    # showed no delivery address) keeps the default, the billing address.
    same = form.getlist(customer_form.SAME_AS_BILLING)
    values[customer_form.SAME_AS_BILLING] = "no" if same == ["no"] else "yes"
    values["accept_terms"] = sent.get("accept_terms", "")
    if payload.custom_fields:
        values.update(
            (name, sent.get(name, "").strip())
            for name in custom_fields.form_names(payload.custom_fields)
        )
    csrf = sent.get("csrf_token", "")
    state: CartState | None = None
    extra_lines: tuple[Line, ...] = ()
    if payload.choices is not None:
        values.update((k, v) for k, v in form.items() if k.startswith(("qty_", "opt_")))
        extra_lines = svc.links.optional_lines_of(payload, page[0])
        state = cart_state(svc.promotions, payload, lines, extra_lines, form)
        if state.errors or sent.get("action", "place") != "place":
            # Update and apply place nothing; a choice the offer does not allow is a 422.
            return _own_order_or_refuse(svc, payload, csrf) or _render_cart(
                svc, payload, lines, page, values, {}, 422 if state.errors else 200, state
            )
    if sent.get("action") == "update":
        # The country changed (no JavaScript): the same form with that country's fields.
        return _own_order_or_refuse(svc, payload, csrf) or _render_cart(
            svc, payload, lines, page, values, {}
        )
    request_id = _request_id(svc, payload, csrf)
    if request_id is None:
        stale = {"form": Message(customer_form.STALE_FORM)}
        return _own_order_or_refuse(svc, payload, csrf) or _render_cart(
            svc, payload, lines, page, values, stale, 422, state
        )
    outcome = place.place_order(
        svc,
        place.PlaceRequest(
            payload=payload,
            lines=lines,
            customer=values,
            request_id=request_id,
            locale=page[0],
            cart=state,
            optional_lines=extra_lines,
            terms_url=page[1].terms_required,
            terms_accepted=values["accept_terms"] == "yes",
        ),
    )
    match outcome:
        case Placed(order_id, awaits_card):
            metrics.ORDERS_PLACED.inc()
            return _placed(svc, payload, order_id, awaits_card)
        case AlreadyPlaced(order_id):
            return _placed(svc, payload, order_id)
        case Invalid(errors, cart):
            return _own_order_or_refuse(svc, payload, csrf) or _render_cart(
                svc, payload, lines, page, values, errors, 422, cart
            )
        case Lapsed(errors, cart):
            return _render_cart(svc, payload, lines, page, values, errors, 422, cart)
        case Refused(reason):
            # The metric speaks the ledger's words (docs/operations.md): "spent".
            metrics.REDEMPTIONS_REFUSED.labels(
                reason="spent" if reason == "completed" else reason
            ).inc()
            if reason == "completed":
                raise Conflict("This link was already used to place an order.")
            raise gone(reason, payload.expires_at)


def _request_id(svc: Services, payload: LinkPayload, token: str) -> str | None:
    """The form's nonce if its CSRF ``token`` is ours, fresh and bound to this link."""
    return svc.form_tokens.check(token, payload.link_rand, int(time.time()), CSRF_MAX_AGE)


@bp.get("/done/<ref>")
def confirmation(ref: str) -> Response:
    svc = services()
    try:
        link_hex = targets.confirmations(svc).loads(ref, max_age=7 * 86400)
        order_id = order_id_for(bytes.fromhex(link_hex))
    except (BadSignature, ValueError, TypeError):
        # Not chained: BadSignature holds the reference, which opens the order's page.
        raise InvalidToken() from None
    order = load_order(svc.redis, svc.keyring, order_id)
    seller = pages.seller(svc, order.merchant_id)
    locale = negotiate(order.locale, None, request.environ.get("HTTP_ACCEPT_LANGUAGE"), None)
    pages.remember(locale, seller)
    t = catalog(locale.words)
    currency, babel = order.currency, locale.babel

    def money(amount: Any) -> str:
        return format_money(amount, currency, babel)

    lines = order.lines
    payment = order.payment
    status = payment.status if payment is not None else "not_required"
    pending_manual = payment is not None and payment.provider == "manual" and status == "pending"
    instructions = instructions_of(svc.merchants.get(order.merchant_id)) if pending_manual else None
    html = pages.render(
        "done.html",
        locale,
        seller,
        rows=cart_page.rows(
            t, [(line, money(line.price), money(line.amount)) for line in lines], babel=babel
        ),
        total=money(order.total),
        order_number=Markup("<strong>{}</strong>").format(order.number or order.id),
        discounts=cart_choices.discount_rows(order, money, t.gettext),
        tax=cart_tax.rows(order, money, t, babel) if order.tax or order.reverse_charge else "",
        # The worker sends a receipt only when SMTP is configured: else no promise.
        # A card payment's receipt goes once paid (the payment page says so).
        receipt_to=(
            order.customer.email
            if svc.settings.smtp_url is not None
            and (payment is None or payment.provider != "stripe" or status == "paid")
            else None
        ),
        instructions=instructions,
        paid=payment is not None and payment.provider != "none" and status == "paid",
        canceled=(payment.cancel_reason or "merchant")
        if payment is not None and status == "canceled"
        else None,
        paid_by_card=card_payment.paid_by_card(order, money),
        # Where the physical items go, as its country writes an address.
        delivery=(
            address_lines(order.delivery_address, babel)
            if order.delivery_address is not None
            else ()
        ),
        # The answers to the seller's questions, as the customer read them.
        answers=order.custom_field_rows,
    )
    return Response(html, mimetype="text/html")


@bp.get("/brand/<color>.css")
def brand_css(color: str) -> Response:
    """The seller's colour as a stylesheet (the CSP allows no inline style)."""
    if len(color) != 6 or any(c not in "0123456789abcdef" for c in color):
        raise NotFound()
    brand = "#" + color
    # As text on the white page the colour is used only where it reads (4.5:1).
    ink = brand if contrast(brand, LIGHT_TEXT) >= MIN_CONTRAST else "var(--accent)"
    on = text_on(brand)
    css = (
        f":root{{--brand:{brand};--on-brand:{on};--brand-ink:{ink};"
        f"--button:{brand};--on-button:{on}}}\n"
    )
    return Response(css, mimetype="text/css")
