"""The merchant API's parameters and shared error texts, as the OpenAPI document states them."""

from __future__ import annotations

from checkout_links.core.primitives.text import PATTERN as NO_CONTROLS_PATTERN
from checkout_links.core.schemas import PRODUCT_ID_PATTERN
from checkout_links.web.api.operations import Param

MAX_LIMIT = 100
DEFAULT_LIMIT = 50

BODY_ERRORS = {
    400: "The body is not valid JSON.",
    413: "The body is over CHECKOUT_MAX_BODY_BYTES.",
    415: "The body is not application/json.",
}
LIMIT = Param(
    "limit",
    "query",
    f"Items per page, 1..{MAX_LIMIT}.",
    {"type": "integer", "minimum": 1, "maximum": MAX_LIMIT, "default": DEFAULT_LIMIT},
    example=20,
)
PAGE_422 = {422: "limit is not 1..100, or cursor is not a next_cursor of this list."}
PRODUCT = Param(
    "product_id",
    "path",
    "The merchant's own id: 1 to 64 letters, digits, '.', '_' or '-', a letter or digit first.",
    {"type": "string", "pattern": PRODUCT_ID_PATTERN},
    example="pro-licence",
    required=True,
)
PRODUCT_PAGE = (
    LIMIT,
    Param(
        "cursor",
        "query",
        "The next_cursor of the previous page (products come in id order).",
        {"type": "string"},
        example="kit",
    ),
)


def path_param(name: str, what: str, example: str) -> Param:
    return Param(name, "path", what, {"type": "string"}, example=example, required=True)


def time_page(example: str) -> tuple[Param, ...]:
    # Orders and events page by "<created ms>.<id>" (orders.merge_index_page),
    # which refuses any other non-empty cursor with 422: the pattern says so.
    cursor = Param(
        "cursor",
        "query",
        "The next_cursor of the previous page.",
        {"type": "string", "pattern": r"^([0-9]{1,16}\.[\s\S]+)?$"},
        example=example,
    )
    return (LIMIT, cursor)


LINK = path_param("link_id", "The id of the link's 201 answer.", "lnk_z--88V_HdxXmqR_lIZftY2sRy8q")
ORDER = path_param("order_id", "The order id.", "ord_0Yt2sRy8qmbhWRp61A-gTJ")
EVENT = path_param("event_id", "The event id (the webhook-id header).", "evt_0Yt2sRy8qmbhWRp61A")

#: ``GET /api/v1/orders``: paging plus the filters ``orders.OrderFilter`` reads.
ORDER_FILTERS = (
    *time_page("1764266400125.ord_0Yt2sRy8qmbhWRp61A-gTJ"),
    Param(
        "created_gte",
        "query",
        "Only orders created at or after this instant (RFC 3339).",
        {"type": "string", "format": "date-time"},
        example="2026-11-01T00:00:00Z",
    ),
    Param(
        "created_lt",
        "query",
        "Only orders created before this instant (RFC 3339).",
        {"type": "string", "format": "date-time"},
        example="2026-12-01T00:00:00Z",
    ),
    Param(
        "external_ref",
        "query",
        "Only orders whose link carried exactly this external_ref.",
        {"type": "string", "minLength": 1, "maxLength": 128, "pattern": NO_CONTROLS_PATTERN},
        example="quote-2026-118",
    ),
)

EVENT_422 = {422: PAGE_422[422].removesuffix(".") + ", or state is not a delivery state."}
#: ``GET /api/v1/events``: paging plus the delivery-state and type filters.
EVENT_FILTERS = (
    *time_page("1764266400125.evt_0Yt2sRy8qmbhWRp61A"),
    Param(
        "state",
        "query",
        "Only events in this delivery state.",
        {"type": "string", "enum": ["pending", "retrying", "delivered", "dead"]},
        example="retrying",
    ),
    Param(
        "type",
        "query",
        "Only events of this type (any other value matches nothing).",
        {"type": "string"},
        example="order.created",
    ),
)
