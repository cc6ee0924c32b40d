"""Order totals as Stripe's integer amounts: exact, or refused before anything is charged."""

from __future__ import annotations

from decimal import Decimal

import pytest

from checkout_links.core.payments.stripe.amounts import NotChargeable, from_minor, to_minor


@pytest.mark.parametrize(
    ("amount", "currency", "minor"),
    [
        ("1249.00", "EUR", 124900),
        ("0.50", "USD", 50),
        ("500", "JPY", 500),
        ("12000", "KRW", 12000),
        ("5.120", "KWD", 5120),
        ("0.010", "BHD", 10),
        ("5", "ISK", 500),
        ("999999.99", "EUR", 99999999),
    ],
)
def test_totals_become_stripes_minor_units(amount: str, currency: str, minor: int) -> None:
    """Each currency is scaled as Stripe counts it, and the integer reads back to the total."""
    assert to_minor(Decimal(amount), currency) == minor
    assert from_minor(minor, currency) == Decimal(amount)


@pytest.mark.parametrize(
    ("amount", "currency"),
    [
        ("5.124", "KWD"),  # Stripe wants the last of three digits to be 0
        ("0.001", "OMR"),
        ("5.50", "ISK"),  # whole krónur only
        ("1.5", "JPY"),
        ("1000000.00", "EUR"),  # above Stripe's eight digits
        ("0.00", "EUR"),
        ("0.005", "EUR"),
    ],
)
def test_totals_stripe_cannot_charge_exactly_are_refused(amount: str, currency: str) -> None:
    """A total Stripe cannot charge exactly raises NotChargeable rather than being rounded."""
    with pytest.raises(NotChargeable):
        to_minor(Decimal(amount), currency)
