"""CSV cells never start a spreadsheet formula, whatever is hidden before it."""

from __future__ import annotations

import csv
import io
from pathlib import Path

import msgspec
import pytest

from checkout_links.core.orders.export import COLUMNS, CsvExport
from checkout_links.core.records import Customer, Order

_STORED = Path(__file__).parents[1] / "data" / "stored.txt"


def _stored_order() -> Order:
    line = next(x for x in _STORED.read_text("utf-8").splitlines() if x.startswith("order "))
    return msgspec.json.decode(line.split(" ", 1)[1], type=Order)


def _rows(order: Order) -> list[dict[str, str]]:
    export = CsvExport()
    text = export.header() + export.order(order)
    rows = list(csv.reader(io.StringIO(text, newline="")))
    return [dict(zip(COLUMNS, row, strict=True)) for row in rows[1:]]


@pytest.mark.parametrize(
    "hidden",
    [
        '=HYPERLINK("https://evil.example")',
        "\u200b=1+1",
        "\ufeff@SUM(A1)",
        " \u200e+1",
        "\U000e0041-1",
        "\u2060\uff1d1+1",
    ],
    ids=["plain", "zwsp", "bom", "space-lrm", "tag", "fullwidth"],
)
def test_a_formula_behind_invisible_characters_is_neutralised(hidden: str) -> None:
    """A stored text that a spreadsheet would read as a formula (once it drops what it
    cannot show) gets a leading apostrophe, in the order's and in the customer's columns."""
    order = _stored_order()
    customer = msgspec.structs.replace(order.customer or Customer(), first_name=hidden)
    order = msgspec.structs.replace(order, external_ref=hidden, customer=customer)
    for row in _rows(order):
        assert row["external_ref"] == "'" + hidden
        assert row["customer_first_name"] == "'" + hidden


def test_ordinary_text_is_left_as_it_is() -> None:
    """Text without a formula start, invisible characters or not, is written unchanged."""
    order = msgspec.structs.replace(_stored_order(), external_ref="ORD-1 \u200dok")
    assert {row["external_ref"] for row in _rows(order)} == {"ORD-1 \u200dok"}


def test_the_delivery_address_has_its_own_columns_empty_when_nothing_is_physical() -> None:
    """Each delivery_* column holds its field on every line; an order without one leaves them
    empty, and a formula in one is neutralised like the customer's."""
    order = _stored_order()
    assert order.delivery_address is not None
    rows = _rows(order)
    assert {(r["delivery_city"], r["delivery_postal_code"]) for r in rows} == {
        (order.delivery_address.city, order.delivery_address.postal_code)
    }
    bare = msgspec.structs.replace(order, delivery_address=None)
    assert {r["delivery_city"] for r in _rows(bare)} == {""}
    address = msgspec.structs.replace(order.delivery_address, company="=1+1")
    sly = msgspec.structs.replace(order, delivery_address=address)
    assert {r["delivery_company"] for r in _rows(sly)} == {"'=1+1"}
