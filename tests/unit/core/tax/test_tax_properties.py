"""Property test: for any cart, discounts and rates, the tax and the total add up exactly."""

from __future__ import annotations

from decimal import Decimal

from hypothesis import given, settings
from hypothesis import strategies as st

from checkout_links.core.errors import ValidationFailed
from checkout_links.core.links.offers import chosen_lines
from checkout_links.core.money import minor_units
from checkout_links.core.pricing import (
    Choice,
    Discount,
    Offer,
    Offered,
    PromotionTerms,
    price,
)
from checkout_links.core.records import Line, TaxRate, TaxSettings
from checkout_links.core.tax.apply import Buyer, TaxSetup, apply_tax

CURRENCIES = ("JPY", "EUR", "KWD")
CODES = ("", "book", "food")


def _money(currency: str, low: int = 0, high: int = 10**9) -> st.SearchStrategy[Decimal]:
    """An amount in ``currency``'s minor units, as pricing receives it."""
    units = minor_units(currency)
    return st.integers(low, high).map(lambda n: Decimal(n).scaleb(-units))


def _discount(currency: str) -> st.SearchStrategy[Discount | None]:
    percent = st.integers(1, 10000).map(lambda n: Discount(percent=Decimal(n).scaleb(-2)))
    amount = _money(currency, 1, 10**7).map(lambda a: Discount(amount=a))
    return st.none() | percent | amount


@st.composite
def carts(draw: st.DrawFn) -> tuple[Offer, Choice, PromotionTerms | None, list[str], str]:
    currency = draw(st.sampled_from(CURRENCIES))
    size = draw(st.integers(1, 8))
    lines = tuple(
        Offered(
            product_id=f"p{i}",
            price=draw(_money(currency, 0, 10**8)),
            quantity=draw(st.integers(1, 50)),
            discount=draw(_discount(currency)),
        )
        for i in range(size)
    )
    offer = Offer(currency, lines, discount=draw(_discount(currency)))
    promotion = None
    promo_discount = draw(_discount(currency))
    if promo_discount is not None:
        products = draw(
            st.none() | st.frozensets(st.sampled_from([f"p{i}" for i in range(size)]), min_size=1)
        )
        promotion = PromotionTerms("CODE", promo_discount, products)
    codes = [draw(st.sampled_from(CODES)) for _ in range(size)]
    return offer, Choice(tuple(line.quantity for line in lines), ()), promotion, codes, currency


def _rates() -> st.SearchStrategy[tuple[TaxRate, ...]]:
    percent = st.integers(0, 1_000_000).map(lambda n: str(Decimal(n).scaleb(-4).normalize()))
    rate = st.builds(
        lambda i, code, p: TaxRate(
            id=f"r{i}", country="DE", tax_code=code or None, percent=p, display_name=f"R{i}"
        ),
        st.integers(0, 20),
        st.sampled_from(CODES),
        percent,
    )
    return st.lists(rate, min_size=1, max_size=5, unique_by=lambda r: r.id).map(tuple)


@settings(max_examples=300, deadline=None)
@given(carts(), _rates(), st.booleans())
def test_line_taxes_sum_to_the_tax_total_and_the_total_adds_up(
    cart_spec: tuple[Offer, Choice, PromotionTerms | None, list[str], str],
    rates: tuple[TaxRate, ...],
    inclusive: bool,
) -> None:
    """Line taxes sum to tax_total; total = subtotal - discounts (+ tax when added), exactly."""
    offer, choice, promotion, codes, currency = cart_spec
    try:
        priced = price(offer, choice, promotion)
    except ValidationFailed:  # a cart over the largest amount, or a code that applies to nothing
        return
    setup = TaxSetup(TaxSettings(prices_include_tax=inclusive), rates)
    taxed = apply_tax(priced, codes, setup, Buyer("DE"))
    quantum = Decimal(1).scaleb(-minor_units(currency))

    after = [line.after_discounts or Decimal(0) for line in taxed.lines]
    assert all(0 <= a <= line.amount for a, line in zip(after, taxed.lines, strict=True))
    discounts = sum((d.amount for d in taxed.discounts), Decimal(0))
    assert sum(after, Decimal(0)) == taxed.subtotal - discounts

    lines = tuple(
        Line(
            product_id=p.product_id,
            name=p.product_id,
            price=p.price,
            quantity=p.quantity,
            amount=p.amount,
        )
        for p in taxed.lines
    )
    order_lines = chosen_lines(taxed, lines, ())
    line_taxes = [line.tax_amount for line in order_lines]
    assert all(isinstance(tax, Decimal) for tax in line_taxes)
    assert sum(line_taxes, Decimal(0)) == taxed.tax_total
    assert sum((row.amount for row in taxed.tax), Decimal(0)) == taxed.tax_total
    expected = taxed.subtotal - discounts + (0 if inclusive else taxed.tax_total)
    assert taxed.total == expected
    for figure in (taxed.total, taxed.tax_total, *line_taxes):
        assert figure == Decimal(figure).quantize(quantum)
