"""The API's response schemas are the core's records: one field list per concept."""

from __future__ import annotations

from typing import Any

import msgspec
import pytest

from checkout_links.core import records
from checkout_links.testing import make_app, memory_redis
from checkout_links.web.api.openapi import Problem

#: Each response schema of the document and the record it is generated from.
_SCHEMAS: dict[str, type[msgspec.Struct]] = {
    "LinkOut": records.IssuedLink,
    "LineOut": records.Line,
    "DiscountOut": records.DiscountRow,
    "CustomerOut": records.Customer,
    "SubscriptionOut": records.Subscription,
    "LinkStatus": records.LinkStatus,
    "Order": records.OrderView,
    "OrderPage": records.OrderPage,
    "Event": records.EventView,
    "EventPage": records.EventPage,
    "Receipt": records.ReceiptView,
    "Product": records.Product,
    "ProductPage": records.ProductPage,
    "Promotion": records.PromotionView,
    "PromotionPage": records.PromotionPage,
    "Account": records.AccountView,
    "Problem": Problem,
}


@pytest.fixture(scope="module")
def schemas() -> dict[str, Any]:
    app = make_app(memory_redis())
    doc: dict[str, Any] = app.test_client().get("/api/v1/openapi.json").get_json()
    return dict(doc["components"]["schemas"])


@pytest.mark.parametrize(("name", "record"), _SCHEMAS.items(), ids=list(_SCHEMAS))
def test_a_response_schema_has_its_records_fields_in_the_same_order(
    schemas: dict[str, Any], name: str, record: type[msgspec.Struct]
) -> None:
    """The documented answer and the record that writes it (and the webhook's order) share
    names and order, and the schema's description is the record docstring's first line."""
    assert list(schemas[name]["properties"]) == list(record.__struct_fields__)
    assert record.__doc__ is not None
    assert schemas[name]["description"] == record.__doc__.split("\n")[0]


def test_the_account_answer_is_the_stored_settings_with_the_merchant_and_its_text_colour() -> None:
    """Account adds only merchant_id, the computed brand_text_color and the payment settings
    (stored beside them, shown without secrets) to the stored settings."""
    stored = list(records.MerchantAccount.__struct_fields__)
    shown = records.AccountView.__struct_fields__
    assert [f for f in shown if f in stored] == stored
    assert set(shown) - set(stored) == {"merchant_id", "brand_text_color", "payment"}
