"""Money parsing, minor units from Babel, and exact Decimal arithmetic."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest

from checkout_links.core.money import (
    MAX_AMOUNT,
    check_currency,
    format_money,
    minor_units,
    parse_amount,
    quantize,
)


@pytest.mark.parametrize(
    ("currency", "digits"), [("JPY", 0), ("EUR", 2), ("USD", 2), ("KWD", 3), ("BHD", 3)]
)
def test_minor_units_come_from_babel(currency: str, digits: int) -> None:
    """Each currency's number of decimal places is the ISO 4217 one (JPY 0, EUR 2, KWD 3...)."""
    assert minor_units(currency) == digits


@pytest.mark.parametrize(
    ("text", "currency", "expected"),
    [
        ("19.99", "EUR", "19.99"),
        ("19.9", "EUR", "19.90"),
        ("19", "EUR", "19.00"),
        ("0", "EUR", "0.00"),
        ("1500", "JPY", "1500"),
        ("1.234", "KWD", "1.234"),
        ("1.5", "BHD", "1.500"),
        ("999999999999.99", "EUR", "999999999999.99"),
    ],
)
def test_valid_amounts_parse_to_exact_decimals(text: str, currency: str, expected: str) -> None:
    """A plain decimal string parses to a Decimal with exactly the currency's digits."""
    amount = parse_amount(text, currency)
    assert isinstance(amount, Decimal)
    assert str(amount) == expected


@pytest.mark.parametrize(
    ("text", "currency"),
    [("1.234", "EUR"), ("10.5", "JPY"), ("0.001", "USD"), ("1.2345", "KWD"), ("1.0", "JPY")],
)
def test_too_many_fraction_digits_are_refused(text: str, currency: str) -> None:
    """More decimal places than the currency has is refused with a message naming the limit
    (a currency without minor units says it has none)."""
    digits = minor_units(currency)
    limit = f"{currency} allows at most {digits} decimal places" if digits else f"{currency} has no"
    with pytest.raises(ValueError, match=limit):
        parse_amount(text, currency)


@pytest.mark.parametrize("value", [10, 10.5, Decimal("10.50"), None, True])
def test_numbers_are_refused(value: Any) -> None:
    """Money must be a string; a JSON number (int, float) or any non-string is refused."""
    with pytest.raises(ValueError, match="decimal string"):
        parse_amount(value, "EUR")


@pytest.mark.parametrize(
    "text",
    [
        "1e3",
        "1E3",
        "1.5e-1",
        "-1.00",
        "-0",
        "+1.00",
        "1,00",
        "1 000",
        "1_000",
        "0x10",
        "NaN",
        "Infinity",
        "",
        " ",
        ".",
        "1.2.3",
        "١٢",  # Arabic-Indic digits: Decimal() would take them
        "\uff11\uff12",  # fullwidth digits: likewise
    ],
)
def test_non_plain_amounts_are_refused(text: str) -> None:
    """Exponents, signs, separators, special values and non-ASCII digits are refused."""
    with pytest.raises(ValueError, match="decimal amount"):
        parse_amount(text, "EUR")


def test_too_large_amounts_are_refused() -> None:
    """An amount above MAX_AMOUNT is refused; MAX_AMOUNT itself (in KWD) is accepted."""
    with pytest.raises(ValueError, match="maximum"):
        parse_amount("1000000000000", "EUR")
    with pytest.raises(ValueError, match="maximum"):
        parse_amount("9" * 40, "JPY")
    assert parse_amount(str(MAX_AMOUNT), "KWD") == MAX_AMOUNT


def test_three_times_ten_cents_is_exactly_thirty_cents() -> None:
    """3 x "0.10" is exactly "0.30" (no binary floating point anywhere)."""
    price = parse_amount("0.10", "EUR")
    assert str(price * 3) == "0.30"
    assert price + price + price == Decimal("0.30")


def test_million_times_large_price_is_exact() -> None:
    """1,000,000 x "999.99" is exactly "999990000.00", and a 100-line sum stays exact."""
    price = parse_amount("999.99", "EUR")
    assert str(price * 1_000_000) == "999990000.00"
    top = parse_amount("999999999999.99", "EUR")
    assert str(sum([top * 1_000_000] * 100, Decimal(0))) == "99999999999999000000.00"


def test_quantize_pads_without_rounding() -> None:
    """quantize gives the currency's digits: "1.5" EUR is "1.50", "2" KWD is "2.000"."""
    assert str(quantize(Decimal("1.5"), "EUR")) == "1.50"
    assert str(quantize(Decimal("2"), "KWD")) == "2.000"
    assert str(quantize(Decimal("1500"), "JPY")) == "1500"


@pytest.mark.parametrize("code", ["EUR", "JPY", "KWD", "USD", "CHF"])
def test_known_currencies_pass(code: str) -> None:
    """ISO 4217 codes Babel knows are accepted as they are."""
    assert check_currency(code) == code


@pytest.mark.parametrize("code", ["XYZ", "ABC", "eur", "EURO", ""])
def test_unknown_currencies_are_refused(code: str) -> None:
    """Codes that are not ISO 4217 currencies (or not upper case) are refused."""
    with pytest.raises(ValueError, match="unknown currency"):
        check_currency(code)


def test_format_money_follows_the_locale_and_falls_back() -> None:
    """1249 EUR is "1.249,00 €" in German, and an unknown locale falls back to English."""
    assert format_money(Decimal("1249.00"), "EUR", "de") == "1.249,00\xa0€"
    assert format_money(Decimal("1249.00"), "EUR", "zz_ZZ") == "€1,249.00"
    assert format_money(Decimal("1500"), "JPY", None) == "¥1,500"


def _latin_page_locales() -> list[str]:
    """The CLDR locale of every page language whose digits are Latin (the others below)."""
    from checkout_links.core.i18n.locales import SUPPORTED, page_locale
    from checkout_links.core.primitives import digits

    babel = {page.babel for tag in SUPPORTED if (page := page_locale(tag)) is not None}
    return sorted(b for b in babel if digits.numbering_system(b) == "latn")


@pytest.mark.parametrize(
    "locale",
    sorted(
        {"en", "de", "fr", "de_CH", "en_IN", "hi", "ja", "ar", "he", "pt_BR"}
        | set(_latin_page_locales())
    ),
)
@pytest.mark.parametrize("currency", ["EUR", "JPY", "KWD", "USD", "INR", "CHF"])
def test_fast_money_format_matches_babel(locale: str, currency: str) -> None:
    """The cached formatter prints exactly what Babel's format_currency prints, in every
    page locale with Latin digits (groups of three and India's 3;2 alike)."""
    from babel.numbers import format_currency

    from checkout_links.core.money import format_money, quantize

    for raw in ("0", "0.5", "7", "1234.5", "999999.99", "1234567.891", "100000000000"):
        amount = quantize(Decimal(raw), currency)
        assert format_money(amount, currency, locale) == format_currency(
            amount, currency, locale=locale
        )


# CLDR (common/main/fa.xml, ar.xml, ar_EG.xml, th.xml): fa's default numbering
# system is arabext (digits U+06F0-U+06F9, decimal U+066B, group U+066C); since
# CLDR 42 ar's is latn while ar-EG keeps arab (U+0660-U+0669, same separators);
# th's is latn (Thai digits are only its "native" alternative).
@pytest.mark.parametrize(
    ("locale", "currency", "number"),
    [
        ("fa", "EUR", "\u06f1\u066c\u06f2\u06f3\u06f4\u066c\u06f5\u06f6\u06f7\u066b\u06f5\u06f0"),
        ("fa", "JPY", "\u06f1\u066c\u06f2\u06f3\u06f4\u066c\u06f5\u06f6\u06f8"),
        (
            "ar_EG",
            "EUR",
            "\u0661\u066c\u0662\u0663\u0664\u066c\u0665\u0666\u0667\u066b\u0665\u0660",
        ),
        ("ar", "EUR", "1,234,567.50"),
        ("th", "EUR", "1,234,567.50"),
    ],
)
def test_amounts_use_the_digits_and_separators_of_the_locales_cldr_numbering_system(
    locale: str, currency: str, number: str
) -> None:
    """Persian pages show Persian digits, Egyptian Arabic ones Arabic-Indic, ar and th 0-9."""
    text = format_money(quantize(Decimal("1234567.50"), currency), currency, locale)
    assert number in text
    if number[0] != "1":
        assert not any(c.isascii() and c.isdigit() for c in text), text
