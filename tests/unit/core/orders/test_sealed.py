"""The stored order seals the customer's personal data: nothing readable in the Redis value,
the same order back, bound to its order id, and readable across a key rotation."""

from __future__ import annotations

from pathlib import Path

import msgspec
import pytest

from checkout_links.core.crypto.keyring import KeyRing
from checkout_links.core.orders.sealed import erased, is_sealed_with_newest, seal, unseal
from checkout_links.core.primitives.jsonutil import dumps
from checkout_links.core.records import Customer, CustomFieldRow, Order

_STORED = Path(__file__).parents[1] / "data" / "stored.txt"
OLD, NEW = "o" * 40, "n" * 40
CUSTOMER = Customer(
    email="zofia.wisniewska@example.com",
    first_name="Zofia",
    last_name="Wiśniewska",
    company="Wiśniewska Sp. z o.o.",
    phone="+48123456789",
    country="PL",
    city="Kraków",
    postal_code="30-001",
    address="ul. Floriańska 7",
    tax_id="PL5260250274",
)
SECRETS = [
    "zofia.wisniewska",
    "Wiśniewska",
    "Zofia",
    "48123456789",
    "Floriańska",
    "PL5260250274",
    "crm-secret-7731",
    "Zofia-licence-4411",
    "Kraków-Nord",
]


def _order() -> Order:
    line = next(x for x in _STORED.read_text("utf-8").splitlines() if x.startswith("order "))
    order = msgspec.json.decode(line.split(" ", 1)[1], type=Order)
    return msgspec.structs.replace(
        order,
        customer=CUSTOMER,
        additional_data={"crm": "crm-secret-7731"},
        custom_fields={"licence_holder": "Zofia-licence-4411", "site": "krk-n"},
        custom_field_rows=(
            CustomFieldRow(label="Licence holder", text="Zofia-licence-4411"),
            CustomFieldRow(label="Site", text="Kraków-Nord"),
        ),
    )


def _readable(raw: bytes) -> list[str]:
    text = raw.decode()
    return [s for s in SECRETS if s in text or s.encode("unicode_escape").decode() in text]


def test_the_stored_value_holds_no_personal_data_and_opens_to_the_same_order() -> None:
    """No name, email, phone, address, tax id, additional_data value or custom field answer
    (its value or the option label shown) is readable in the value; opening it gives the
    order back, field for field."""
    order = _order()
    assert _readable(dumps(order))  # the plain record would show them
    raw = seal(KeyRing([NEW]), order)
    assert _readable(raw) == []
    assert unseal(KeyRing([NEW]), raw) == order


def test_a_sealed_field_moved_to_another_order_does_not_open(
    caplog: pytest.LogCaptureFixture,
) -> None:
    """The order id is the associated data: another order's value gets empty personal data
    and a warning naming only the order."""
    ring = KeyRing([NEW])
    first = seal(ring, _order())
    other = msgspec.structs.replace(_order(), id="ord_AAAAAAAAAAAAAAAAAAAAAA")
    sealed_of_first = msgspec.json.decode(first)["sealed"]
    moved = msgspec.json.decode(seal(ring, other))
    moved["sealed"] = sealed_of_first
    opened = unseal(ring, msgspec.json.encode(moved))
    assert opened.customer == Customer()
    assert opened.additional_data == {}
    assert "does not open" in caplog.text
    assert "zofia" not in caplog.text.lower()


def test_orders_open_across_a_key_rotation() -> None:
    """Sealed with the old secret, an order opens once a new one is appended; new orders are
    sealed with the new one; without the old secret only the old order's data is lost."""
    order = _order()
    old_raw = seal(KeyRing([OLD]), order)
    rotated = KeyRing([OLD, NEW])
    assert unseal(rotated, old_raw) == order
    assert not is_sealed_with_newest(rotated, old_raw)
    new_raw = seal(rotated, order)
    assert is_sealed_with_newest(rotated, new_raw)
    assert unseal(KeyRing([NEW]), new_raw) == order
    assert unseal(KeyRing([NEW]), old_raw).customer == Customer()


def test_an_order_stored_before_sealing_is_read_as_it_is_and_needs_a_reseal() -> None:
    """A plain stored order (no sealed field) reads unchanged; the reseal check flags it."""
    order = _order()
    assert unseal(KeyRing([NEW]), dumps(order)) == order
    assert not is_sealed_with_newest(KeyRing([NEW]), dumps(order))


def test_an_erased_order_keeps_its_lines_and_amounts_only() -> None:
    """Erasing leaves no personal data, sealed or not, and keeps lines, total and ids."""
    order = _order()
    raw = erased(order)
    assert _readable(raw) == []
    opened = unseal(KeyRing([NEW]), raw)
    assert opened.customer == Customer()
    assert opened.additional_data == {}
    assert (opened.custom_fields, opened.custom_field_rows) == ({}, ())
    assert (opened.id, opened.lines, opened.total) == (order.id, order.lines, order.total)
    assert is_sealed_with_newest(KeyRing([NEW]), raw)
