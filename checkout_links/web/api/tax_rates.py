"""Tax rates in the merchant API: ``/api/v1/tax_rates[/{rate_id}]``.

Authenticated by the merchant API's own hook; views validate, call
:class:`~checkout_links.core.tax.rates.TaxRates` and answer JSON. How a rate is
chosen and applied: docs/tax.md.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, request

from checkout_links.core import records
from checkout_links.core.tax.rates import RATE_ID_PATTERN, TaxRateIn, check_rate_id
from checkout_links.web.api import parameters as params
from checkout_links.web.api import query
from checkout_links.web.api import views as merchant_api
from checkout_links.web.api.operations import Param, Reply, operation
from checkout_links.web.api.query import parse_query
from checkout_links.web.extensions import services

bp = Blueprint("tax_rates", __name__, url_prefix="/api/v1/tax_rates")
# The merchant API's authentication, not a copy of it: one place decides who calls.
bp.before_request(merchant_api._authenticate)

RATE_ID = Param(
    "rate_id",
    "path",
    "The tax rate's id, chosen by the merchant.",
    {"type": "string", "pattern": RATE_ID_PATTERN},
    example="fr-tva",
    required=True,
)
_UNKNOWN = {404: "No tax rate by that id."}
CURSOR = query.cursor("The last rate id of the previous page.", example="de-vat")
PAGE = (params.LIMIT, CURSOR)


@bp.put("/<rate_id>")
@operation(
    "Create or replace a tax rate",
    description="Carts priced after the change use it (other processes within "
    "CHECKOUT_CACHE_SECONDS); placed orders keep the tax they were placed with.",
    body=TaxRateIn,
    responses={200: records.TaxRate, 201: records.TaxRate},
    errors={
        **params.BODY_ERRORS,
        422: "Validation failed: a rate id outside [a-z0-9_-]{1,40}, an unknown country, a "
        "percent outside 0..100 or with more than 4 decimals, more than 500 rates.",
    },
    params=(RATE_ID,),
)
def put_tax_rate(rate_id: str) -> Reply:
    check_rate_id(rate_id)  # before the body: a bad id is named first
    body, _ = merchant_api.parse_body(TaxRateIn)
    rate, created = services().tax.put(merchant_api._merchant_id(), rate_id, body)
    return Reply(rate, 201 if created else 200)


@bp.get("/<rate_id>")
@operation("Read a tax rate", responses={200: records.TaxRate}, errors=_UNKNOWN, params=(RATE_ID,))
def get_tax_rate(rate_id: str) -> Any:
    return services().tax.get(merchant_api._merchant_id(), rate_id)


@bp.delete("/<rate_id>")
@operation(
    "Deactivate a tax rate",
    description="It is never applied again; it stays listed, and orders keep naming it.",
    responses={200: records.TaxRate},
    errors=_UNKNOWN,
    params=(RATE_ID,),
)
def delete_tax_rate(rate_id: str) -> Any:
    return services().tax.deactivate(merchant_api._merchant_id(), rate_id)


@bp.get("")
@operation(
    "List tax rates",
    description="Active and inactive, in id order.",
    responses={200: records.TaxRatePage},
    errors=params.PAGE_422,
    params=PAGE,
)
def list_tax_rates() -> Any:
    q = parse_query(request.args, PAGE)
    items, next_cursor = services().tax.page(
        merchant_api._merchant_id(), q[CURSOR], q[params.LIMIT]
    )
    return records.TaxRatePage(items=items, next_cursor=next_cursor)
