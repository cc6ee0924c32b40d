"""The customer's choices on the cart page: read from the form and priced.

Nothing the form says is trusted: quantities, offers and the code are read,
then checked against what the token offers and what the promotion allows
(:func:`cart_state`), again on every ``POST``. Placing the order with them is
:func:`checkout_links.core.checkout.place.place_order`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from decimal import Decimal

from checkout_links.core.errors import FieldError, ValidationFailed
from checkout_links.core.links.offers import Priced, offer_of
from checkout_links.core.links.token import LinkPayload
from checkout_links.core.pricing import (
    Choice,
    Offer,
    PricedCart,
    default_choice,
    parse_choice,
    price,
)
from checkout_links.core.promotions.codes import Promotions
from checkout_links.core.promotions.record import Promotion
from checkout_links.core.records import Line
from checkout_links.core.tax.apply import Buyer, TaxSetup, apply_tax

#: The most characters of a typed code we keep (codes are at most 40).
_CODE_FIELD = 64


@dataclass(frozen=True, slots=True)
class CartState:
    """What the page shows and the order would hold for one submission of the form."""

    offer: Offer
    choice: Choice
    priced: PricedCart
    promotion: Promotion | None
    #: The code as the customer typed it (shown again in the field).
    code: str
    #: Problems with the choices (each with the ``msgid`` the page translates);
    #: the figures are then those of the last choice that was allowed.
    errors: tuple[FieldError, ...] = ()


def _priced(
    offer: Offer, choice: Choice, promotion: Promotion | None, errors: list[FieldError]
) -> tuple[Choice, PricedCart, Promotion | None]:
    """Price the choice; on a refusal, fall back to what can be shown and record why."""
    attempts = [(choice, promotion)]
    if promotion is not None:
        attempts.append((choice, None))
    attempts += [(default_choice(offer), promotion), (default_choice(offer), None)]
    for picked, promo in attempts:
        try:
            cart = price(offer, picked, promo.terms() if promo is not None else None)
        except ValidationFailed as exc:
            for error in exc.errors or []:
                if error not in errors:
                    errors.append(error)
            continue
        return picked, cart, promo
    raise AssertionError("the cart as issued always prices")  # pragma: no cover


def cart_state(
    promotions: Promotions,
    payload: LinkPayload,
    lines: Sequence[Priced],
    optional_lines: Sequence[Priced],
    form: Mapping[str, str] | None,
) -> CartState:
    """The cart for ``form`` (``None``: the page as first shown), checked and priced."""
    offer = offer_of(payload, lines, optional_lines)
    errors: list[FieldError] = []
    choice = default_choice(offer)
    code = ""
    if form is not None:
        try:
            choice = parse_choice(offer, form)
        except ValidationFailed as exc:
            errors.extend(exc.errors or [])
        code = form.get("promo_code", "").strip()[:_CODE_FIELD]
    promotion = None
    if code and payload.choices is not None and payload.choices.promotion_codes:
        try:
            promotion = promotions.find(payload.merchant_id, code, payload.currency)
        except ValidationFailed as exc:
            errors.extend(exc.errors or [])
    choice, cart, promotion = _priced(offer, choice, promotion, errors)
    return CartState(offer, choice, cart, promotion, code, tuple(errors))


def _total_with(state: CartState, optional: tuple[int, ...]) -> Decimal | None:
    """The total of the state's choice with these optional quantities, or None if refused."""
    choice = replace(state.choice, optional=optional)
    terms = state.promotion.terms() if state.promotion is not None else None
    try:
        return price(state.offer, choice, terms).total
    except ValidationFailed:
        return None


def offer_changes(state: CartState) -> tuple[Decimal | None, ...]:
    """For each optional item: what taking it changes the total by, all else as chosen.

    The true change, not the item's price: an up-sell replaces its line at the
    quantity chosen now (two units of a line replaced by one of the upgrade),
    and the discounts and the code are taken again. The same figure whether
    the item is ticked or not (total with it less total without it). ``None``
    for an item chosen by quantity (its price per unit is shown instead) or
    when either cart would not be allowed.
    """
    changes: list[Decimal | None] = []
    # Pricing is the choices page's dearest step: each distinct cart is priced once,
    # and the cart as chosen is priced already (an unticked item's "without" is it).
    totals: dict[tuple[int, ...], Decimal | None] = {state.choice.optional: state.priced.total}

    def total_with(optional: tuple[int, ...]) -> Decimal | None:
        if optional not in totals:
            totals[optional] = _total_with(state, optional)
        return totals[optional]

    for j, item in enumerate(state.offer.optional):
        if item.bounds is not None:
            changes.append(None)
            continue
        without = list(state.choice.optional)
        without[j] = 0
        taken = list(without)
        taken[j] = item.quantity
        if item.replaces is not None:
            # One upgrade per line: taking this one drops another for the same line.
            for k, other in enumerate(state.offer.optional):
                if k != j and other.replaces == item.replaces:
                    taken[k] = 0
        low, high = total_with(tuple(without)), total_with(tuple(taken))
        changes.append(None if low is None or high is None else high - low)
    return tuple(changes)


def taxed_cart(
    setup: TaxSetup | None,
    payload: LinkPayload,
    lines: Sequence[Line],
    optional_lines: Sequence[Line],
    state: CartState | None,
    customer: Mapping[str, str],
) -> PricedCart | None:
    """The cart's figures with tax for the customer's details, or ``None`` without tax.

    ``None`` when the merchant has no active rate (``setup`` is ``None``): the
    figures are then pricing's alone and nothing more is computed. ``state``
    is the customer's choice on a link with cart choices; without it the cart
    as issued. The cart page and the order both take their figures from here.
    """
    if setup is None:
        return None
    if state is not None:
        priced = state.priced
    else:
        offer = offer_of(payload, lines)
        priced = price(offer, default_choice(offer))
    codes = [
        (lines if line.source == "products" else optional_lines)[line.index].tax_code
        for line in priced.lines
    ]
    buyer = Buyer(
        country=customer.get("country", "").strip().upper(),
        region=customer.get("region", "").strip(),
        tax_id=customer.get("tax_id", "").strip(),
    )
    return apply_tax(priced, codes, setup, buyer)
