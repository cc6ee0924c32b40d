"""The API's response models and the core's records describe each concept with one field list."""

from __future__ import annotations

import msgspec
import pytest
from pydantic import BaseModel

from checkout_links.core import records
from checkout_links.web.api import responses as out

#: Each response model and the record the core hands it (webhooks write the record itself).
_PAIRS: list[tuple[type[BaseModel], type[msgspec.Struct]]] = [
    (out.LinkOut, records.IssuedLink),
    (out.LineOut, records.Line),
    (out.DiscountOut, records.DiscountRow),
    (out.CustomerOut, records.Customer),
    (out.SubscriptionOut, records.Subscription),
    (out.Order, records.OrderView),
    (out.Event, records.EventView),
    (out.Receipt, records.ReceiptView),
    (out.Product, records.Product),
]


@pytest.mark.parametrize(("model", "record"), _PAIRS, ids=[m.__name__ for m, _ in _PAIRS])
def test_a_response_model_has_its_records_fields_in_the_same_order(
    model: type[BaseModel], record: type[msgspec.Struct]
) -> None:
    """The API answer and the record (the webhook's order, the stored product) share names and
    order, so a field added to one and not the other fails here instead of drifting."""
    assert list(model.model_fields) == list(record.__struct_fields__)


def test_the_account_answer_is_the_stored_settings_with_the_merchant_and_its_text_colour() -> None:
    """Account adds only merchant_id and the computed brand_text_color to the stored settings."""
    stored = list(records.MerchantAccount.__struct_fields__)
    assert [f for f in out.Account.model_fields if f in stored] == stored
    assert set(out.Account.model_fields) - set(stored) == {"merchant_id", "brand_text_color"}
