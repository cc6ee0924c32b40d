"""The merchant API under ``/api/v1``: views validate, call the domain, render JSON."""

from __future__ import annotations

import re
import time
from typing import Any, TypeVar, cast

from flask import Blueprint, Response, g, request
from pydantic import BaseModel, ValidationError

from checkout_links import metrics
from checkout_links.core import events, idempotency, orders, text
from checkout_links.core.errors import (
    BadRequest,
    Conflict,
    InvalidToken,
    NotFound,
    UnsupportedMediaType,
    ValidationFailed,
)
from checkout_links.core.jsonutil import dumps
from checkout_links.core.records import Merchant, Page
from checkout_links.core.schemas import PRODUCT_ID, LinkIn, ProductIn
from checkout_links.web.extensions import services

bp = Blueprint("api", __name__, url_prefix="/api/v1")

M = TypeVar("M", bound=BaseModel)


def json_response(body: Any, status: int = 200, headers: dict[str, str] | None = None) -> Response:
    return Response(dumps(body), status=status, mimetype="application/json", headers=headers)


def validation_errors(exc: ValidationError, prefix: str = "body") -> list[dict[str, Any]]:
    """Pydantic errors as ``[{"loc", "msg"}]``; input values are left out (personal data)."""
    return [{"loc": [prefix, *err["loc"]], "msg": text.message(err)} for err in exc.errors()]


def parse_body(model: type[M]) -> tuple[M, bytes]:
    """The request body validated as ``model``, and its raw bytes."""
    mimetype = request.mimetype
    if mimetype != "application/json" and not mimetype.endswith("+json"):
        raise UnsupportedMediaType("Send the body as application/json.")
    raw = request.get_data(cache=True)
    try:
        # Parsed and validated in one pass by pydantic-core, without building
        # the intermediate dicts and lists first.
        return model.model_validate_json(raw), raw
    except ValidationError as exc:
        if any(err["type"] == "json_invalid" for err in exc.errors()):
            raise BadRequest("The body is not valid JSON.") from None
        raise ValidationFailed("The request is invalid.", errors=validation_errors(exc)) from None


def _limit() -> int:
    raw = request.args.get("limit", "50")
    # fullmatch on ASCII digits: str.isdigit() also takes "²", which int() refuses.
    if not re.fullmatch(r"[0-9]{1,3}", raw) or not 1 <= int(raw) <= 100:
        raise ValidationFailed(
            "limit must be 1..100.", errors=[{"loc": ["query", "limit"], "msg": "must be 1..100"}]
        )
    return int(raw)


@bp.before_request
def _authenticate() -> None:
    if request.endpoint == "api.openapi":
        return
    g.merchant = services().merchants.authenticate(request.headers.get("Authorization"))


def _merchant() -> Merchant:
    return cast(Merchant, g.merchant)


def _merchant_id() -> str:
    return _merchant().id


def _known_product_id(product_id: str) -> str:
    if not PRODUCT_ID.fullmatch(product_id):
        raise NotFound(f"No product {product_id!r}.")
    return product_id


@bp.put("/products/<product_id>")
def put_product(product_id: str) -> Response:
    if not PRODUCT_ID.fullmatch(product_id):
        msg = f"must match {PRODUCT_ID.pattern.strip('^$')}"
        raise ValidationFailed(
            "The product id is invalid.", errors=[{"loc": ["path", "product_id"], "msg": msg}]
        )
    product, _ = parse_body(ProductIn)
    doc, created = services().catalog.put_product(_merchant_id(), product_id, product)
    return json_response(doc, 201 if created else 200)


@bp.get("/products/<product_id>")
def get_product(product_id: str) -> Response:
    pid = _known_product_id(product_id)
    return json_response(services().catalog.get_product(_merchant_id(), pid))


@bp.delete("/products/<product_id>")
def delete_product(product_id: str) -> Response:
    pid = _known_product_id(product_id)
    return json_response(services().catalog.deactivate(_merchant_id(), pid))


@bp.get("/products")
def list_products() -> Response:
    cursor = request.args.get("cursor") or None
    items, next_cursor = services().catalog.list_products(_merchant_id(), cursor, _limit())
    return json_response(Page(items=items, next_cursor=next_cursor))


@bp.post("/links")
def create_link() -> Response:
    req, raw = parse_body(LinkIn)
    svc = services()
    key = request.headers.get("Idempotency-Key")
    if key is None:
        body, replayed = svc.links.issue(_merchant(), req), False
    else:
        body, replayed = idempotency.run(
            svc.redis,
            svc.keyring,
            _merchant_id(),
            key,
            raw,
            lambda: svc.links.issue(_merchant(), req),
        )
    if not replayed:
        metrics.LINKS_ISSUED.inc()
    return json_response(body, 201, {"Idempotent-Replayed": "true"} if replayed else None)


def _link(link_id: str) -> tuple[bytes, int]:
    try:
        return services().links.link_ids.parse(link_id, _merchant_id())
    except InvalidToken:
        raise NotFound("No such link.") from None


@bp.get("/links/<link_id>")
def link_status(link_id: str) -> Response:
    link_rand, expires_at = _link(link_id)
    mark, now = services().ledger.read(link_rand)
    body: dict[str, Any] = {"id": link_id, "status": "open"}
    if mark.state == "spent":
        body.update(status="completed", order_id=mark.order_id)
    elif mark.state == "revoked":
        body["status"] = "revoked"
    elif now >= expires_at:
        body["status"] = "expired"
    return json_response(body)


@bp.post("/links/<link_id>/revoke")
def revoke_link(link_id: str) -> Response:
    link_rand, expires_at = _link(link_id)
    mark = services().ledger.revoke(link_rand, expires_at)
    if mark.state == "spent":
        raise Conflict("The link already produced an order and cannot be revoked.")
    if mark.state == "expired":
        raise Conflict("The link has already expired; there is nothing to revoke.")
    return json_response({"id": link_id, "status": "revoked"})


@bp.get("/orders/<order_id>")
def get_order(order_id: str) -> Response:
    order = orders.get_order(services().redis, _merchant_id(), order_id)
    return json_response(order.public())


@bp.get("/orders")
def list_orders() -> Response:
    cursor = request.args.get("cursor") or None
    svc = services()
    items, next_cursor = orders.list_orders(
        svc.redis,
        _merchant_id(),
        cursor,
        _limit(),
        orders.OrderFilter.from_query(request.args),
        retention_seconds=svc.settings.order_retention_seconds,
    )
    return json_response(Page(items=[o.public() for o in items], next_cursor=next_cursor))


@bp.get("/events")
def list_events() -> Response:
    cursor = request.args.get("cursor") or None
    items, next_cursor = events.list_events(services().redis, _merchant_id(), cursor, _limit())
    return json_response(Page(items=items, next_cursor=next_cursor))


@bp.get("/events/<event_id>")
def get_event(event_id: str) -> Response:
    record = events.get_for(services().redis, _merchant_id(), event_id)
    return json_response(events.public_view(record))


@bp.post("/events/<event_id>/redeliver")
def redeliver_event(event_id: str) -> Response:
    now_ms = int(time.time() * 1000)
    view = events.redeliver(services().redis, _merchant_id(), event_id, now_ms)
    return json_response(view, 202)


@bp.get("/openapi.json")
def openapi() -> Response:
    from checkout_links.web.openapi import document

    return json_response(document())
