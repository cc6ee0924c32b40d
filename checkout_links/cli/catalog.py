"""``checkout-links catalog import``: a merchant's original products from a JSON file."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import click
from pydantic import ValidationError

from checkout_links.cli.context import fail, services, with_settings
from checkout_links.core.catalog.products import check_product_id, validate_product
from checkout_links.core.errors import CheckoutError, ValidationFailed
from checkout_links.core.i18n.messages import sentence
from checkout_links.core.schemas import ProductIn


def register(catalog: click.Group) -> None:
    """Add the import command to the ``catalog`` group."""
    catalog.add_command(catalog_import)


def _product_problems(item: object) -> tuple[str | None, ProductIn | None, list[str]]:
    """One item of a catalog file: its id, the product, and what is wrong with it (every error)."""
    if not isinstance(item, dict):
        return None, None, ['Send a JSON object with an "id" and the product\'s fields.']
    product_id = item.get("id")
    if not isinstance(product_id, str):
        return None, None, ['id: Send the product id as a string, such as "pro-licence".']
    problems: list[str] = []
    try:
        check_product_id(product_id)
    except ValidationFailed as exc:
        problems += [f"id: {e.msg}" for e in exc.errors or []] or [f"id: {exc.detail}"]
    try:
        product = ProductIn.model_validate({k: v for k, v in item.items() if k != "id"})
    except ValidationError as exc:
        return (
            product_id,
            None,
            problems + [f"{'.'.join(map(str, e['loc']))}: {sentence(e)}" for e in exc.errors()],
        )
    try:
        # The catalog's own checks (money against the currency, price limits).
        validate_product(product)
    except ValidationFailed as exc:
        problems += [f"{'.'.join(map(str, e.loc[1:]))}: {e.msg}" for e in exc.errors or []] or [
            exc.detail
        ]
    return product_id, product, problems


def import_products(merchant_id: str, items: list[Any], source: str = "the file") -> int:
    """Validate every product first, then store them all; returns the count.

    A file with any invalid product imports nothing, and the refusal lists
    every error of every product (``products[i] (id "x"): field: what to change``).
    """
    parsed: list[tuple[str, ProductIn]] = []
    problems: list[str] = []
    bad = 0
    first_seen: dict[str, int] = {}
    for i, item in enumerate(items):
        product_id, product, wrong = _product_problems(item)
        where = f'products[{i}] (id "{product_id}")' if product_id is not None else f"products[{i}]"
        if product_id is not None and product_id in first_seen:
            wrong.append(f"id: products[{first_seen[product_id]}] has the same id")
        elif product_id is not None:
            first_seen[product_id] = i
        problems += [f"{where}: {problem}" for problem in wrong]
        bad += bool(wrong)
        if product is not None and product_id is not None and not wrong:
            parsed.append((product_id, product))
    if problems:
        fail(
            f"{source}: {bad} of {len(items)} products are invalid, so none was imported; "
            "fix these and import the file again:",
            details=problems,
        )
    svc = services()
    svc.merchants.get(merchant_id)
    for product_id, product in parsed:
        svc.catalog.put_product(merchant_id, product_id, product)
    return len(parsed)


_CATALOG_HELP = """Load original products from a JSON file into MERCHANT_ID's catalog.

\b
FILE is a JSON list of products, each an object with an "id" and the fields
of PUT /api/v1/products/{id} (docs/api.md); examples/catalog.json is one:
\b
  [
    {"id": "pro-licence", "name": "Pro licence", "currency": "EUR",
     "price_min": "10.00", "price_max": "100000.00", "sku": "PRO"},
    {"id": "support-hours", "name": "Support hours", "price": "95.00",
     "currency": "EUR", "overridable": ["quantity", "properties"]}
  ]

A product with an existing id replaces it (links already issued keep the
version they name). Every product is checked before any is stored: a file
with an invalid product imports nothing and every error is listed.
"""


@click.command("import", help=_CATALOG_HELP, short_help="Load original products from a JSON file.")
@click.argument("merchant_id")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@with_settings
def catalog_import(merchant_id: str, file: Path) -> None:
    try:
        items = json.loads(file.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        fail(f"{file}: not valid JSON ({exc})")
    if not isinstance(items, list):
        fail(f"{file}: expected a JSON list of products, such as examples/catalog.json")
    try:
        count = import_products(merchant_id, items, str(file))
    except CheckoutError as exc:
        fail(exc.detail)
    click.echo(json.dumps({"merchant_id": merchant_id, "imported": count}))
