"""An order's total as Stripe counts it: an integer in the currency's smallest unit.

Stripe's rules (docs.stripe.com/currencies, "Minor units in API amounts"):

- most currencies: hundredths (EUR 12.34 → 1234);
- zero-decimal currencies: whole units (JPY 500 → 500);
- three-decimal currencies (BHD, JOD, KWD, OMR, TND): thousandths whose last digit
  is 0 (KWD 5.120 → 5120; KWD 5.124 cannot be charged);
- ISK: hundredths that are whole krónur (ISK 5 → 500), kept for backwards compatibility.

A total that does not fit is refused with :class:`NotChargeable` before anything is
sent to Stripe: it is never rounded, because the customer must pay what the page shows.
"""

from __future__ import annotations

from decimal import Decimal

from checkout_links.core.errors import ValidationFailed

ZERO_DECIMAL = frozenset(
    [
        "BIF",
        "CLP",
        "DJF",
        "GNF",
        "JPY",
        "KMF",
        "KRW",
        "MGA",
        "PYG",
        "RWF",
        "UGX",
        "VND",
        "VUV",
        "XAF",
        "XOF",
        "XPF",
    ]
)
THREE_DECIMAL = frozenset(["BHD", "JOD", "KWD", "OMR", "TND"])
#: Two-decimal in the API, but only whole units may be charged.
WHOLE_HUNDREDTHS = frozenset({"ISK"})
#: Stripe's largest amount for one charge: eight digits in the smallest unit.
MAX_MINOR = 99_999_999


class NotChargeable(ValidationFailed):
    """Stripe cannot charge this total exactly (its minor units, or above its maximum)."""


def to_minor(amount: Decimal, currency: str) -> int:
    """``amount`` of ``currency`` as Stripe's integer amount; raises :class:`NotChargeable`."""
    code = currency.upper()
    if code in ZERO_DECIMAL:
        scaled, step = amount, 1
    elif code in THREE_DECIMAL:
        scaled, step = amount.scaleb(3), 10
    elif code in WHOLE_HUNDREDTHS:
        scaled, step = amount.scaleb(2), 100
    else:
        scaled, step = amount.scaleb(2), 1
    if scaled != scaled.to_integral_value() or amount <= 0:
        raise NotChargeable(f"Stripe cannot charge {amount} {code} exactly.")
    minor = int(scaled)
    if minor % step or minor > MAX_MINOR:
        raise NotChargeable(f"Stripe cannot charge {amount} {code} exactly.")
    return minor


def from_minor(minor: int, currency: str) -> Decimal:
    """Stripe's integer amount back as a ``Decimal`` of ``currency`` (the inverse of to_minor)."""
    code = currency.upper()
    if code in ZERO_DECIMAL:
        return Decimal(minor)
    if code in THREE_DECIMAL:
        return Decimal(minor).scaleb(-3)
    return Decimal(minor).scaleb(-2)
