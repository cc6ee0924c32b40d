"""The tax of a cart (core/tax/apply.py): rate selection, reverse charge, rounding, totals."""

from __future__ import annotations

from decimal import Decimal

import pytest

from checkout_links.core.pricing import (
    Discount,
    Offer,
    Offered,
    allocate,
    default_choice,
    price,
)
from checkout_links.core.records import TaxRate, TaxSettings
from checkout_links.core.tax.apply import (
    Buyer,
    TaxSetup,
    apply_tax,
    reverse_charge,
    select_rate,
    vat_id_of,
)

D = Decimal
#: A valid French VAT number (checksum) and a valid German one.
FR_VAT = "FR40303265045"
DE_VAT = "DE136695976"


def rate(rate_id: str, country: str, percent: str, **more: object) -> TaxRate:
    return TaxRate(id=rate_id, country=country, percent=percent, display_name=rate_id, **more)  # type: ignore[arg-type]


RATES = (
    rate("us-ca", "US", "7.25", region="CA"),
    rate("de-books", "DE", "7", tax_code="book"),
    rate("de", "DE", "19"),
    rate("de-old", "DE", "16", active=False),
    rate("us-ca-food", "US", "0", region="ca", tax_code="food"),
    rate("us-food", "US", "1", tax_code="food"),
    rate("fr", "FR", "20"),
)


@pytest.mark.parametrize(
    ("country", "region", "code", "expected"),
    [
        ("DE", "", "", "de"),  # the country's rate for every product
        ("DE", "", "book", "de-books"),  # the product's tax code beats the general rate
        ("DE", "Bayern", "software", "de"),  # another code: the general rate
        ("US", "CA", "", "us-ca"),  # the region's rate
        ("US", "ny", "", None),  # a region with no rate: none, never another region's
        ("US", "Ca", "food", "us-ca-food"),  # code and region beat code alone; any case
        ("US", "NY", "food", "us-food"),
        ("AT", "", "", None),  # no rate for the country: no tax
    ],
)
def test_the_most_specific_active_rate_applies(
    country: str, region: str, code: str, expected: str | None
) -> None:
    """A rate for the tax code beats one for all products, a region's beats the country's."""
    chosen = select_rate(RATES, country, region, code)
    assert (chosen.id if chosen else None) == expected


def test_an_inactive_rate_never_applies_and_equal_rates_settle_by_id() -> None:
    """Without its active rate a country has none; two equally specific rates: the smaller id."""
    assert select_rate((rate("x", "DE", "16", active=False),), "DE", "", "") is None
    twins = (rate("b", "DE", "19"), rate("a", "DE", "7"))
    chosen = select_rate(twins, "DE", "", "")
    assert chosen is not None
    assert chosen.id == "a"


@pytest.mark.parametrize(
    ("country", "tax_id", "valid"),
    [
        ("FR", FR_VAT, True),
        ("FR", "fr 40 303 265 045", True),  # spaces and case as people type them
        ("FR", "40303265045", True),  # without the prefix: the country's
        ("FR", "FR40303265046", False),  # wrong check digits
        ("FR", DE_VAT, False),  # a German number is no French business
        ("US", "123456789", False),  # outside the EU
        ("FR", "", False),
    ],
)
def test_a_vat_id_counts_when_valid_in_form_and_checksum_for_its_country(
    country: str, tax_id: str, valid: bool
) -> None:
    """python-stdnum decides the format and checksum; the prefix must be the customer's country."""
    assert (vat_id_of(country, tax_id) is not None) is valid


EU_SELLER = TaxSettings(origin_country="DE", reverse_charge=True)


@pytest.mark.parametrize(
    ("settings", "buyer", "applies"),
    [
        (EU_SELLER, Buyer("FR", tax_id=FR_VAT), True),
        (EU_SELLER, Buyer("FR", tax_id=""), False),  # a consumer
        (EU_SELLER, Buyer("DE", tax_id=DE_VAT), False),  # the seller's own country
        (EU_SELLER, Buyer("FR", tax_id="FR00000000000"), False),  # bad checksum
        (TaxSettings(origin_country="DE"), Buyer("FR", tax_id=FR_VAT), False),  # setting off
        (TaxSettings(origin_country="CH", reverse_charge=True), Buyer("FR", tax_id=FR_VAT), False),
    ],
)
def test_the_reverse_charge_needs_an_eu_business_in_another_eu_country(
    settings: TaxSettings, buyer: Buyer, applies: bool
) -> None:
    """Reverse charge: setting on, EU seller, customer in another EU country, valid VAT id."""
    assert reverse_charge(settings, buyer) is applies


def _cart(currency: str, prices: list[str], discount: Discount | None = None) -> Offer:
    return Offer(
        currency,
        tuple(Offered(f"p{i}", D(p), 1) for i, p in enumerate(prices)),
        discount=discount,
    )


def test_exclusive_tax_is_added_per_line_after_the_cart_discount() -> None:
    """EUR, 10 % off 10.00 + 5.05: line bases 9.00 and 4.54/4.55, 19 % each, rounded half-up."""
    offer = _cart("EUR", ["10.00", "5.05"], Discount(percent=D("10")))
    cart = price(offer, default_choice(offer))
    assert [line.after_discounts for line in cart.lines] == [D("9.00"), D("4.54")]
    taxed = apply_tax(cart, ["", ""], TaxSetup(TaxSettings(), RATES), Buyer("DE"))
    assert taxed.line_taxes == (("de", D("1.71")), ("de", D("0.86")))
    assert [(r.rate_id, r.amount) for r in taxed.tax] == [("de", D("2.57"))]
    assert taxed.tax_total == D("2.57")
    assert taxed.total == cart.total + D("2.57") == D("16.11")


def test_inclusive_prices_keep_the_total_and_show_the_tax_contained() -> None:
    """JPY with prices incl. 10 %: 1,100 contains 100; the total stays 1,100."""
    offer = _cart("JPY", ["1100"])
    cart = price(offer, default_choice(offer))
    setup = TaxSetup(TaxSettings(prices_include_tax=True), (rate("jp", "JP", "10"),))
    taxed = apply_tax(cart, [""], setup, Buyer("JP"))
    assert (taxed.tax_total, taxed.total, taxed.prices_include_tax) == (D("100"), D("1100"), True)


def test_the_reverse_charge_removes_the_tax_and_says_so() -> None:
    """A French business buying from a German seller pays no tax; the cart says reverse charge."""
    offer = _cart("EUR", ["100.00"])
    cart = price(offer, default_choice(offer))
    taxed = apply_tax(cart, [""], TaxSetup(EU_SELLER, RATES), Buyer("FR", tax_id=FR_VAT))
    assert (taxed.reverse_charge, taxed.tax, taxed.tax_total, taxed.total) == (
        True,
        (),
        D("0.00"),
        D("100.00"),
    )
    consumer = apply_tax(cart, [""], TaxSetup(EU_SELLER, RATES), Buyer("FR"))
    assert (consumer.reverse_charge, consumer.tax_total, consumer.total) == (
        False,
        D("20.00"),
        D("120.00"),
    )


def test_a_line_without_a_rate_is_untaxed_beside_one_with_a_rate() -> None:
    """Rates by tax code: a book at 7 %, a service with no US rate; one row per rate used."""
    offer = _cart("KWD", ["10.005", "3.333"])
    cart = price(offer, default_choice(offer))
    taxed = apply_tax(cart, ["book", "food"], TaxSetup(TaxSettings(), RATES), Buyer("DE"))
    assert taxed.line_taxes == (("de-books", D("0.700")), ("de", D("0.633")))
    assert [r.rate_id for r in taxed.tax] == ["de-books", "de"]


@pytest.mark.parametrize(
    ("off", "bases", "shares"),
    [
        # 1.00 over three equal lines: 0.33 each leaves 0.01, to the first of the largest.
        ("1.00", ["1.00", "1.00", "1.00"], ["0.34", "0.33", "0.33"]),
        # 0.03 over 1.00 and 3.00: 0.0075 -> 0.01 and 0.0225 -> 0.02 sum exactly.
        ("0.03", ["1.00", "3.00"], ["0.01", "0.02"]),
        # 0.02 over three: 0.0067 each rounds to 0.01 (0.03): the largest base gives one back.
        ("0.02", ["1.00", "1.00", "1.01"], ["0.01", "0.01", "0.00"]),
        # All of it: each base in full.
        ("5.00", ["2.00", "3.00"], ["2.00", "3.00"]),
        ("0.00", ["2.00", "3.00"], ["0.00", "0.00"]),
    ],
)
def test_allocation_is_pro_rata_half_up_and_sums_exactly(
    off: str, bases: list[str], shares: list[str]
) -> None:
    """Shares are rounded half-up; the rest moves a minor unit at a time, largest base first."""
    got = allocate(D(off), [D(b) for b in bases], "EUR")
    assert got == [D(s) for s in shares]
    assert sum(got, D(0)) == D(off)
