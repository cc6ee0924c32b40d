"""Catalog products in the customer's language: on the cart page, in the order and the receipt."""

from __future__ import annotations

from typing import Any

from flask.testing import FlaskClient

from checkout_links.core.merchants.account import seller_of
from checkout_links.core.orders.queries import load_order
from checkout_links.core.records import Merchant
from checkout_links.testing import csrf_of, link_path
from checkout_links.web.extensions import services
from checkout_links.worker.receipts.content import receipt_content

LICENCE = {
    "name": "Pro licence",
    "description": "Per-seat licence.",
    "price": "95.00",
    "currency": "EUR",
    "translations": {
        "de": {"name": "Profi-Lizenz", "description": "Lizenz pro Arbeitsplatz."},
        "pt-br": {"name": "Licença Pro"},
        "ar": {"name": "ترخيص احترافي", "description": "ترخيص لكل مقعد."},
    },
}


def _put(client: FlaskClient, auth: dict[str, str], body: dict[str, Any]) -> Any:
    return client.put("/api/v1/products/pro", json=body, headers=auth)


def _cart(client: FlaskClient, auth: dict[str, str], **extra: Any) -> tuple[str, str]:
    body = {"products": [{"id": "pro"}], **extra}
    link = client.post("/api/v1/links", json=body, headers=auth).get_json()
    path = link_path(link["url"])
    return path, client.get(path).get_data(as_text=True)


def test_a_product_keeps_its_translations_under_cldr_spelled_locale_keys(
    client: FlaskClient, auth: dict[str, str]
) -> None:
    """pt-br is stored as pt-BR; the answer and GET show them; a key that is no locale is a 422."""
    answer = _put(client, auth, LICENCE)
    assert answer.status_code == 201, answer.get_json()
    stored = client.get("/api/v1/products/pro", headers=auth).get_json()
    assert stored["translations"] == {
        "de": {"name": "Profi-Lizenz", "description": "Lizenz pro Arbeitsplatz."},
        "pt-BR": {"name": "Licença Pro"},
        "ar": {"name": "ترخيص احترافي", "description": "ترخيص لكل مقعد."},
    }
    assert answer.get_json()["translations"] == stored["translations"]
    bad = _put(client, auth, {**LICENCE, "translations": {"no such locale!": {"name": "x"}}})
    assert bad.status_code == 422
    plain = _put(client, auth, {"name": "Pro licence", "price": "95.00", "currency": "EUR"})
    assert plain.get_json()["translations"] == {}


def test_the_cart_shows_the_products_words_in_the_pages_language(
    client: FlaskClient, auth: dict[str, str]
) -> None:
    """German page: the German name and description; de-CH falls back to de; pt-BR has only a
    name (the description stays the product's own); French has none (the product's own words)."""
    assert _put(client, auth, LICENCE).status_code == 201
    _, german = _cart(client, auth, locale="de")
    assert '<p class="name" dir="auto">Profi-Lizenz</p>' in german
    assert '<p class="description" dir="auto">Lizenz pro Arbeitsplatz.</p>' in german
    _, swiss = _cart(client, auth, locale="de-CH")
    assert "Profi-Lizenz" in swiss
    _, brazilian = _cart(client, auth, locale="pt-BR")
    assert "Licença Pro" in brazilian
    assert "Per-seat licence." in brazilian
    _, french = _cart(client, auth, locale="fr")
    assert '<p class="name" dir="auto">Pro licence</p>' in french
    # The link's own name for a line wins over the catalog's translations.
    _, named = _cart(client, auth, locale="de", products=[{"id": "pro", "name": "Lizenz für Ana"}])
    assert "Lizenz für Ana" in named
    assert "Profi-Lizenz" not in named


def test_the_order_and_the_receipt_keep_the_words_the_customer_saw(
    client: FlaskClient, auth: dict[str, str]
) -> None:
    """An Arabic customer's order stores the Arabic name; the confirmation and the receipt
    (no German or English name inside an Arabic email) show it."""
    assert _put(client, auth, LICENCE).status_code == 201
    path, html = _cart(client, auth, locale="ar")
    placed = client.post(path, data={"csrf_token": csrf_of(html), "email": "ana@example.com"})
    assert placed.status_code == 303
    done = client.get(placed.headers["Location"]).get_data(as_text=True)
    assert "ترخيص احترافي" in done
    orders = client.get("/api/v1/orders", headers=auth).get_json()["items"]
    assert orders[0]["lines"][0]["name"] == "ترخيص احترافي"
    assert orders[0]["lines"][0]["product_id"] == "pro"
    with client.application.app_context():
        svc = services()
        order = load_order(svc.redis, svc.keyring, orders[0]["id"])
    receipt = receipt_content(order, seller_of(Merchant(id="acme", name="Acme")))
    assert "ترخيص احترافي" in receipt.text
    assert "Pro licence" not in receipt.text


def test_the_openapi_document_describes_product_translations(client: FlaskClient) -> None:
    """Product and ProductIn carry translations: a map of locale to name and description."""
    schemas = client.get("/api/v1/openapi.json").get_json()["components"]["schemas"]
    for name, item in (("Product", "ProductText"), ("ProductIn", "ProductTextIn")):
        field = schemas[name]["properties"]["translations"]
        assert field["type"] == "object"
        assert field["additionalProperties"] == {"$ref": f"#/components/schemas/{item}"}
        assert set(schemas[item]["properties"]) == {"name", "description"}
