"""The OpenAPI 3.1 document of the merchant API, generated from the pydantic models."""

from __future__ import annotations

from functools import lru_cache
from typing import Any

from pydantic import BaseModel
from pydantic.json_schema import models_json_schema

from checkout_links.core import schemas

_REF = "#/components/schemas/{model}"
PRODUCT_ID_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$"

_PROBLEM = {
    "type": "object",
    "required": ["type", "title", "status", "detail"],
    "properties": {
        "type": {"type": "string"},
        "title": {"type": "string"},
        "status": {"type": "integer"},
        "detail": {"type": "string"},
        "errors": {
            "type": "array",
            "items": {
                "type": "object",
                "properties": {
                    "loc": {"type": "array", "items": {"type": ["string", "integer"]}},
                    "msg": {"type": "string"},
                },
            },
        },
    },
}

_STATUS_TEXT = {
    400: "Malformed JSON",
    401: "No, unknown or revoked API key",
    404: "Unknown id, or an id of another merchant",
    409: "State conflict",
    413: "Body over the size limit",
    415: "Body is not application/json",
    422: "Validation failure",
    429: "Rate limited (see Retry-After)",
    503: "Ledger store unreachable (see Retry-After)",
}


def _ref(model: type[BaseModel]) -> dict[str, str]:
    return {"$ref": _REF.format(model=model.__name__)}


def _op(
    summary: str,
    ok: int,
    out: dict[str, Any] | None,
    errors: tuple[int, ...],
    body: type[BaseModel] | None = None,
    params: list[dict[str, Any]] | None = None,
) -> dict[str, Any]:
    responses: dict[str, Any] = {
        str(ok): {
            "description": "OK",
            **({"content": {"application/json": {"schema": out}}} if out else {}),
        }
    }
    for code in (401, 429, 503, *errors):
        responses[str(code)] = {
            "description": _STATUS_TEXT[code],
            "content": {
                "application/problem+json": {"schema": {"$ref": _REF.format(model="Problem")}}
            },
        }
    op: dict[str, Any] = {"summary": summary, "responses": responses}
    if body is not None:
        op["requestBody"] = {
            "required": True,
            "content": {"application/json": {"schema": _ref(body)}},
        }
    if params:
        op["parameters"] = params
    return op


def _path(name: str) -> dict[str, Any]:
    return {"name": name, "in": "path", "required": True, "schema": {"type": "string"}}


_PAGING = [
    {"name": "cursor", "in": "query", "required": False, "schema": {"type": "string"}},
    {
        "name": "limit",
        "in": "query",
        "required": False,
        "schema": {"type": "integer", "minimum": 1, "maximum": 100, "default": 50},
    },
]

# Orders and events page by "<created ms>.<id>" (orders.merge_index_page) and
# refuse any other non-empty cursor with 422; documenting it as any string made
# a valid request per the document (cursor=abc) a 422.
_TIME_PAGING = [
    {
        "name": "cursor",
        "in": "query",
        "required": False,
        "description": "The next_cursor of the previous page.",
        "schema": {"type": "string", "pattern": r"^([0-9]+\..+)?$"},
    },
    _PAGING[1],
]

# GET /api/v1/orders filters (orders.OrderFilter.from_query).
_ORDER_FILTERS = [
    {
        "name": name,
        "in": "query",
        "required": False,
        "description": description,
        "schema": {"type": "string", "format": "date-time"},
    }
    for name, description in (
        ("created_gte", "Orders created at or after this instant (RFC 3339)."),
        ("created_lt", "Orders created before this instant (RFC 3339)."),
    )
] + [
    {
        "name": "external_ref",
        "in": "query",
        "required": False,
        "description": "Only orders whose link carried exactly this external_ref.",
        "schema": {
            "type": "string",
            "minLength": 1,
            "maxLength": 128,
            "pattern": "^[^\\u0000-\\u001f\\u007f-\\u009f\\u202a-\\u202e\\u2066-\\u2069]+$",
        },
    }
]


def _non_blank(node: Any) -> None:
    """Input models strip whitespace before checking lengths (``schemas.Strict``), so a
    string with a ``minLength`` must hold a non-space character: the document called
    ``" "`` a valid product name or ``additional_data`` key, and the API said 422."""
    if isinstance(node, dict):
        if node.get("minLength", 0) >= 1 and "pattern" not in node:
            node["pattern"] = r"\S"
        for value in node.values():
            _non_blank(value)
    elif isinstance(node, list):
        for value in node:
            _non_blank(value)


@lru_cache(maxsize=1)
def document() -> dict[str, Any]:
    """The whole OpenAPI document (built once per process)."""
    models: list[type[BaseModel]] = [
        schemas.ProductIn,
        schemas.Product,
        schemas.ProductPage,
        schemas.LinkIn,
        schemas.LinkOut,
        schemas.LinkStatus,
        schemas.Order,
        schemas.OrderPage,
        schemas.Event,
        schemas.EventPage,
    ]
    _, defs = models_json_schema(
        [(m, "validation" if m.__name__.endswith("In") else "serialization") for m in models],
        ref_template=_REF,
    )
    components = dict(defs.get("$defs", {}))
    for name, component in components.items():
        if name.endswith("In"):
            _non_blank(component)
    components["Problem"] = _PROBLEM
    # The id rule of schemas.ProductId: PUT refuses any other id with 422, which
    # the document called valid while it said only "string".
    pid = {**_path("product_id"), "schema": {"type": "string", "pattern": PRODUCT_ID_PATTERN}}
    lid = _path("link_id")
    idem = {
        "name": "Idempotency-Key",
        "in": "header",
        "required": False,
        "schema": {"type": "string", "minLength": 1, "maxLength": 255},
    }
    paths = {
        "/api/v1/products/{product_id}": {
            "put": _op(
                "Create or replace an original product",
                200,
                _ref(schemas.Product),
                (400, 413, 415, 422),
                schemas.ProductIn,
                [pid],
            ),
            "get": _op(
                "Read an original product", 200, _ref(schemas.Product), (404,), params=[pid]
            ),
            "delete": _op(
                "Deactivate an original product", 200, _ref(schemas.Product), (404,), params=[pid]
            ),
        },
        "/api/v1/products": {
            "get": _op(
                "List original products", 200, _ref(schemas.ProductPage), (422,), params=_PAGING
            ),
        },
        "/api/v1/links": {
            "post": _op(
                "Issue a checkout link",
                201,
                _ref(schemas.LinkOut),
                (400, 413, 415, 422),
                schemas.LinkIn,
                [idem],
            ),
        },
        "/api/v1/links/{link_id}": {
            "get": _op("Link status", 200, _ref(schemas.LinkStatus), (404,), params=[lid]),
        },
        "/api/v1/links/{link_id}/revoke": {
            "post": _op("Revoke a link", 200, _ref(schemas.LinkStatus), (404, 409), params=[lid]),
        },
        "/api/v1/orders/{order_id}": {
            "get": _op(
                "Read an order", 200, _ref(schemas.Order), (404,), params=[_path("order_id")]
            ),
        },
        "/api/v1/orders": {
            "get": _op(
                "List orders, newest first",
                200,
                _ref(schemas.OrderPage),
                (422,),
                params=_TIME_PAGING + _ORDER_FILTERS,
            ),
        },
        "/api/v1/events": {
            "get": _op(
                "List order events with delivery state, newest first",
                200,
                _ref(schemas.EventPage),
                (422,),
                params=_TIME_PAGING,
            ),
        },
        "/api/v1/events/{event_id}": {
            "get": _op(
                "Read an event", 200, _ref(schemas.Event), (404,), params=[_path("event_id")]
            ),
        },
        "/api/v1/events/{event_id}/redeliver": {
            "post": _op(
                "Queue another delivery of an event",
                202,
                _ref(schemas.Event),
                (404,),
                params=[_path("event_id")],
            ),
        },
    }
    paths["/api/v1/links"]["post"]["responses"]["201"]["headers"] = {
        "Idempotent-Replayed": {
            "description": "Present (true) when the response replays an earlier one",
            "schema": {"type": "string", "enum": ["true"]},
        }
    }
    paths["/api/v1/products/{product_id}"]["put"]["responses"]["201"] = {
        "description": "Created",
        "content": {"application/json": {"schema": _ref(schemas.Product)}},
    }
    return {
        "openapi": "3.1.0",
        "info": {"title": "checkout-links merchant API", "version": "1"},
        "servers": [{"url": "/"}],
        "components": {
            "schemas": components,
            "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"}},
        },
        "security": [{"bearer": []}],
        "paths": paths,
    }
