"""What the merchant sets and the customer types is checked against what an email can carry:
what the API and the form accept always becomes a receipt, and data stored before the
checks does not stop the merchant's receipts."""

from __future__ import annotations

import email
import email.policy
from decimal import Decimal

import msgspec
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pydantic import ValidationError

from checkout_links.core.merchants.account import AccountPatch, seller_of
from checkout_links.core.records import Customer, Line, Merchant, MerchantAccount, Order
from checkout_links.worker.receipts.message import build_receipt

ORDER = Order(
    id="ord_AAAAAAAAAAAAAAAAAAAAAA",
    link_id="lnk_x",
    merchant_id="ruiz",
    created_at="2026-12-01T13:00:00.125Z",
    currency="EUR",
    total=Decimal("49.90"),
    lines=(
        Line(
            product_id="kit",
            name="Setup kit",
            price=Decimal("49.90"),
            quantity=1,
            amount=Decimal("49.90"),
        ),
    ),
    customer=Customer(email="ana@example.com"),
)

#: Every character Python's email headers treat as a line break (str.splitlines).
LINE_BREAKS = ["\n", "\r", "\x0b", "\x0c", "\x1c", "\x1d", "\x1e", "\x85", "\u2028", "\u2029"]


def _receipt_bytes(merchant: Merchant, email: str = "ana@example.com") -> bytes:
    order = msgspec.structs.replace(ORDER, customer=Customer(email=email))
    message = build_receipt(
        order, seller_of(merchant), event_id="evt_AAAA", mail_from="r@pay.example.com"
    )
    return message.as_bytes()


@pytest.mark.parametrize("char", LINE_BREAKS, ids=lambda c: f"U+{ord(c):04X}")
def test_a_display_name_with_a_line_break_is_refused(char: str) -> None:
    """PATCH /api/v1/account's display_name refuses each character a header would break on."""
    with pytest.raises(ValidationError):
        AccountPatch.model_validate({"display_name": f"Ruiz{char}Software"})


@settings(max_examples=150, suppress_health_check=[HealthCheck.too_slow], deadline=None)
@given(st.text(min_size=1, max_size=80))
def test_every_display_name_the_api_accepts_makes_a_receipt(name: str) -> None:
    """Whatever display name the account API accepts, the receipt's headers can be written."""
    try:
        patch = AccountPatch.model_validate({"display_name": name})
    except ValidationError:
        return
    merchant = Merchant(
        id="ruiz", name="ruiz", account=MerchantAccount(display_name=patch.display_name)
    )
    sent = email.message_from_bytes(_receipt_bytes(merchant), policy=email.policy.default)
    sender = sent["From"].addresses[0]
    assert sender.addr_spec == "r@pay.example.com"
    # Python folds a long encoded name with a space between its encoded words; the
    # letters themselves arrive.
    assert sender.display_name.split() == patch.display_name.split() or "".join(
        sender.display_name.split()
    ) == "".join(patch.display_name.split())


@pytest.mark.parametrize("email", ["josé@example.com", "用户@example.com", "ñ@bücher.de"])
def test_a_support_email_with_a_non_ascii_mailbox_is_refused(email: str) -> None:
    """support_email (the receipt's Reply-To) refuses a mailbox only SMTPUTF8 could carry."""
    with pytest.raises(ValidationError, match="ASCII"):
        AccountPatch.model_validate({"support_email": email})


def test_an_internationalised_domain_is_still_accepted_and_sent() -> None:
    """An address with a non-ASCII domain passes, and its receipt is written (as IDNA)."""
    patch = AccountPatch.model_validate({"support_email": "help@bücher.de"})
    assert patch.support_email == "help@bücher.de"
    assert b"xn--bcher-kva.de" in _receipt_bytes(Merchant(id="ruiz"), "ana@bücher.de")


def test_a_display_name_stored_before_the_rule_no_longer_stops_receipts() -> None:
    """A stored display name with a line separator and an RLO is sent without them."""
    stored = MerchantAccount(
        display_name="Ruiz\u2028Software\u202e", support_email="hélp@ruiz.example"
    )
    raw = _receipt_bytes(Merchant(id="ruiz", name="ruiz", account=stored))
    assert b"From: Ruiz Software <r@pay.example.com>" in raw
    # The support address stored before non-ASCII mailboxes were refused is left out.
    assert b"Reply-To" not in raw
