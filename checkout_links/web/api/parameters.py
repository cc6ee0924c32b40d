"""The merchant API's parameters and shared error texts, as the OpenAPI document states them.

A query parameter's declaration is also its parser (``web/api/query.py``): the
views check the request against exactly what the document states.
"""

from __future__ import annotations

from typing import Any

from checkout_links.core.outbox.events import STATES
from checkout_links.core.primitives.text import PATTERN as NO_CONTROLS_PATTERN
from checkout_links.core.schemas import PRODUCT_ID_PATTERN
from checkout_links.web.api import query
from checkout_links.web.api.operations import Param, QueryParam

MAX_LIMIT = 100
DEFAULT_LIMIT = 50

BODY_ERRORS = {
    400: "The body is not valid JSON.",
    413: "The body is over CHECKOUT_MAX_BODY_BYTES.",
    415: "The body is not application/json.",
}
LIMIT = query.integer(
    "limit",
    f"Items per page, 1..{MAX_LIMIT}.",
    minimum=1,
    maximum=MAX_LIMIT,
    default=DEFAULT_LIMIT,
    example=20,
)
PAGE_422 = {422: f"limit is not 1..{MAX_LIMIT}, or cursor is not a next_cursor of this list."}
PRODUCT = Param(
    "product_id",
    "path",
    "The merchant's own id: 1 to 64 letters, digits, '.', '_' or '-', a letter or digit first.",
    {"type": "string", "pattern": PRODUCT_ID_PATTERN},
    example="pro-licence",
    required=True,
)
PRODUCT_CURSOR = query.cursor(
    "The next_cursor of the previous page (products come in id order).", example="kit"
)
PRODUCT_PAGE = (LIMIT, PRODUCT_CURSOR)


def path_param(name: str, what: str, example: str) -> Param:
    return Param(name, "path", what, {"type": "string"}, example=example, required=True)


def time_cursor(example: str) -> QueryParam[str | None]:
    """The cursor of orders and events: ``<created ms>.<id>`` (``orders.merge_index_page``)."""
    return query.cursor(
        "The next_cursor of the previous page.",
        example=example,
        pattern=r"^([0-9]{1,16}\.[\s\S]+)?$",
    )


LINK = path_param("link_id", "The id of the link's 201 answer.", "lnk_z--88V_HdxXmqR_lIZftY2sRy8q")
ORDER = path_param("order_id", "The order id.", "ord_0Yt2sRy8qmbhWRp61A-gTJ")
EVENT = path_param("event_id", "The event id (the webhook-id header).", "evt_0Yt2sRy8qmbhWRp61A")

ORDER_CURSOR = time_cursor("1764266400125.ord_0Yt2sRy8qmbhWRp61A-gTJ")
CREATED_GTE = query.instant(
    "created_gte",
    "Only orders created at or after this instant (RFC 3339).",
    example="2026-11-01T00:00:00Z",
)
CREATED_LT = query.instant(
    "created_lt",
    "Only orders created before this instant (RFC 3339).",
    example="2026-12-01T00:00:00Z",
)
EXTERNAL_REF = query.text(
    "external_ref",
    "Only orders whose link carried exactly this external_ref.",
    example="quote-2026-118",
    min_length=1,
    max_length=128,
    pattern=NO_CONTROLS_PATTERN,
    msg="must be 1..128 characters",
    detail="external_ref must be 1..128 characters without control characters.",
)
NUMBER = query.text(
    "number",
    "Only the order with this number (the customer's reference; case, spaces and dashes "
    "do not matter). The page then has that order or none; the other filters are ignored.",
    example="7KQ4-M2XH-9D",
    min_length=1,
    max_length=32,
    pattern=NO_CONTROLS_PATTERN,
    msg="must be 1..32 characters",
    detail="number must be 1..32 characters without control characters.",
)
#: ``GET /api/v1/orders``: paging plus the filters of ``orders.OrderFilter``, and ``number``.
ORDER_FILTERS = (LIMIT, ORDER_CURSOR, CREATED_GTE, CREATED_LT, EXTERNAL_REF, NUMBER)

EVENT_422 = {422: PAGE_422[422].removesuffix(".") + ", or state is not a delivery state."}
EVENT_CURSOR = time_cursor("1764266400125.evt_0Yt2sRy8qmbhWRp61A")
STATE = query.one_of("state", "Only events in this delivery state.", STATES, example="retrying")
TYPE = query.text(
    "type",
    "Only events of this type (any other value matches nothing).",
    example="order.created",
)
#: ``GET /api/v1/events``: paging plus the delivery-state and type filters.
EVENT_FILTERS = (LIMIT, EVENT_CURSOR, STATE, TYPE)


def idempotency_key(retry: str, example: str) -> Param:
    """The ``Idempotency-Key`` header; ``retry`` says what a retry with the same key gets."""
    return Param(
        "Idempotency-Key",
        "header",
        f"Any unique string, 1..255 characters: a retry with the same key and body {retry}.",
        {"type": "string", "minLength": 1, "maxLength": 255},
        example=example,
    )


def replayed(status: int) -> dict[int, dict[str, Any]]:
    """The ``Idempotent-Replayed`` header of an idempotent operation's ``status`` answer."""
    return {
        status: {
            "Idempotent-Replayed": {
                "description": "true when the answer replays an earlier one",
                "schema": {"type": "string", "enum": ["true"]},
            }
        }
    }
