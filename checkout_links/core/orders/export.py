"""Order history as files: NDJSON (one order a line) and CSV (one row per order line).

In CSV every figure has its own column: the order's tax total beside its
total, and on each line its amount after discounts and its tax (rate id, name,
percent, amount), so a sum over a column is a figure of the books.

Both take an iterator of stored orders (``orders.iter_orders``) and yield one
chunk at a time, so an export of any size holds one page of orders in memory.
"""

from __future__ import annotations

import csv
import io
from typing import Any

import msgspec

from checkout_links.core.primitives.jsonutil import dumps
from checkout_links.core.primitives.text import strip_invisible_start
from checkout_links.core.records import Order

CUSTOMER_FIELDS = (
    "email",
    "first_name",
    "last_name",
    "company",
    "phone",
    "country",
    "region",
    "city",
    "postal_code",
    "address",
    "tax_id",
    "language",
)
#: The delivery address's fields (records.DeliveryAddress), in the form's order.
DELIVERY_FIELDS = (
    "first_name",
    "last_name",
    "company",
    "country",
    "region",
    "city",
    "postal_code",
    "address",
)
ORDER_COLUMNS = (
    "order_id",
    "order_number",
    "created_at",
    "status",
    "payment_provider",
    "payment_status",
    "amount_paid",
    "amount_refunded",
    "payment_reference",
    "paid_at",
    "link_id",
    "external_ref",
    "currency",
    "order_subtotal",
    "order_total",
    "discounts",
    "promotion_code",
    "order_tax_total",
    "prices_include_tax",
    "reverse_charge",
    "locale",
    *(f"customer_{name}" for name in CUSTOMER_FIELDS),
    # Where the physical lines go; empty cells when none is physical.
    *(f"delivery_{name}" for name in DELIVERY_FIELDS),
    "additional_data",
    # The answers to the link's custom fields, one JSON object (empty cell when none).
    "custom_fields",
)
LINE_COLUMNS = (
    "line_number",
    "product_id",
    "name",
    "sku",
    "vendor_code",
    "name_for_invoice",
    "quantity",
    "price",
    "amount",
    "amount_after_discounts",
    "tax_rate_id",
    "tax_name",
    "tax_percent",
    "tax_amount",
    "optional",
    "replaced",
    "properties",
    "subscription",
    "tax_code",
    "delivery",
)
COLUMNS = ORDER_COLUMNS + LINE_COLUMNS

#: Cells a spreadsheet would run as a formula (CSV injection); such text gets
#: a leading apostrophe. Amounts and counts are ours and never start so. The
#: full-width forms count too (some spreadsheets fold them to ASCII), and so
#: does a formula behind white space or an invisible character, which a
#: spreadsheet drops (text stored before the input rule refused them).
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r", "\uff1d", "\uff0b", "\uff0d", "\uff20")
_NUMERIC = frozenset(
    {
        "order_subtotal",
        "order_total",
        "amount_paid",
        "amount_refunded",
        "order_tax_total",
        "quantity",
        "price",
        "amount",
        "amount_after_discounts",
        "tax_percent",
        "tax_amount",
    }
)


def ndjson_line(order: Order) -> bytes:
    """The order as the merchant API shows it, as one JSON line."""
    return dumps(order.public()) + b"\n"


def _cell(column: str, value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, dict | list | tuple):
        # Structured cells (properties, discounts, ...) are JSON; empty is an empty cell.
        return dumps(value).decode() if value else ""
    text = str(value)
    if column not in _NUMERIC and (
        text.startswith(_FORMULA_START) or strip_invisible_start(text).startswith(_FORMULA_START)
    ):
        return "'" + text
    return text


def order_rows(record: Order) -> list[list[str]]:
    """The CSV rows of one order: its fields repeated on each of its lines."""
    # Fields a later record version adds (discounts, ...) are read with .get.
    order: dict[str, Any] = msgspec.to_builtins(record.public())
    customer = order.get("customer") or {}
    delivery = order.get("delivery_address") or {}
    payment = order.get("payment") or {}
    head = {
        "order_id": order["id"],
        "order_number": order.get("number"),
        "created_at": order["created_at"],
        "status": order.get("status"),
        "payment_provider": payment.get("provider"),
        "payment_status": payment.get("status"),
        "amount_paid": payment.get("amount_paid"),
        "amount_refunded": payment.get("amount_refunded"),
        "payment_reference": payment.get("reference"),
        "paid_at": payment.get("paid_at"),
        "link_id": order.get("link_id"),
        "external_ref": order.get("external_ref"),
        "currency": order.get("currency"),
        "order_subtotal": order.get("subtotal"),
        "order_total": order.get("total"),
        "discounts": order.get("discounts"),
        "promotion_code": order.get("promotion_code"),
        "order_tax_total": order.get("tax_total"),
        "prices_include_tax": order.get("prices_include_tax"),
        "reverse_charge": order.get("reverse_charge"),
        "locale": order.get("locale"),
        "additional_data": order.get("additional_data"),
        "custom_fields": order.get("custom_fields"),
        **{f"customer_{name}": customer.get(name) for name in CUSTOMER_FIELDS},
        **{f"delivery_{name}": delivery.get(name) for name in DELIVERY_FIELDS},
    }
    order_cells = [_cell(column, head[column]) for column in ORDER_COLUMNS]
    lines = order.get("lines") or [{}]  # an order is never lost for want of a line
    rates = {row["rate_id"]: row for row in order.get("tax") or ()}
    rows = []
    for number, line in enumerate(lines, 1):
        values = {**line, "line_number": number if line else None}
        rate = rates.get(line.get("tax_rate_id"))
        if rate is not None:  # the rate's name and percent as the order recorded them
            values["tax_name"], values["tax_percent"] = rate["display_name"], rate["percent"]
        rows.append(order_cells + [_cell(column, values.get(column)) for column in LINE_COLUMNS])
    return rows


class CsvExport:
    """CSV text for :func:`orders.iter_orders`, the header first; counts what it wrote."""

    def __init__(self) -> None:
        self.rows = 0
        self._buffer = io.StringIO()
        self._writer = csv.writer(self._buffer, lineterminator="\r\n")

    def _take(self) -> str:
        text = self._buffer.getvalue()
        self._buffer.seek(0)
        self._buffer.truncate()
        return text

    def header(self) -> str:
        self._writer.writerow(COLUMNS)
        return self._take()

    def order(self, order: Order) -> str:
        rows = order_rows(order)
        self._writer.writerows(rows)
        self.rows += len(rows)
        return self._take()
