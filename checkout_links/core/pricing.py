"""Pricing a cart with choices: quantities, offers, up-sells, discounts, a promotion.

A link's *offer* (:class:`Offer`) is what the token allows: product lines, each
with a fixed quantity or bounds, up to ten optional items (an item with
``replaces = i`` is an up-sell that takes product line ``i`` out), and merchant
discounts. A :class:`Choice` is what the customer picked. :func:`price` checks
the choice against the offer (a choice is never trusted from the form) and
prices it; the cart page, the order and the webhook all show its figures, so
what the customer is shown is what is charged, to the cent.

The rules, in order:

1. A line's amount is its unit price times its quantity (exact: prices carry
   the currency's minor units, quantities are integers). The subtotal is the
   sum of the chosen lines' amounts.
2. Line discounts: a percent of the line's amount, or an amount taken once
   from the line (whatever its quantity); never more than the line's amount.
3. The cart discount: a percent of, or an amount off, the subtotal less the
   line discounts; never more than that.
4. The promotion: a percent of, or an amount off, the lines it applies to (less
   their line discounts), never more than what is left to pay.

Percent discounts are taken of their base as stated, so they do not compound.
Each discount is rounded once, to the currency's minor unit, half-up (a
half-cent discount in the customer's favour); nothing else is ever rounded, so
``total == subtotal - sum(discounts)`` holds exactly, and the total is never
negative.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Context, Decimal, localcontext
from typing import Literal

from checkout_links.core.errors import CodeRefused, FieldError, ValidationFailed
from checkout_links.core.i18n.translatable import N_
from checkout_links.core.money import MAX_AMOUNT, minor_units, quantize
from checkout_links.core.records import DiscountRow

#: The most optional items one link may offer.
MAX_OPTIONAL_ITEMS = 10
#: The largest quantity (and quantity bound) of any line.
MAX_QUANTITY = 1_000_000
_HUNDRED = Decimal(100)
# Wide enough for 10^12 (largest price) x 10^6 (largest quantity) x 100 with
# three decimals: pricing never loses a digit to the context's precision.
_CONTEXT = Context(prec=48, rounding=ROUND_HALF_UP)
_QUANTITY_TEXT = re.compile(r"[0-9]{1,7}")

# Customer-facing sentences: ``msg`` carries them filled in (English); the web
# side translates ``msgid`` with ``params``.
EMPTY_CART = N_("Keep at least one item in your cart.")
NOT_A_NUMBER = N_("Enter the quantity as a whole number, such as 2.")
OUT_OF_BOUNDS = N_("Choose a quantity from %(minimum)s to %(maximum)s.")
FIXED_QUANTITY = N_("The quantity of this item cannot be changed.")
FIXED_OFFER = N_("This offer comes in a quantity of %(quantity)s only.")
ONE_UPGRADE = N_("Choose only one upgrade for the same item.")
TOO_LARGE = N_("The total of this cart is too large; choose smaller quantities.")
#: The one sentence for every promotion code a customer cannot use (errors.CodeRefused).
UNUSABLE_CODE = N_("This code cannot be used. Check it and try again.")


Source = Literal["products", "optional_items"]


@dataclass(frozen=True, slots=True)
class Bounds:
    """The quantities a customer may choose for one line, inclusive."""

    minimum: int
    maximum: int


@dataclass(frozen=True, slots=True)
class Discount:
    """``percent`` (0 < p <= 100) or ``amount`` (in the link's currency) off, and a label."""

    percent: Decimal | None = None
    amount: Decimal | None = None
    label: str | None = None


@dataclass(frozen=True, slots=True)
class Offered:
    """One product line or optional item as the token offers it."""

    product_id: str
    price: Decimal
    quantity: int = 1
    bounds: Bounds | None = None
    discount: Discount | None = None
    #: For an optional item: the index of the product line it replaces (an up-sell).
    replaces: int | None = None


@dataclass(frozen=True, slots=True)
class Offer:
    """Everything a link lets the customer choose from."""

    currency: str
    lines: tuple[Offered, ...]
    optional: tuple[Offered, ...] = ()
    discount: Discount | None = None


@dataclass(frozen=True, slots=True)
class PromotionTerms:
    """What a promotion code takes off, and from which original products."""

    code: str
    discount: Discount
    #: Original product ids it applies to; ``None``: every line.
    products: frozenset[str] | None = None


@dataclass(frozen=True, slots=True)
class Choice:
    """The customer's pick: a quantity per product line and per optional item (0: not chosen)."""

    quantities: tuple[int, ...]
    optional: tuple[int, ...]


@dataclass(frozen=True, slots=True)
class PricedLine:
    """A chosen line: where it came from, its quantity and amount."""

    source: Source
    index: int
    product_id: str
    price: Decimal
    quantity: int
    amount: Decimal
    #: The product id of the line an up-sell replaced.
    replaced: str | None = None

    @property
    def optional(self) -> bool:
        return self.source == "optional_items"


@dataclass(frozen=True, slots=True)
class PricedCart:
    """A priced choice: every figure at exactly the currency's minor units."""

    currency: str
    lines: tuple[PricedLine, ...]
    discounts: tuple[DiscountRow, ...]
    subtotal: Decimal
    total: Decimal
    promotion_code: str | None = None


def default_choice(offer: Offer) -> Choice:
    """The cart as issued: every line at its quantity, no optional item."""
    return Choice(tuple(line.quantity for line in offer.lines), (0,) * len(offer.optional))


def _quantity(text: str | None, default: int, loc: str, errors: list[FieldError]) -> int:
    if text is None:
        return default
    text = text.strip()
    if not _QUANTITY_TEXT.fullmatch(text):
        errors.append(FieldError.worded(("form", loc), NOT_A_NUMBER))
        return default
    return int(text)


def parse_choice(offer: Offer, form: Mapping[str, str]) -> Choice:
    """Read ``qty_<i>`` and ``opt_<j>`` from a form; a missing field keeps the issued choice.

    Raises :class:`ValidationFailed` for a field that is not a whole number;
    whether the numbers are allowed is :func:`price`'s to judge.
    """
    errors: list[FieldError] = []
    quantities = tuple(
        _quantity(form.get(f"qty_{i}"), line.quantity, f"qty_{i}", errors)
        for i, line in enumerate(offer.lines)
    )
    optional = tuple(
        _quantity(form.get(f"opt_{j}"), 0, f"opt_{j}", errors) for j in range(len(offer.optional))
    )
    if errors:
        raise ValidationFailed("Some quantities are not numbers.", errors=errors)
    return Choice(quantities, optional)


def _check_line(line: Offered, quantity: int, loc: str) -> FieldError | None:
    if line.bounds is None:
        if quantity != line.quantity:
            return FieldError.worded(("form", loc), FIXED_QUANTITY)
        return None
    low, high = line.bounds.minimum, line.bounds.maximum
    if not low <= quantity <= high:
        return FieldError.worded(("form", loc), OUT_OF_BOUNDS, minimum=low, maximum=high)
    return None


def _check_optional(item: Offered, quantity: int, loc: str) -> FieldError | None:
    if quantity == 0:
        return None
    if item.bounds is None:
        if quantity != item.quantity:
            return FieldError.worded(("form", loc), FIXED_OFFER, quantity=item.quantity)
        return None
    low, high = max(1, item.bounds.minimum), item.bounds.maximum
    if not low <= quantity <= high:
        return FieldError.worded(("form", loc), OUT_OF_BOUNDS, minimum=low, maximum=high)
    return None


def _chosen(offer: Offer, choice: Choice) -> list[tuple[PricedLine, Discount | None]]:
    """The chosen lines in cart order (an up-sell in its replaced line's place)."""
    if len(choice.quantities) != len(offer.lines) or len(choice.optional) != len(offer.optional):
        raise ValueError("the choice does not match the offer's lines")
    errors: list[FieldError] = []
    upsells: dict[int, int] = {}
    extras: list[int] = []
    for j, (item, quantity) in enumerate(zip(offer.optional, choice.optional, strict=True)):
        error = _check_optional(item, quantity, f"opt_{j}")
        if error is not None:
            errors.append(error)
        elif quantity and item.replaces is not None:
            if item.replaces in upsells:
                errors.append(FieldError.worded(("form", f"opt_{j}"), ONE_UPGRADE))
            upsells[item.replaces] = j
        elif quantity:
            extras.append(j)
    chosen: list[tuple[PricedLine, Discount | None]] = []

    def add(
        source: Literal["products", "optional_items"], index: int, replaced: str | None
    ) -> None:
        item = offer.lines[index] if source == "products" else offer.optional[index]
        quantity = (choice.quantities if source == "products" else choice.optional)[index]
        amount = quantize(item.price * quantity, offer.currency)
        line = PricedLine(source, index, item.product_id, item.price, quantity, amount, replaced)
        chosen.append((line, item.discount))

    for i, (line, quantity) in enumerate(zip(offer.lines, choice.quantities, strict=True)):
        if i in upsells:
            add("optional_items", upsells[i], line.product_id)
            continue
        error = _check_line(line, quantity, f"qty_{i}")
        if error is not None:
            errors.append(error)
        elif quantity:
            add("products", i, None)
    for j in extras:
        add("optional_items", j, None)
    if not errors and not chosen:
        errors.append(FieldError.worded(("form",), EMPTY_CART))
    if errors:
        raise ValidationFailed("The cart's choices are not allowed.", errors=errors)
    return chosen


def _take(discount: Discount, base: Decimal, currency: str) -> Decimal:
    """What ``discount`` takes off ``base``: rounded once, half-up, never more than ``base``."""
    if discount.percent is not None:
        with localcontext(_CONTEXT):
            off = (base * discount.percent / _HUNDRED).quantize(
                Decimal(1).scaleb(-minor_units(currency)), rounding=ROUND_HALF_UP
            )
    else:
        off = discount.amount if discount.amount is not None else Decimal(0)
    return quantize(min(off, base), currency)


def price(offer: Offer, choice: Choice, promotion: PromotionTerms | None = None) -> PricedCart:
    """Check ``choice`` against ``offer`` and price it (see the module's rules).

    Raises :class:`ValidationFailed` (``errors`` locate the form fields) when
    the choice is not one the offer allows, or the promotion applies to none
    of the chosen lines.
    """
    currency = offer.currency
    chosen = _chosen(offer, choice)
    with localcontext(_CONTEXT):
        subtotal = quantize(sum((line.amount for line, _ in chosen), Decimal(0)), currency)
    if subtotal > MAX_AMOUNT:
        raise ValidationFailed(TOO_LARGE, errors=[FieldError.worded(("form",), TOO_LARGE)])
    discounts: list[DiscountRow] = []
    net: list[Decimal] = []
    for n, (line, discount) in enumerate(chosen):
        off = Decimal(0)
        if discount is not None:
            off = _take(discount, line.amount, currency)
            discounts.append(
                DiscountRow(label=discount.label, amount=off, applies_to="line", line=n)
            )
        net.append(line.amount - off)
    left = sum(net, Decimal(0))
    if offer.discount is not None:
        off = _take(offer.discount, left, currency)
        discounts.append(DiscountRow(label=offer.discount.label, amount=off, applies_to="cart"))
        left -= off
    code = None
    if promotion is not None:
        eligible = [
            amount
            for (line, _), amount in zip(chosen, net, strict=True)
            if promotion.products is None or line.product_id in promotion.products
        ]
        if not eligible:
            raise CodeRefused("not_applicable", UNUSABLE_CODE)
        off = min(_take(promotion.discount, sum(eligible, Decimal(0)), currency), left)
        label = promotion.discount.label or promotion.code
        discounts.append(
            DiscountRow(label=label, amount=quantize(off, currency), applies_to="promotion")
        )
        left -= off
        code = promotion.code
    return PricedCart(
        currency=currency,
        lines=tuple(line for line, _ in chosen),
        discounts=tuple(discounts),
        subtotal=subtotal,
        total=quantize(left, currency),
        promotion_code=code,
    )
