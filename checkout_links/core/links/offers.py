"""A link's offer between its three forms: the request, the token, and pricing's terms.

Issuance turns the request's choice fields (:mod:`checkout_links.core.links.choices`)
into the compact :class:`~checkout_links.core.links.token.Choices` the token
carries; the cart page and order placement turn the token back into the
:class:`~checkout_links.core.pricing.Offer` that prices the customer's choice,
and a priced cart into the fields the order records.
"""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal
from typing import Any, Protocol

import msgspec

from checkout_links.core.errors import FieldError
from checkout_links.core.links.choices import DiscountIn, LinkChoicesIn
from checkout_links.core.links.token import (
    CartLine,
    Choices,
    LinkDiscount,
    LinkPayload,
    OptionalItem,
    QuantityBounds,
)
from checkout_links.core.money import MAX_AMOUNT, minor_units
from checkout_links.core.pricing import (
    MAX_OPTIONAL_ITEMS,
    MAX_QUANTITY,
    Bounds,
    Discount,
    Offer,
    Offered,
    PricedCart,
)
from checkout_links.core.records import DiscountRow, Line


class Priced(Protocol):
    """What pricing needs of a merged line: its product, unit price and quantity."""

    @property
    def product_id(self) -> str: ...
    @property
    def price(self) -> Decimal: ...
    @property
    def quantity(self) -> int: ...


def _token_discount(
    discount: DiscountIn | None, currency: str, loc: tuple[str | int, ...], errors: list[FieldError]
) -> LinkDiscount | None:
    if discount is None:
        return None
    try:
        terms = discount.terms(currency)
    except ValueError as exc:
        errors.append(FieldError((*loc, "amount"), str(exc)))
        return None
    if terms.percent is not None:
        return LinkDiscount(percent_bp=int(terms.percent * 100), label=terms.label)
    amount = terms.amount or Decimal(0)
    return LinkDiscount(amount_minor=int(amount.scaleb(minor_units(currency))), label=terms.label)


def _bounds(spec: Any) -> QuantityBounds | None:
    if spec is None or not spec.enabled:
        return None
    return QuantityBounds(spec.minimum, spec.maximum)


def build_choices(
    req: LinkChoicesIn, currency: str, optional_lines: Sequence[CartLine]
) -> tuple[Choices | None, list[FieldError]]:
    """The token's choices for ``req`` (``None`` when it offers none), and the errors found.

    ``optional_lines`` are the optional items already merged and checked as
    lines are (catalog, ``overridable``, guard rails), in request order.
    """
    if not (
        req.optional_items
        or req.discount
        or req.allow_promotion_codes
        or any(line.adjustable_quantity or line.discount for line in req.products)
    ):
        return None, []  # the common link: nothing to build, nothing to carry
    errors: list[FieldError] = []
    bounds = [_bounds(line.adjustable_quantity) for line in req.products]
    discounts = [
        _token_discount(line.discount, currency, ("body", "products", i, "discount"), errors)
        for i, line in enumerate(req.products)
    ]
    optional = [
        OptionalItem(
            line=cart_line,
            bounds=_bounds(item.adjustable_quantity),
            discount=_token_discount(
                item.discount, currency, ("body", "optional_items", j, "discount"), errors
            ),
            replaces=item.replaces,
        )
        for j, (item, cart_line) in enumerate(
            zip(req.optional_items or [], optional_lines, strict=True)
        )
    ]
    discount = _token_discount(req.discount, currency, ("body", "discount"), errors)
    choices = Choices(
        bounds=bounds if any(b is not None for b in bounds) else None,
        discounts=discounts if any(d is not None for d in discounts) else None,
        optional=optional or None,
        discount=discount,
        promotion_codes=req.allow_promotion_codes,
    )
    return (choices if choices != Choices() else None), errors


def pricing_discount(discount: LinkDiscount | None, currency: str) -> Discount | None:
    """The token's discount as pricing's terms."""
    if discount is None:
        return None
    if discount.percent_bp is not None:
        return Discount(percent=Decimal(discount.percent_bp).scaleb(-2), label=discount.label)
    minor = Decimal(discount.amount_minor or 0)
    return Discount(amount=minor.scaleb(-minor_units(currency)), label=discount.label)


def _offered(
    line: Priced,
    bounds: QuantityBounds | None,
    discount: LinkDiscount | None,
    currency: str,
    replaces: int | None = None,
) -> Offered:
    return Offered(
        product_id=line.product_id,
        price=line.price,
        quantity=line.quantity,
        bounds=Bounds(bounds.minimum, bounds.maximum) if bounds is not None else None,
        discount=pricing_discount(discount, currency),
        replaces=replaces,
    )


def offer_of(
    payload: LinkPayload, lines: Sequence[Priced], optional_lines: Sequence[Priced] = ()
) -> Offer:
    """The offer a token makes, from its merged lines and merged optional items."""
    currency, choices = payload.currency, payload.choices
    if choices is None:
        return Offer(currency, tuple(_offered(line, None, None, currency) for line in lines))
    bounds = choices.bounds or [None] * len(lines)
    discounts = choices.discounts or [None] * len(lines)
    items = choices.optional or []
    return Offer(
        currency=currency,
        lines=tuple(
            _offered(line, b, d, currency)
            for line, b, d in zip(lines, bounds, discounts, strict=True)
        ),
        optional=tuple(
            _offered(line, item.bounds, item.discount, currency, item.replaces)
            for line, item in zip(optional_lines, items, strict=True)
        ),
        discount=pricing_discount(choices.discount, currency),
    )


def optional_cart_lines(payload: LinkPayload) -> list[CartLine]:
    """The token lines of the link's optional items (to merge with the catalog)."""
    return [item.line for item in (payload.choices.optional or [])] if payload.choices else []


def chosen_lines(
    cart: PricedCart, lines: Sequence[Line], optional_lines: Sequence[Line]
) -> tuple[Line, ...]:
    """The order's lines as chosen: each merged line with the chosen quantity and amount.

    A chosen optional item says ``optional``; an up-sell names the product it replaced.
    A taxed cart (one with ``line_taxes``) adds each line's amount after
    discounts, its rate and its tax.
    """
    out = []
    taxes = cart.line_taxes or [None] * len(cart.lines)
    for priced, tax in zip(cart.lines, taxes, strict=True):
        merged = (lines if priced.source == "products" else optional_lines)[priced.index]
        changes: dict[str, Any] = {"quantity": priced.quantity, "amount": priced.amount}
        if priced.optional:
            changes["optional"] = True
        if priced.replaced is not None:
            changes["replaced"] = priced.replaced
        if tax is not None:
            changes["amount_after_discounts"] = priced.after_discounts
            changes["tax_rate_id"], changes["tax_amount"] = tax
        out.append(msgspec.structs.replace(merged, **changes))
    return tuple(out)


def discount_rows(cart: PricedCart) -> tuple[DiscountRow, ...]:
    """The cart's discounts as the order and its webhook carry them (pricing's own rows)."""
    return cart.discounts


def validate_offer(offer: Offer) -> list[FieldError]:
    """Issuance checks of an offer, as field errors under ``body`` (empty: valid).

    Bounds must hold each line's quantity, an up-sell must name an existing
    product line, and the largest cart the offer allows must stay under
    :data:`~checkout_links.core.money.MAX_AMOUNT`.
    """
    errors: list[FieldError] = []
    groups: tuple[tuple[str, tuple[Offered, ...]], ...] = (
        ("products", offer.lines),
        ("optional_items", offer.optional),
    )
    if len(offer.optional) > MAX_OPTIONAL_ITEMS:
        errors.append(
            FieldError(("body", "optional_items"), f"at most {MAX_OPTIONAL_ITEMS} optional items")
        )
    largest = Decimal(0)
    for name, items in groups:
        for i, item in enumerate(items):
            loc: tuple[str | int, ...] = ("body", name, i)
            bounds = item.bounds
            if bounds is not None and not (
                0 <= bounds.minimum <= item.quantity <= bounds.maximum <= MAX_QUANTITY
            ):
                errors.append(
                    FieldError(
                        (*loc, "adjustable_quantity"),
                        f"needs 0 <= minimum <= quantity ({item.quantity}) "
                        f"<= maximum <= {MAX_QUANTITY}",
                    )
                )
            if item.replaces is not None and not 0 <= item.replaces < len(offer.lines):
                errors.append(
                    FieldError(
                        (*loc, "replaces"),
                        f"must be the index of a product line, 0..{len(offer.lines) - 1}",
                    )
                )
            most = bounds.maximum if bounds is not None else item.quantity
            largest += item.price * most
    if not errors and largest > MAX_AMOUNT:
        errors.append(
            FieldError(
                ("body", "products"),
                f"with the largest quantities allowed the total would be over {MAX_AMOUNT}",
            )
        )
    return errors
