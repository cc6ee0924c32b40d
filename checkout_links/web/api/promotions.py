"""Promotion codes in the merchant API: ``/api/v1/promotions[/{code}]``.

Authenticated by the merchant API's own hook; views validate, call
:class:`~checkout_links.core.promotions.codes.Promotions` and answer JSON. Codes are
case-insensitive here as on the cart page: ``summer-10`` is ``SUMMER-10``.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, request

from checkout_links.core import records
from checkout_links.core.errors import FieldError, NotFound, ValidationFailed
from checkout_links.core.i18n.messages import pattern_sentence
from checkout_links.core.links.choices import CODE_PATTERN, PromotionIn, normal_code
from checkout_links.web.api import parameters as params
from checkout_links.web.api import query
from checkout_links.web.api import views as merchant_api
from checkout_links.web.api.operations import Param, Reply, operation
from checkout_links.web.api.query import parse_query
from checkout_links.web.extensions import services

bp = Blueprint("promotions", __name__, url_prefix="/api/v1/promotions")
# The merchant API's authentication, not a copy of it: one place decides who calls.
bp.before_request(merchant_api._authenticate)


CODE = Param(
    "code",
    "path",
    "The promotion code, any case (stored in upper case).",
    {"type": "string", "pattern": CODE_PATTERN.replace("A-Z", "A-Za-z")},
    example="SPRING-15",
    required=True,
)
_UNKNOWN = {404: "No promotion code by that name."}
CURSOR = query.cursor("The last code of the previous page.", example="AAA")
PAGE = (params.LIMIT, CURSOR)


def _known(code: str) -> str:
    normal = normal_code(code)
    if normal is None:
        raise NotFound(f"No promotion {code!r}.")
    return normal


@bp.put("/<code>")
@operation(
    "Create or replace a promotion code",
    description="Replacing a code keeps its count of redemptions.",
    body=PromotionIn,
    responses={200: records.PromotionView, 201: records.PromotionView},
    errors={
        **params.BODY_ERRORS,
        422: "Validation failed; also for rules the schema cannot state: both or neither of "
        "percent and amount, an amount with more decimals than its currency has, "
        "starts_at not before expires_at.",
    },
    params=(CODE,),
)
def put_promotion(code: str) -> Reply:
    normal = normal_code(code)
    if normal is None:
        raise ValidationFailed(
            "The promotion code is invalid.",
            errors=[FieldError(("path", "code"), pattern_sentence(CODE_PATTERN))],
        )
    body, _ = merchant_api.parse_body(PromotionIn)
    doc, created = services().promotions.put(merchant_api._merchant_id(), normal, body)
    return Reply(doc, 201 if created else 200)


@bp.get("/<code>")
@operation(
    "Read a promotion code and its redemptions",
    responses={200: records.PromotionView},
    errors=_UNKNOWN,
    params=(CODE,),
)
def get_promotion(code: str) -> Any:
    return services().promotions.get(merchant_api._merchant_id(), _known(code)).as_json()


@bp.delete("/<code>")
@operation(
    "Deactivate a promotion code",
    description="The page refuses it from now on; its terms and count stay.",
    responses={200: records.PromotionView},
    errors=_UNKNOWN,
    params=(CODE,),
)
def delete_promotion(code: str) -> Any:
    return services().promotions.deactivate(merchant_api._merchant_id(), _known(code)).as_json()


@bp.get("")
@operation(
    "List promotion codes",
    responses={200: records.PromotionPage},
    errors=params.PAGE_422,
    params=PAGE,
)
def list_promotions() -> Any:
    q = parse_query(request.args, PAGE)
    items, next_cursor = services().promotions.page(
        merchant_api._merchant_id(), q[CURSOR], q[params.LIMIT]
    )
    return {"items": [p.as_json() for p in items], "next_cursor": next_cursor}
