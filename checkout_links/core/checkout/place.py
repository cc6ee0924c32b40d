"""Placing an order: a link and the customer's answers in, a typed outcome out.

:func:`place_order` is the one way an order comes to be. It checks the
customer's details (:mod:`~checkout_links.core.checkout.form`), builds the
order record (``orders/build.py``) and spends the link in the ledger's single
atomic step, which writes the link's mark, the order and its outbox event
(``ledger/store.py``). With a promotion code it first holds a redemption and
settles it after the spend (``promotions/codes.py``). A refusal writes
nothing: invalid details or a code used up leave the link usable.

Nothing here knows HTTP: the customer pages turn each outcome into a page or
a redirect, and the test seeders and benchmarks place their orders through
the same steps (:func:`place_orders` pipelines them).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Iterable, Mapping
from dataclasses import replace
from typing import Protocol

import msgspec

from checkout_links.core.checkout import custom_fields, form
from checkout_links.core.checkout.cart import CartState, taxed_cart
from checkout_links.core.config import Settings
from checkout_links.core.crypto.keyring import KeyRing
from checkout_links.core.errors import StoreUnavailable, ValidationFailed
from checkout_links.core.i18n.locales import PageLocale
from checkout_links.core.i18n.translatable import Message
from checkout_links.core.ledger.store import Ledger, SpendRequest, SpendResult
from checkout_links.core.links.ids import event_id_for, order_id_for
from checkout_links.core.links.issue import Links
from checkout_links.core.links.offers import chosen_lines
from checkout_links.core.links.status import Gone, status_of
from checkout_links.core.links.token import LinkPayload
from checkout_links.core.merchants.payment import provider_of
from checkout_links.core.merchants.store import Merchants
from checkout_links.core.orders.build import build_order
from checkout_links.core.orders.numbers import number_for
from checkout_links.core.orders.sealed import read_stored, seal
from checkout_links.core.payments.state import initial_payment
from checkout_links.core.primitives.clock import iso_ms
from checkout_links.core.primitives.jsonutil import dumps
from checkout_links.core.promotions.codes import Promotions, Reservation
from checkout_links.core.promotions.record import RETRY
from checkout_links.core.records import Consent, Customer, CustomFieldRow, DeliveryAddress, Line
from checkout_links.core.tax.rates import TaxRates

log = logging.getLogger(__name__)


class Stores(Protocol):
    """What placing an order works with: :class:`~checkout_links.core.services.Services` is one.

    Named by its shape: the services module wires this one, above it in the core's layers.
    """

    @property
    def links(self) -> Links: ...

    @property
    def keyring(self) -> KeyRing: ...

    @property
    def ledger(self) -> Ledger: ...

    @property
    def promotions(self) -> Promotions: ...

    @property
    def merchants(self) -> Merchants: ...

    @property
    def settings(self) -> Settings: ...

    @property
    def tax(self) -> TaxRates: ...


class PlaceRequest(msgspec.Struct, frozen=True, kw_only=True):
    """One submission of a link's checkout form, its token already verified."""

    payload: LinkPayload
    #: The link's lines as issued (:meth:`Links.lines_of`).
    lines: tuple[Line, ...]
    #: The form's stripped texts: those named in :data:`form.FIELD_NAMES` are the
    #: customer's details, ``cf_<key>`` the answers to the link's custom fields;
    #: others are ignored.
    customer: Mapping[str, str]
    #: The form's nonce: the same attempt sent again carries it and gets the same order.
    request_id: str
    #: The locale the page spoke: the order keeps it (receipt, confirmation) and it is
    #: the customer's language. ``None``: the link's locale, no language.
    locale: PageLocale | None = None
    #: A link with cart choices: the customer's choice as priced
    #: (:func:`~checkout_links.core.checkout.cart.cart_state`). ``None``: the cart as issued.
    cart: CartState | None = None
    #: The link's optional items (:meth:`Links.optional_lines_of`), which ``cart`` may add.
    optional_lines: tuple[Line, ...] = ()
    #: When the order is placed, in ms; ``None``: now (seeders place orders in the past).
    created_ms: int | None = None
    #: The seller's terms the customer must accept (``None``: nothing asked), and
    #: whether the form's ``accept_terms`` box was ticked.
    terms_url: str | None = None
    terms_accepted: bool = False


class Placed(msgspec.Struct, frozen=True):
    """The order was placed: the link is spent, the order and its event are stored."""

    order_id: str
    #: The order waits for its card payment (Stripe): the customer goes to its payment
    #: page. Known here, so the view need not read the order back.
    awaits_card: bool = False


class AlreadyPlaced(msgspec.Struct, frozen=True):
    """This request's earlier attempt placed the order (its answer was lost): that order."""

    order_id: str


class Refused(msgspec.Struct, frozen=True):
    """The link takes no order: spent by another request, revoked or expired."""

    reason: Gone


class Invalid(msgspec.Struct, frozen=True):
    """The details or the choices are refused, by field; nothing was written.

    ``cart`` is the cart to show again, its ``errors`` saying what is wrong
    with the choices (a promotion code used up since the page was shown).
    """

    errors: Mapping[str, Message]
    cart: CartState | None = None


class Lapsed(msgspec.Struct, frozen=True):
    """The code's held redemption lapsed during the spend: nothing was written, send again."""

    errors: Mapping[str, Message]
    cart: CartState


Placement = Placed | AlreadyPlaced | Refused | Invalid | Lapsed


def place_order(stores: Stores, request: PlaceRequest) -> Placement:
    """Place the order ``request`` asks for, or say why not.

    The link's order id is derived from the link, so the same request sent
    again (a lost answer) is :class:`AlreadyPlaced`, never a second order.
    One ledger round trip (two beyond the first 16 shards); a promotion code
    adds its reservation's.
    """
    spend = _spend_request(stores, request)
    if isinstance(spend, Invalid):
        return spend
    for attempt in range(1, MAX_NUMBER_ATTEMPTS + 1):
        placement = _place(stores, request, spend)
        if placement is not None:
            return placement
        # Another order of the merchant has this number: draw the next one.
        spend = _renumbered(spend, attempt)
    raise RuntimeError("no free order number found")  # pragma: no cover - 1 in 34e9 each


#: Order numbers tried before giving up (each collides about once in 34 billion).
MAX_NUMBER_ATTEMPTS = 8


def _place(stores: Stores, request: PlaceRequest, spend: SpendRequest) -> Placement | None:
    """One spend of ``spend``; ``None`` when its order number was taken."""
    cart = request.cart
    if cart is None or cart.promotion is None:
        result = stores.ledger.spend(spend)
        return None if result.outcome == "number" else _outcome(result, spend)
    try:
        result = _spend_with_code(stores, spend, cart.promotion.code)
    except ValidationFailed as exc:  # used up since the page was shown
        return Invalid({}, replace(cart, errors=(*cart.errors, *(exc.errors or []))))
    if result.outcome == "void":
        return Lapsed({"promo_code": Message(RETRY)}, cart)
    if result.outcome == "number":
        return None
    return _outcome(result, spend)


def _renumbered(spend: SpendRequest, attempt: int) -> SpendRequest:
    """``spend`` with the order's number drawn again (its ``attempt``-th); the sealed
    personal data stays as it is (sealed for the order id, not the number)."""
    number = number_for(spend.link_rand, attempt)
    stored = msgspec.structs.replace(read_stored(spend.order_json), number=number)
    return msgspec.structs.replace(spend, number=number, order_json=dumps(stored))


def place_orders(stores: Stores, requests: Iterable[PlaceRequest]) -> list[Placement]:
    """Place many orders as :func:`place_order` does, pipelined (bulk loads).

    For seeders and benchmarks: every spend in one round trip, then the index
    steps of those beyond the first 16 shards in one more
    (:meth:`Ledger.spend_many`). No promotion codes: a reservation is a step
    of its own per order.
    """
    prepared: list[SpendRequest | Invalid] = []
    requests_list = list(requests)
    for request in requests_list:
        if request.cart is not None and request.cart.promotion is not None:
            raise ValueError("place_orders takes no promotion codes: use place_order")
        prepared.append(_spend_request(stores, request))
    spends = [spend for spend in prepared if isinstance(spend, SpendRequest)]
    results = iter(stores.ledger.spend_many(spends))
    placements: list[Placement] = []
    for request, spend in zip(requests_list, prepared, strict=True):
        if isinstance(spend, Invalid):
            placements.append(spend)
            continue
        result = next(results)
        if result.outcome == "number":  # rare: placed again one by one, renumbered
            placements.append(place_order(stores, request))
        else:
            placements.append(_outcome(result, spend))
    return placements


def _spend_request(stores: Stores, request: PlaceRequest) -> SpendRequest | Invalid:
    """The ledger's spend for ``request``, or why the details or choices are refused."""
    cart = request.cart
    if cart is not None and cart.errors:
        # A choice the offer does not allow is never placed (the page falls back to another).
        return Invalid({}, cart)
    values = request.customer
    # A physical line among those chosen (an up-sell or an optional item may add one)
    # needs the billing address and a delivery address.
    chosen = request.lines if cart is None else cart_lines(cart, request)
    physical = any(line.delivery == "physical" for line in chosen)
    clean, errors = form.validate(values, form.country_rules(values), address_required=physical)
    delivery: DeliveryAddress | None = None
    if physical:
        where, wrong = form.validate_delivery(values, clean)
        errors.update(wrong)
        delivery = DeliveryAddress(**where)
    answers: dict[str, str] = {}
    rows: tuple[CustomFieldRow, ...] = ()
    if request.payload.custom_fields:
        answers, rows, wrong = custom_fields.check(
            request.payload.custom_fields, values, request.locale
        )
        errors.update(wrong)
    if request.terms_url is not None and not request.terms_accepted:
        errors["accept_terms"] = Message(form.MISSING_CONSENT)
    if errors:
        return Invalid(errors, cart)
    locale = request.locale
    # The page's locale is the language the customer read and answered in.
    customer = Customer(
        **{name: clean.get(name, "") for name in form.FIELD_NAMES},
        language=locale.lang if locale is not None else "",
    )
    payload = request.payload
    order_id = order_id_for(payload.link_rand)
    created_ms = request.created_ms
    if created_ms is None:
        created_ms = int(time.time() * 1000)
    provider = provider_of(stores.merchants.get(payload.merchant_id))
    number = number_for(payload.link_rand)
    # Taxed on the details as validated: the figures the page showed for them.
    setup = stores.tax.setup(payload.merchant_id)
    priced = taxed_cart(setup, payload, request.lines, request.optional_lines, cart, clean)
    if priced is None and cart is not None:
        priced = cart.priced
    order = build_order(
        order_id=order_id,
        link_id=stores.links.link_id_of(payload),
        payload=payload,
        lines=(
            request.lines
            if priced is None
            else chosen_lines(priced, request.lines, request.optional_lines)
        ),
        customer=customer,
        created_ms=created_ms,
        priced=priced,
        locale=locale.format if locale is not None else None,
        number=number,
        consent=(
            Consent(terms_accepted_at=iso_ms(created_ms), terms_url=request.terms_url)
            if request.terms_url is not None
            else None
        ),
        delivery_address=delivery,
        custom_fields=answers,
        custom_field_rows=rows,
    )
    window_ms = stores.settings.payment_window_seconds * 1000
    payment = initial_payment(provider, order.total, order.currency, created_ms, window_ms)
    order = msgspec.structs.replace(order, payment=payment)
    return SpendRequest(
        link_rand=payload.link_rand,
        link_expires_at=payload.expires_at,
        merchant_id=payload.merchant_id,
        order_id=order_id,
        # The customer's personal data sealed (orders/sealed.py): no Redis value holds it.
        order_json=seal(stores.keyring, order),
        created_ms=created_ms,
        request_id=request.request_id,
        event_id=event_id_for(payload.link_rand),
        external_ref=payload.external_ref,
        number=number,
        payment_due_ms=created_ms + window_ms if payment.status == "pending" else None,
        # A card payment's receipt goes when it is paid (the order.paid event).
        mail=provider != "stripe" or payment.status == "paid",
    )


def cart_lines(cart: CartState, request: PlaceRequest) -> tuple[Line, ...]:
    """The lines the customer chose in ``cart`` (before tax)."""
    return chosen_lines(cart.priced, request.lines, request.optional_lines)


def _outcome(result: SpendResult, spend: SpendRequest) -> Placed | AlreadyPlaced | Refused:
    if result.outcome == "placed":
        # Only a card payment holds back the receipt of an order that is still due.
        awaits_card = not spend.mail and spend.payment_due_ms is not None
        return Placed(spend.order_id, awaits_card=awaits_card)
    mark = result.mark
    if mark.state == "spent" and mark.request_id == spend.request_id and mark.order_id:
        # Our own earlier attempt placed the order and its answer was lost: the same order.
        return AlreadyPlaced(mark.order_id)
    # The ledger judged expiry by the Redis server's clock; its mark says why.
    status = status_of(mark.state, spend.link_expires_at, time.time())
    if status == "open":  # pragma: no cover - a refused spend always says why
        raise RuntimeError(f"the ledger refused an open link ({result.outcome})")
    return Refused(status)


def _spend_with_code(stores: Stores, spend: SpendRequest, code: str) -> SpendResult:
    """Hold a redemption of ``code``, spend with it, then confirm or release it.

    Raises :class:`ValidationFailed` (on ``promo_code``) when no redemption is
    left; the link is then untouched. An error during the spend leaves its
    outcome unknown: the reservation is settled (confirmed if the order was
    placed with it, fenced and released if not) before the error goes on.
    """
    promotions = stores.promotions
    reservation = promotions.reserve(
        spend.merchant_id, code, spend.link_rand, spend.link_expires_at
    )
    try:
        result = stores.ledger.spend(msgspec.structs.replace(spend, reservation=reservation))
    except BaseException:
        _settle_quietly(promotions, reservation)
        raise
    if result.outcome == "placed":
        try:
            promotions.confirm(reservation)
        except StoreUnavailable:
            # The order is placed; the reservation still holds its redemption
            # and the next settle of the code confirms it.
            log.warning("promotion redemption left to be confirmed by the next settle")
    elif result.mark.state == "spent" and result.mark.request_id == spend.request_id:
        # Our earlier attempt placed the order (with its own reservation): this one is void.
        _settle_quietly(promotions, reservation)
    else:
        promotions.release(reservation)
    return result


def _settle_quietly(promotions: Promotions, reservation: Reservation) -> None:
    try:
        promotions.settle(reservation)
    except StoreUnavailable:
        log.warning("promotion reservation left to expire and be settled later")
