"""Pricing a cart with choices (core/pricing.py): the rules, the errors and a property test."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from checkout_links.core.errors import ValidationFailed
from checkout_links.core.links.offers import validate_offer
from checkout_links.core.money import minor_units
from checkout_links.core.pricing import (
    Bounds,
    Choice,
    Discount,
    Offer,
    Offered,
    PricedCart,
    PromotionTerms,
    default_choice,
    parse_choice,
    price,
)

D = Decimal


def basic() -> Offer:
    """Two seats (2..10) at 12.50 and a fixed kit; a support add-on; a Pro up-sell for line 0."""
    return Offer(
        currency="EUR",
        lines=(
            Offered("seat", D("12.50"), 2, Bounds(0, 10)),
            Offered("kit", D("49.90"), 1),
        ),
        optional=(
            Offered("support", D("95.00"), 1, Bounds(1, 5)),
            Offered("pro-seat", D("20.00"), 2, replaces=0),
            Offered("team-seat", D("18.00"), 3, replaces=0),
        ),
    )


def locs(exc: pytest.ExceptionInfo[ValidationFailed]) -> list[list[Any]]:
    assert exc.value.errors is not None
    return [list(err.loc) for err in exc.value.errors]


def test_the_cart_as_issued_prices_every_line_at_its_quantity() -> None:
    """With no choice made, the lines are the issued ones and total = subtotal."""
    cart = price(basic(), default_choice(basic()))
    assert [(line.product_id, line.quantity, line.amount) for line in cart.lines] == [
        ("seat", 2, D("25.00")),
        ("kit", 1, D("49.90")),
    ]
    assert cart.subtotal == cart.total == D("74.90")
    assert cart.discounts == ()


def test_a_quantity_within_bounds_is_priced_and_zero_removes_the_line() -> None:
    """qty 7 of a 0..10 line costs 7 units; qty 0 takes the line out of the cart."""
    assert price(basic(), Choice((7, 1), (0, 0, 0))).lines[0].amount == D("87.50")
    cart = price(basic(), Choice((0, 1), (0, 0, 0)))
    assert [line.product_id for line in cart.lines] == ["kit"]
    assert cart.total == D("49.90")


def test_quantities_outside_the_offer_are_refused_with_the_field_named() -> None:
    """Over the maximum, a changed fixed line and a wrong fixed offer quantity all fail."""
    with pytest.raises(ValidationFailed) as exc:
        price(basic(), Choice((11, 2), (9, 0, 0)))
    assert locs(exc) == [["form", "opt_0"], ["form", "qty_0"], ["form", "qty_1"]]
    assert exc.value.errors is not None
    assert exc.value.errors[1].msg == "Choose a quantity from 0 to 10."
    assert exc.value.errors[1].params == {"minimum": 0, "maximum": 10}


def test_an_up_sell_takes_its_lines_place_and_names_what_it_replaced() -> None:
    """Choosing the Pro up-sell swaps out line 0, in line 0's place, whatever qty_0 says."""
    cart = price(basic(), Choice((99, 1), (0, 2, 0)))
    assert [(line.product_id, line.optional, line.replaced) for line in cart.lines] == [
        ("pro-seat", True, "seat"),
        ("kit", False, None),
    ]
    assert cart.total == D("89.90")


def test_two_up_sells_for_the_same_line_are_refused() -> None:
    """Only one upgrade may replace a line."""
    with pytest.raises(ValidationFailed) as exc:
        price(basic(), Choice((2, 1), (0, 2, 3)))
    assert locs(exc) == [["form", "opt_2"]]


def test_an_optional_item_is_added_after_the_lines() -> None:
    """A chosen add-on is appended, marked optional, within its bounds."""
    cart = price(basic(), Choice((2, 1), (3, 0, 0)))
    assert [(line.product_id, line.quantity, line.optional) for line in cart.lines][-1] == (
        "support",
        3,
        True,
    )
    assert cart.total == D("359.90")


def test_an_empty_cart_is_refused() -> None:
    """Removing every line leaves nothing to buy: refused."""
    offer = Offer("EUR", (Offered("seat", D("12.50"), 2, Bounds(0, 10)),))
    with pytest.raises(ValidationFailed) as exc:
        price(offer, Choice((0,), ()))
    assert locs(exc) == [["form"]]


def test_discounts_apply_in_order_and_never_compound() -> None:
    """Line, then cart, then promotion: percents of their bases, each rounded once."""
    offer = Offer(
        "EUR",
        (
            Offered("seat", D("10.00"), 3, discount=Discount(percent=D("10"), label="Bulk")),
            Offered("kit", D("5.00"), 1),
        ),
        discount=Discount(amount=D("2.00")),
    )
    promo = PromotionTerms("SPRING", Discount(percent=D("50")), frozenset({"kit"}))
    cart = price(offer, default_choice(offer), promo)
    assert cart.subtotal == D("35.00")
    assert [(d.label, d.amount, d.applies_to, d.line) for d in cart.discounts] == [
        ("Bulk", D("3.00"), "line", 0),
        (None, D("2.00"), "cart", None),
        ("SPRING", D("2.50"), "promotion", None),
    ]
    assert cart.total == D("27.50")
    assert cart.promotion_code == "SPRING"


def test_rounding_is_half_up_once_per_discount() -> None:
    """25% of 0.10 EUR is 0.025: the discount is 0.03 (half-up, not half-even), the total 0.07."""
    offer = Offer("EUR", (Offered("x", D("0.10"), 1),), discount=Discount(percent=D("25")))
    cart = price(offer, default_choice(offer))
    assert (cart.discounts[0].amount, cart.total) == (D("0.03"), D("0.07"))


def test_zero_decimal_currencies_round_to_whole_units() -> None:
    """12.5% of 1,004 JPY is 125.5 yen: 126 off, 878 to pay, no fraction digits."""
    offer = Offer("JPY", (Offered("x", D("1004"), 1),), discount=Discount(percent=D("12.5")))
    cart = price(offer, default_choice(offer))
    assert (str(cart.discounts[0].amount), str(cart.total)) == ("126", "878")


def test_a_discount_larger_than_the_cart_makes_it_free_not_negative() -> None:
    """An amount off bigger than what is left is cut to it: total 0.00."""
    offer = Offer("EUR", (Offered("x", D("3.00"), 1),), discount=Discount(amount=D("5.00")))
    promo = PromotionTerms("MORE", Discount(amount=D("1.00")))
    cart = price(offer, default_choice(offer), promo)
    assert [d.amount for d in cart.discounts] == [D("3.00"), D("0.00")]
    assert str(cart.total) == "0.00"


def test_a_promotion_for_products_not_in_the_cart_does_not_apply() -> None:
    """A code restricted to other original products is refused on promo_code."""
    promo = PromotionTerms("KITONLY", Discount(percent=D("10")), frozenset({"kit"}))
    assert price(basic(), default_choice(basic()), promo).discounts[0].amount == D("4.99")
    with pytest.raises(ValidationFailed) as exc:
        price(Offer("EUR", (Offered("seat", D("1.00")),)), Choice((1,), ()), promo)
    assert locs(exc) == [["form", "promo_code"]]


def test_form_quantities_are_read_and_missing_fields_keep_the_issued_choice() -> None:
    """qty_0 is read, qty_1 and unsent opt_j keep the issued quantity / not chosen."""
    assert parse_choice(basic(), {"qty_0": " 4 ", "opt_1": "2"}) == Choice((4, 1), (0, 2, 0))


@pytest.mark.parametrize("text", ["-1", "2.0", "", "1e3", "٣", "12345678"])
def test_form_quantities_that_are_not_whole_numbers_are_refused(text: str) -> None:
    """Signs, fractions, exponents, non-ASCII digits and huge numbers are not quantities."""
    with pytest.raises(ValidationFailed) as exc:
        parse_choice(basic(), {"qty_0": text})
    assert locs(exc) == [["form", "qty_0"]]


def test_issuance_refuses_bounds_that_do_not_hold_the_quantity_and_bad_up_sells() -> None:
    """minimum > quantity and replaces out of range are both reported under body."""
    offer = Offer(
        "EUR",
        (Offered("seat", D("1.00"), 2, Bounds(3, 9)),),
        optional=(Offered("pro", D("2.00"), replaces=1),),
    )
    assert [e.loc for e in validate_offer(offer)] == [
        ("body", "products", 0, "adjustable_quantity"),
        ("body", "optional_items", 0, "replaces"),
    ]


def test_issuance_refuses_an_offer_whose_largest_cart_is_too_large() -> None:
    """10^12 at up to 10 units could total over the maximum amount: refused."""
    offer = Offer("EUR", (Offered("x", D("999999999999"), 1, Bounds(1, 10)),))
    assert [e.loc for e in validate_offer(offer)] == [("body", "products")]
    assert validate_offer(basic()) == []


# --- the property test -------------------------------------------------------

CURRENCIES = ("JPY", "EUR", "KWD")


@st.composite
def discounts(draw: st.DrawFn, units: int) -> Discount | None:
    kind = draw(st.sampled_from(["none", "percent", "amount"]))
    if kind == "none":
        return None
    if kind == "percent":
        # Percents that often land on exactly half a minor unit, so the rounding rule shows.
        halves = st.sampled_from([5000, 2500, 1250, 500, 250, 50])
        hundredths = draw(halves | st.integers(1, 10_000))
        return Discount(percent=D(hundredths).scaleb(-2))
    return Discount(amount=D(draw(st.integers(1, 10**7))).scaleb(-units))


@st.composite
def carts(draw: st.DrawFn) -> tuple[Offer, Choice, PromotionTerms | None]:
    currency = draw(st.sampled_from(CURRENCIES))
    units = minor_units(currency)

    def item(replaces: int | None = None) -> Offered:
        quantity = draw(st.integers(1, 50))
        bounds = draw(st.none() | st.just(Bounds(0, quantity + draw(st.integers(0, 50)))))
        return Offered(
            product_id=draw(st.sampled_from(["a", "b", "c"])),
            price=D(draw(st.integers(0, 99) | st.integers(0, 10**8))).scaleb(-units),
            quantity=quantity,
            bounds=bounds,
            discount=draw(discounts(units)),
            replaces=replaces,
        )

    lines = tuple(item() for _ in range(draw(st.integers(1, 6))))
    optional = tuple(
        item(draw(st.none() | st.integers(0, len(lines) - 1)))
        for _ in range(draw(st.integers(0, 4)))
    )
    offer = Offer(currency, lines, optional, draw(discounts(units)))

    def pick(line: Offered, is_optional: bool) -> int:
        if line.bounds is None:
            return draw(st.sampled_from([0, line.quantity])) if is_optional else line.quantity
        low = max(1, line.bounds.minimum) if is_optional else line.bounds.minimum
        options = st.integers(low, line.bounds.maximum)
        return draw(st.just(0) | options) if is_optional else draw(options)

    quantities = tuple(pick(line, False) for line in lines)
    chosen: list[int] = []
    taken: set[int] = set()
    for item_ in optional:
        qty = pick(item_, True)
        if item_.replaces is not None and (item_.replaces in taken):
            qty = 0
        if qty and item_.replaces is not None:
            taken.add(item_.replaces)
        chosen.append(qty)
    promo_discount = draw(discounts(units))
    promo = None
    if promo_discount is not None:
        restrict = draw(st.none() | st.frozensets(st.sampled_from(["a", "b", "c"]), min_size=1))
        promo = PromotionTerms("CODE", promo_discount, restrict)
    return offer, Choice(quantities, tuple(chosen)), promo


def _half_up(numerator: int, denominator: int) -> int:
    """round(numerator / denominator) with halves up, in integers (an oracle without Decimal)."""
    return (2 * numerator + denominator) // (2 * denominator)


def oracle(offer: Offer, choice: Choice, promo: PromotionTerms | None) -> list[int] | list[Any]:
    """The figures in integer minor units, computed independently: lines, discounts, total.

    A cart the rules refuse is the ``loc`` of the refusal instead.
    """
    scale = 10 ** minor_units(offer.currency)

    def minor(amount: Decimal) -> int:
        return int(amount * scale)

    def take(discount: Discount, base: int) -> int:
        if discount.percent is not None:
            return min(base, _half_up(base * int(discount.percent * 100), 10_000))
        return min(base, minor(discount.amount or D(0)))

    upsell = {
        item.replaces: (j, item)
        for j, item in enumerate(offer.optional)
        if item.replaces is not None and choice.optional[j]
    }
    rows: list[tuple[Offered, int]] = []
    for i, line in enumerate(offer.lines):
        if i in upsell:
            j, item = upsell[i]
            rows.append((item, choice.optional[j]))
        elif choice.quantities[i]:
            rows.append((line, choice.quantities[i]))
    for j, item in enumerate(offer.optional):
        if item.replaces is None and choice.optional[j]:
            rows.append((item, choice.optional[j]))
    if not rows:
        return ["form"]
    amounts = [minor(line.price) * qty for line, qty in rows]
    figures = list(amounts)
    net = []
    for (line, _), amount in zip(rows, amounts, strict=True):
        off = take(line.discount, amount) if line.discount else 0
        if line.discount:
            figures.append(off)
        net.append(amount - off)
    left = sum(net)
    if offer.discount:
        off = take(offer.discount, left)
        figures.append(off)
        left -= off
    if promo:
        eligible = [
            amount
            for (line, _), amount in zip(rows, net, strict=True)
            if promo.products is None or line.product_id in promo.products
        ]
        if not eligible:
            return ["form", "promo_code"]
        off = min(left, take(promo.discount, sum(eligible)))
        figures.append(off)
        left -= off
    return [*figures, sum(amounts), left]


def figures_of(cart: PricedCart) -> list[Decimal]:
    return [
        *(line.amount for line in cart.lines),
        *(d.amount for d in cart.discounts),
        cart.subtotal,
        cart.total,
    ]


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(carts())
def test_priced_figures_are_exact_in_every_currency(
    case: tuple[Offer, Choice, PromotionTerms | None],
) -> None:
    """Random carts, choices and discounts in JPY/EUR/KWD: the figures equal an integer
    oracle to the minor unit, total = subtotal - discounts >= 0, every amount has exactly
    the currency's minor-unit digits."""
    offer, choice, promo = case
    expected = oracle(offer, choice, promo)
    if expected and isinstance(expected[0], str):
        # The only refusals of a choice the offer allows: nothing left in the
        # cart, or a restricted code none of the chosen lines qualifies for.
        with pytest.raises(ValidationFailed) as exc:
            price(offer, choice, promo)
        assert locs(exc) == [expected]
        return
    cart = price(offer, choice, promo)
    units = minor_units(offer.currency)
    scale = 10**units
    assert [int(figure * scale) for figure in figures_of(cart)] == expected
    assert cart.total == cart.subtotal - sum((d.amount for d in cart.discounts), D(0))
    assert cart.total >= 0
    for figure in figures_of(cart):
        assert figure.as_tuple().exponent == -units, (figure, offer.currency)
