"""The payment page of a ``stripe`` order: ``/pay/<ref>``.

``<ref>`` is the order's signed reference (:func:`pay_ref`): whoever holds the
link (or was just sent here after placing) may pay. The card is typed into
Stripe.js and turned into a PaymentMethod at Stripe; ``POST`` carries only its id,
and the service confirms the PaymentIntent with Stripe server-side. What the
order records always comes from Stripe's answer (or its signed webhook), never
from the browser's word.

- ``GET``: paid → the confirmation; otherwise the page, with the order's
  summary and the card field. When an intent exists its state is read from
  Stripe first, so the return after 3-D Secure, a reload, or a second tab
  lands on the truth.
- ``POST``: confirm with that card → paid (303 to the confirmation), declined
  (303 back with a message), or the bank's 3-D Secure step (the page runs it).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from flask import Blueprint, Response, request
from itsdangerous import BadSignature, URLSafeTimedSerializer
from markupsafe import Markup

from checkout_links.core.errors import InvalidToken, NotFound
from checkout_links.core.i18n.locales import negotiate
from checkout_links.core.i18n.translatable import N_
from checkout_links.core.links.ids import link_rand_of_order, order_id_for
from checkout_links.core.merchants.payment import payment_config, provider_of
from checkout_links.core.money import format_money
from checkout_links.core.orders.queries import load_order
from checkout_links.core.payments.state import payment_of
from checkout_links.core.payments.stripe.amounts import NotChargeable
from checkout_links.core.payments.stripe.gateway import (
    StripeGateway,
    StripeRefused,
    StripeUnavailable,
)
from checkout_links.core.payments.stripe.intents import TooManyAttempts
from checkout_links.core.payments.stripe.provider import StripeProvider, charge_of, settle
from checkout_links.core.records import Order
from checkout_links.core.services import Services
from checkout_links.web.customer import cart_choices, cart_page, pages, targets
from checkout_links.web.customer.headers import CSP
from checkout_links.web.customer.i18n import catalog
from checkout_links.web.extensions import services

bp = Blueprint("payment", __name__)

#: How long a payment page's reference opens it (the order's payment window is shorter).
REF_MAX_AGE = 30 * 86400
CSRF_MAX_AGE = 24 * 3600

#: The payment statuses in which the order was paid (refunds after it do not change that).
PAID = ("paid", "partially_refunded", "refunded")

#: What the page says after an attempt that did not pay (``?problem=`` names one).
PROBLEMS = {
    "declined": N_(
        "Your card was declined, so nothing was charged. Try again with another card, "
        "or ask your bank why."
    ),
    "authentication": N_(
        "Your bank could not confirm the payment, so nothing was charged. Try again, "
        "or use another card."
    ),
    "unavailable": N_(
        "Card payment is not available for a moment, and nothing was charged. "
        "Try again in a few minutes."
    ),
    "attempts": N_(
        "This order has had too many payment attempts. Contact the seller to pay for it."
    ),
    "form": N_("This page was open too long. Enter your card details again."),
    "amount": N_("This total cannot be paid by card. Contact the seller to pay for this order."),
}


def _refs(svc: Services) -> URLSafeTimedSerializer:
    keys = svc.keyring.mac_keys("checkout-links/payment-page/v1")
    return URLSafeTimedSerializer(keys, salt="payment")


def pay_ref(svc: Services, order_id: str, return_url: str | None) -> str:
    """The reference in the URL of ``order_id``'s payment page (signed, with where to go
    once paid: the link's return URL, else the confirmation page)."""
    return str(_refs(svc).dumps([link_rand_of_order(order_id).hex(), return_url]))


def pay_url(svc: Services, order_id: str, return_url: str | None) -> str:
    """The path of ``order_id``'s payment page."""
    return f"{request.script_root}/pay/{pay_ref(svc, order_id, return_url)}"


def takes_card(svc: Services, merchant_id: str) -> bool:
    """Whether the merchant's new orders are paid by card here (a cached record, no secret)."""
    return provider_of(svc.merchants.get(merchant_id)) == "stripe"


def unpaid_card_order(svc: Services, order_id: str) -> bool:
    """Whether ``order_id`` is a stripe order still waiting for its payment."""
    try:
        payment = payment_of(load_order(svc.redis, svc.keyring, order_id))
    except NotFound:
        return False
    return payment.provider == "stripe" and payment.status == "pending"


def paid_by_card(order: Order, money: Callable[[Any], str]) -> str | None:
    """What the confirmation says was paid by card (formatted), or ``None``."""
    payment = payment_of(order)
    if payment.provider != "stripe" or payment.status not in PAID:
        return None
    return money(payment.amount_paid)


def _order(svc: Services, ref: str) -> tuple[Order, str | None]:
    """The order of a payment page's reference, and the link's return URL.

    Remembers the order's locale and seller, so an error page later in the request
    speaks the customer's language and names the seller.
    """
    try:
        link_hex, return_url = _refs(svc).loads(ref, max_age=REF_MAX_AGE)
        order_id = order_id_for(bytes.fromhex(link_hex))
    except (BadSignature, ValueError, TypeError):
        raise InvalidToken() from None  # not chained: the reference opens the page
    order = load_order(svc.redis, svc.keyring, order_id)
    locale = negotiate(order.locale, None, request.headers.get("Accept-Language"), None)
    pages.remember(locale, pages.seller(svc, order.merchant_id))
    return order, return_url if isinstance(return_url, str) else None


def provider(svc: Services, order: Order) -> StripeProvider:
    """The stripe provider of the order's merchant (its keys opened for this request)."""
    config = payment_config(svc.merchants.get(order.merchant_id), svc.keyring)
    if config.stripe is None:
        raise StripeUnavailable("The seller's card payments are not set up.")
    gateway = StripeGateway(svc.settings.stripe_api_base)
    return StripeProvider(config.stripe, gateway, svc.redis, svc.settings.order_retention_seconds)


def chargeable(order: Order) -> bool:
    """Whether Stripe can charge the order's total exactly (else no card form is shown)."""
    try:
        charge_of(order)
    except NotChargeable:
        return False
    return True


def _done(svc: Services, order: Order, return_url: str | None) -> Response:
    # Where a placed order goes: the merchant's return URL, else the confirmation page.
    target = targets.placed_target(svc, link_rand_of_order(order.id), order.id, return_url)
    return Response(status=303, headers={"Location": target})


def _unpaid(svc: Services, ref: str) -> tuple[Order, str | None] | Response:
    """The order of ``ref`` waiting for its card payment, with the link's return URL;
    for a paid one, the answer that sends the customer on. 404 when nothing is due."""
    order, return_url = _order(svc, ref)
    payment = payment_of(order)
    if payment.status in PAID:
        return _done(svc, order, return_url)
    if payment.provider != "stripe" or payment.status != "pending":
        raise NotFound("This order has nothing to pay.")
    return order, return_url


def _again(ref: str, problem: str) -> Response:
    return Response(
        status=303, headers={"Location": f"{request.script_root}/pay/{ref}?problem={problem}"}
    )


@bp.get("/pay/<ref>")
def page(ref: str) -> Response:
    svc = services()
    found = _unpaid(svc, ref)
    if isinstance(found, Response):
        return found
    order, return_url = found
    stripe = provider(svc, order)
    problem = request.args.get("problem")
    client_secret = None
    if not chargeable(order):
        return _render(svc, ref, order, stripe.keys.publishable_key, "amount", None, form=False)
    try:
        intent = stripe.latest(order)
    except StripeUnavailable:
        intent, problem = None, "unavailable"
    if intent is not None:
        outcome = settle(svc.payments, stripe, order, intent)
        if outcome == "paid":
            return _done(svc, order, return_url)
        if intent.status == "requires_action":
            client_secret = intent.client_secret
        elif outcome == "failed" and problem is None:
            problem = "authentication" if "authentication" in (intent.decline or "") else "declined"
    return _render(svc, ref, order, stripe.keys.publishable_key, problem, client_secret)


@bp.post("/pay/<ref>")
def pay(ref: str) -> Response:
    svc = services()
    found = _unpaid(svc, ref)
    if isinstance(found, Response):
        return found
    order, return_url = found
    link_rand = link_rand_of_order(order.id)
    csrf = request.form.get("csrf_token", "")
    if svc.form_tokens.check(csrf, link_rand, int(time.time()), CSRF_MAX_AGE) is None:
        return _again(ref, "form")
    card = request.form.get("card_token", "")
    if not card.startswith(("pm_", "tok_")) or len(card) > 255:
        return _again(ref, "form")
    stripe = provider(svc, order)
    try:
        intent = stripe.pay_with_card(order, card)
    except NotChargeable:
        return _again(ref, "amount")
    except TooManyAttempts:
        return _again(ref, "attempts")
    except (StripeUnavailable, StripeRefused):
        # Nothing was charged (a refused confirmation leaves the intent unconfirmed); the
        # gateway logged why. The customer may try again; a setup problem is the merchant's.
        return _again(ref, "unavailable")
    outcome = settle(svc.payments, stripe, order, intent)
    if outcome == "paid":
        return _done(svc, order, return_url)
    if outcome == "failed":
        return _again(ref, "declined")
    # 3-D Secure (or still processing): the page reads the intent and runs the bank's step.
    return Response(status=303, headers={"Location": f"{request.script_root}/pay/{ref}"})


def _render(
    svc: Services,
    ref: str,
    order: Order,
    publishable_key: str,
    problem: str | None,
    client_secret: str | None,
    *,
    form: bool = True,
) -> Response:
    seller = pages.seller(svc, order.merchant_id)
    locale = negotiate(order.locale, None, request.headers.get("Accept-Language"), None)
    pages.remember(locale, seller)
    t = catalog(locale.words)
    currency, babel = order.currency, locale.babel

    def money(amount: Any) -> str:
        return format_money(amount, currency, babel)

    text = PROBLEMS.get(problem or "")
    html = pages.render(
        "pay.html",
        locale,
        seller,
        rows=cart_page.rows(
            t,
            [(line, money(line.price), money(line.amount)) for line in order.lines],
            babel=babel,
        ),
        total=money(order.total),
        discounts=cart_choices.discount_rows(order, money, t.gettext),
        order_number=Markup("<strong>{}</strong>").format(order.number or order.id),
        problem=t.gettext(text) if text else None,
        form=form,
        publishable_key=publishable_key,
        client_secret=client_secret,
        return_url=f"{request.script_root}/pay/{ref}",
        csrf_token=svc.form_tokens.make(link_rand_of_order(order.id), int(time.time())),
        stripe_js_url=svc.settings.stripe_js_url,
    )
    response = Response(html, status=200, mimetype="text/html")
    response.headers["Content-Security-Policy"] = payment_csp(svc)
    return response


def payment_csp(svc: Services) -> str:
    """The payment page's policy: the customer pages' one, plus Stripe.js, its frames and API.

    Only this page allows Stripe; every other page keeps :data:`CSP` unchanged.
    """
    js = _origin(svc.settings.stripe_js_url)
    api = _origin(svc.settings.stripe_api_base)
    policy = CSP.format(extra="")
    policy = policy.replace("script-src 'self'", f"script-src 'self' {js}")
    policy = policy.replace("connect-src 'self'", f"connect-src 'self' {api} {js}")
    return policy + f"; frame-src {js} https://hooks.stripe.com"


def _origin(url: str) -> str:
    scheme, _, rest = url.partition("://")
    return f"{scheme}://{rest.split('/', 1)[0]}"
