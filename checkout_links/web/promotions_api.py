"""Promotion codes in the merchant API: ``/api/v1/promotions[/{code}]``.

Authenticated by the merchant API's own hook; views validate, call
:class:`~checkout_links.core.promotions.Promotions` and answer JSON. Codes are
case-insensitive here as on the cart page: ``summer-10`` is ``SUMMER-10``.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Response, request

from checkout_links.core.choices import CODE_PATTERN, PromotionIn, normal_code
from checkout_links.core.errors import NotFound, ValidationFailed
from checkout_links.core.jsonutil import dumps
from checkout_links.web import merchant_api
from checkout_links.web.extensions import services

bp = Blueprint("promotions", __name__, url_prefix="/api/v1/promotions")
# The merchant API's authentication, not a copy of it: one place decides who calls.
bp.before_request(merchant_api._authenticate)


def _json(body: Any, status: int = 200) -> Response:
    return Response(dumps(body), status=status, mimetype="application/json")


def _known(code: str) -> str:
    normal = normal_code(code)
    if normal is None:
        raise NotFound(f"No promotion {code!r}.")
    return normal


@bp.put("/<code>")
def put_promotion(code: str) -> Response:
    normal = normal_code(code)
    if normal is None:
        raise ValidationFailed(
            "The promotion code is invalid.",
            errors=[{"loc": ["path", "code"], "msg": f"must match {CODE_PATTERN} (any case)"}],
        )
    body, _ = merchant_api.parse_body(PromotionIn)
    doc, created = services().promotions.put(merchant_api._merchant_id(), normal, body)
    return _json(doc, 201 if created else 200)


@bp.get("/<code>")
def get_promotion(code: str) -> Response:
    promotion = services().promotions.get(merchant_api._merchant_id(), _known(code))
    return _json(promotion.as_json())


@bp.delete("/<code>")
def delete_promotion(code: str) -> Response:
    promotion = services().promotions.deactivate(merchant_api._merchant_id(), _known(code))
    return _json(promotion.as_json())


@bp.get("")
def list_promotions() -> Response:
    cursor = request.args.get("cursor") or None
    items, next_cursor = services().promotions.page(
        merchant_api._merchant_id(), cursor, merchant_api._limit()
    )
    return _json({"items": [p.as_json() for p in items], "next_cursor": next_cursor})
