"""Money as ``Decimal``: parsing, minor-unit checks and formatting.

The minor units come from Babel's copy of the CLDR/ISO 4217 data, so JPY has
0 digits, EUR 2 and KWD 3 without a hand-kept table.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from decimal import Decimal, InvalidOperation
from functools import lru_cache

from babel.core import Locale, UnknownLocaleError
from babel.numbers import format_currency, get_currency_precision, list_currencies

from checkout_links.core.primitives import digits

#: The largest amount we accept for one unit price or one cart total.
MAX_AMOUNT = Decimal("999999999999.999")


@lru_cache(maxsize=1)
def _known() -> frozenset[str]:
    return frozenset(list_currencies())


def check_currency(code: str) -> str:
    """Return ``code`` if it is an ISO 4217 currency Babel knows; else raise ``ValueError``."""
    if code not in _known():
        raise ValueError(f"{code} is an unknown currency: use an ISO 4217 code such as EUR.")
    return code


@lru_cache(maxsize=512)
def minor_units(currency: str) -> int:
    """Number of digits after the decimal point for ``currency`` (EUR → 2, JPY → 0)."""
    return int(get_currency_precision(currency))


#: Digits, optionally a point and more digits: no sign, exponent or spaces.
_PLAIN = re.compile(r"[0-9]+(?:\.([0-9]*))?|\.([0-9]+)")


def parse_amount(value: str, currency: str) -> Decimal:
    """Parse a decimal money string for ``currency``; raises ``ValueError`` with a clear message.

    Rejects JSON numbers (callers pass strings only), exponents, signs other
    than none, and more fraction digits than the currency's minor units.
    """
    if not isinstance(value, str):
        raise ValueError('Send money as a decimal string such as "19.99", not as a number.')
    return _parse_text(value, currency)


def _too_precise(currency: str, digits: int) -> str:
    """The one sentence for an amount with more decimals than ``currency`` has."""
    if digits == 0:
        return f'{currency} has no decimal places: write a whole amount such as "1500".'
    places = "1 decimal place" if digits == 1 else f"{digits} decimal places"
    return f"{currency} allows at most {places}: round the amount."


# Cached: every cart page and issuance parses its catalog prices again, and
# the result is an immutable Decimal (a refused amount raises, not cached).
@lru_cache(maxsize=4096)
def _parse_text(value: str, currency: str) -> Decimal:
    text = value.strip()
    match = _PLAIN.fullmatch(text)
    if match is None:
        raise ValueError('Write the amount as a plain decimal amount such as "19.99".')
    digits = minor_units(currency)
    if len(match.group(1) or "") > digits:
        raise ValueError(_too_precise(currency, digits))
    try:
        amount = Decimal(text)
    except InvalidOperation as exc:
        raise ValueError('Write the amount as a decimal amount such as "19.99".') from exc
    if amount > MAX_AMOUNT:
        raise ValueError(f"Use an amount of at most the maximum of {MAX_AMOUNT}.")
    return quantize(amount, currency)


def quantize(amount: Decimal, currency: str) -> Decimal:
    """``amount`` with exactly the currency's minor-unit digits (exact, no rounding needed)."""
    return amount.quantize(_quantum(currency))


@lru_cache(maxsize=512)
def _quantum(currency: str) -> Decimal:
    return Decimal(1).scaleb(-minor_units(currency))


def format_money(amount: Decimal | str, currency: str, locale: str | None) -> str:
    """Human formatting for a page, e.g. ``1.249,00 €`` for ``de``: exactly Babel's output,
    in the digits of the locale's CLDR numbering system (Persian digits for ``fa``)."""
    amount = Decimal(amount)
    locale = locale or "en"
    formatter = _formatter(currency, locale)
    text = formatter(amount) if formatter is not None else _babel_format(amount, currency, locale)
    return digits.native(text, locale)


def _babel_format(amount: Decimal, currency: str, locale: str) -> str:
    """Babel's formatting with the symbols of the numbering system :func:`digits.native` writes."""
    system = "latn" if digits.numbering_system(locale) == "latn" else "default"
    try:
        return str(format_currency(amount, currency, locale=locale, numbering_system=system))
    except (ValueError, LookupError, UnknownLocaleError):
        return str(format_currency(amount, currency, locale="en"))


def _group(digits: str, primary: int, secondary: int, sep: str) -> str:
    if len(digits) <= primary:
        return digits
    head, tail = digits[:-primary], digits[-primary:]
    groups = []
    while len(head) > secondary:
        groups.append(head[-secondary:])
        head = head[:-secondary]
    groups.append(head)
    return sep.join(reversed(groups)) + sep + tail


@lru_cache(maxsize=1024)
def _formatter(currency: str, locale: str) -> Callable[[Decimal], str] | None:
    """A fast formatter equivalent to Babel's for one (currency, locale), or ``None``.

    Babel re-reads the locale's pattern on every call (~150 µs, a dozen times
    per cart page). We let Babel format a probe amount once, take the prefix,
    suffix and symbols from its output, and check the result against Babel on
    a few amounts; any mismatch falls back to Babel itself.
    """
    try:
        grouping = Locale.parse(locale.replace("-", "_")).currency_formats["standard"].grouping
    except (ValueError, LookupError, UnknownLocaleError, AttributeError):
        return None
    digits = minor_units(currency)
    probe = quantize(Decimal("1234567.891"), currency)
    text = _babel_format(probe, currency, locale)
    first, last = text.find("1"), text.rfind(str(probe)[-1])
    if first < 0 or last < first:
        return None
    prefix, suffix, body = text[:first], text[last + 1 :], text[first : last + 1]
    group = body[1 : body.find("2")] if grouping[0] == 3 and grouping[1] == 3 else None
    if group is None:
        group = body[body.find("4") + 1 : body.find("5")]
    decimal = body[body.rfind("7") + 1 : body.rfind("8")] if digits else ""
    primary, secondary = grouping

    quantum = _quantum(currency)

    def fmt(amount: Decimal) -> str:
        whole, _, frac = f"{amount.quantize(quantum):f}".partition(".")
        number = _group(whole, primary, secondary, group)
        return prefix + number + (decimal + frac if frac else "") + suffix

    for check in (probe, Decimal(0), Decimal("5.5"), Decimal("100000"), Decimal("999999999.99")):
        if check < 0 or fmt(check) != _babel_format(quantize(check, currency), currency, locale):
            return None
    return fmt
