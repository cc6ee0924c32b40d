"""Tax end to end on a real redis-server: a German shop sells to France, read back everywhere.

Orders are placed through the app's cart form; the API, the webhook (a real receiver on
127.0.0.1, the worker's passes run by hand), the receipt (a real SMTP server) and the CSV
export all show the same tax figures. This is the closing scenario of issue 21's tax point:
a French consumer pays French VAT on top; a French business with a valid VAT number pays
none, and everything it reads says the reverse charge applies. Both accept the seller's
terms (recorded on the order) and read its legal identity in their email. A third order,
of a physical item, is refused without an address and then delivered to the one given.
"""

from __future__ import annotations

import csv
import io
import json
import re
from collections.abc import Iterator
from typing import Any

import pytest
import redis
from flask import Flask
from flask.testing import FlaskClient

from checkout_links.core.orders.export import CsvExport
from checkout_links.core.orders.queries import load_order
from checkout_links.testing import add_merchant, csrf_of, link_path, make_app
from checkout_links.testing.shop import pump
from checkout_links.testing.smtp_server import SmtpServer
from checkout_links.testing.webhook_receiver import Receiver
from checkout_links.web.extensions import services

FR_VAT = "FR40303265045"
FAST = {
    "allow_private_webhooks": True,
    "rate_limits_enabled": False,
    "webhook_retry_base_seconds": 0.05,
    "smtp_timeout_seconds": 5,
    "mail_from": "receipts@pay.example.com",
}
CART = {
    "currency": "EUR",
    "locale": "fr",
    "products": [
        {"id": "pro-licence", "price": "249.00", "quantity": 2},
        {"id": "support", "quantity": 3},
    ],
    "discount": {"percent": "10", "label": "Remise"},
}


@pytest.fixture
def smtp() -> Iterator[SmtpServer]:
    with SmtpServer() as server:
        yield server


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    with Receiver() as rec:
        yield rec


@pytest.fixture
def shop(real_redis: Any, smtp: SmtpServer, receiver: Receiver) -> tuple[Flask, dict[str, str]]:
    """A German shop (prices without tax, reverse charge on) on the real server."""
    app = make_app(
        redis.Redis.from_url(real_redis.url), smtp_url=f"smtp://127.0.0.1:{smtp.port}", **FAST
    )
    auth = {"Authorization": f"Bearer {add_merchant(app)}"}
    client = app.test_client()
    with app.app_context():
        services().merchants.set_webhook_url("acme", f"{receiver.url}/hook")
    rates = {
        "de-mwst": {"country": "DE", "percent": "19", "display_name": "MwSt."},
        "fr-tva": {"country": "FR", "percent": "20", "display_name": "TVA"},
    }
    for rate_id, body in rates.items():
        assert (
            client.put(f"/api/v1/tax_rates/{rate_id}", json=body, headers=auth).status_code == 201
        )
    account = {
        "tax": {"prices_include_tax": False, "origin_country": "DE", "reverse_charge": True},
        "terms_url": "https://ruiz.example/agb",
        "consent": {"terms": "required"},
        "legal": {"name": "Ruiz Software GmbH", "address": "Invalidenstr. 1\n10115 Berlin"},
    }
    assert client.patch("/api/v1/account", json=account, headers=auth).status_code == 200
    return app, auth


def _place(client: FlaskClient, auth: dict[str, str], **details: str) -> dict[str, Any]:
    """Issue the cart, check it out with ``details`` and return the order from the API."""
    link = client.post("/api/v1/links", json=CART, headers=auth)
    assert link.status_code == 201, link.get_json()
    path = link_path(link.get_json()["url"])
    form = {
        "csrf_token": csrf_of(client.get(path).get_data(as_text=True)),
        "accept_terms": "yes",
        **details,
    }
    assert client.post(path, data=form).status_code == 303
    order_id = client.get(f"/api/v1/links/{link.get_json()['id']}", headers=auth).get_json()[
        "order_id"
    ]
    answer = client.get(f"/api/v1/orders/{order_id}", headers=auth)
    assert answer.status_code == 200
    return dict(answer.get_json())


def test_a_german_shop_sells_to_a_french_consumer_and_a_french_business(
    shop: tuple[Flask, dict[str, str]], smtp: SmtpServer, receiver: Receiver
) -> None:
    """French VAT is added for the consumer; the business pays none under the reverse charge."""
    app, auth = shop
    client = app.test_client()
    consumer = _place(client, auth, email="lea@example.fr", country="FR", first_name="Léa")
    business = _place(
        client,
        auth,
        email="achats@dupont.example",
        country="FR",
        company="Dupont SARL",
        tax_id=FR_VAT,
    )

    # 2 x 249.00 + 3 x 95.00 = 783.00; 10 % off = 78.30, shared 49.80 / 28.50 (pro rata).
    assert [line["amount_after_discounts"] for line in consumer["lines"]] == ["448.20", "256.50"]
    assert [line["tax_amount"] for line in consumer["lines"]] == ["89.64", "51.30"]
    assert consumer["tax"] == [
        {"rate_id": "fr-tva", "display_name": "TVA", "percent": "20", "amount": "140.94"}
    ]
    assert (consumer["subtotal"], consumer["tax_total"], consumer["total"]) == (
        "783.00",
        "140.94",
        "845.64",
    )
    assert (consumer["prices_include_tax"], consumer["reverse_charge"]) == (False, False)

    assert (business["tax"], business["tax_total"], business["total"]) == ([], "0.00", "704.70")
    assert business["reverse_charge"] is True
    assert business["customer"]["tax_id"] == FR_VAT
    for order in (consumer, business):
        assert order["consent"] == {
            "terms_accepted_at": order["created_at"],
            "terms_url": "https://ruiz.example/agb",
        }

    # The webhook carries the order as the API shows it.
    pump(app, lambda: len(receiver.received()) >= 2 and len(smtp.received) >= 2)
    bodies = {
        json.loads(r.body)["data"]["id"]: json.loads(r.body)["data"] for r in receiver.received()
    }
    assert bodies[consumer["id"]] == consumer
    assert bodies[business["id"]] == business

    # The receipts (in French, the link's locale) list the tax, or say reverse charge.
    mails = {m.rcpt_tos[0]: m.message for m in smtp.received}
    texts = {}
    for address, message in mails.items():
        body = message.get_body(("plain",))
        assert body is not None
        # Without the direction isolates (FSI/PDI) around the seller's and customer's texts.
        texts[address] = re.sub("[\u2068\u2069]", "", str(body.get_content()))
    assert "TVA 20\xa0% en sus\xa0: 140,94\xa0€" in texts["lea@example.fr"]
    assert "Total\xa0: 845,64\xa0€" in texts["lea@example.fr"]
    assert "Autoliquidation" in texts["achats@dupont.example"]
    for text in texts.values():  # the seller's legal identity closes every email
        assert text.replace("\r\n", "\n").rstrip().endswith("GmbH\nInvalidenstr. 1\n10115 Berlin")
    assert "TVA 20" not in texts["achats@dupont.example"]

    # The CSV export has one column per figure, per order and per line.
    with app.app_context():
        export = CsvExport()
        text = export.header() + export.order(
            load_order(services().redis, services().keyring, consumer["id"])
        )
    rows = list(csv.DictReader(io.StringIO(text)))
    assert [(r["order_tax_total"], r["order_total"]) for r in rows] == [("140.94", "845.64")] * 2
    assert [(r["tax_name"], r["tax_percent"], r["tax_amount"]) for r in rows] == [
        ("TVA", "20", "89.64"),
        ("TVA", "20", "51.30"),
    ]


#: An order number as the customer reads it: Crockford's base 32, grouped by dashes.
NUMBER = re.compile(r"[0-9A-HJKMNP-TV-Z]{4}-[0-9A-HJKMNP-TV-Z]{4}-[0-9A-HJKMNP-TV-Z]{2}")
PARIS = {"country": "FR", "address": "12 rue de Rivoli", "postal_code": "75001", "city": "Paris"}
KIT_CART = {
    "currency": "EUR",
    "locale": "fr",
    "products": [{"id": "pro-licence", "price": "249.00"}, {"id": "kit", "quantity": 2}],
    "custom_fields": [
        {
            "key": "licence_holder",
            "label": {"en": "Licence holder", "fr": "Titulaire de la licence"},
            "type": "text",
        }
    ],
}


def test_a_german_shop_ships_a_physical_item_only_to_an_address(
    shop: tuple[Flask, dict[str, str]], smtp: SmtpServer, receiver: Receiver
) -> None:
    """A cart with a physical item is refused without an address (the link stays open), then
    placed with one: delivered to the billing address, French VAT added, the custom field,
    the terms and a readable number on the order, its confirmation page and its email."""
    app, auth = shop
    client = app.test_client()
    link = client.post("/api/v1/links", json=KIT_CART, headers=auth)
    assert link.status_code == 201, link.get_json()
    path = link_path(link.get_json()["url"])
    base = {
        "csrf_token": csrf_of(client.get(path).get_data(as_text=True)),
        "accept_terms": "yes",
        "email": "marc@example.fr",
        "first_name": "Marc",
        "last_name": "Petit",
        "cf_licence_holder": "Marc Petit",
    }

    refused = client.post(path, data={**base, "country": "FR"})
    assert refused.status_code == 422
    page = refused.get_data(as_text=True)
    for field in ("address", "postal_code", "city"):
        assert f'id="e-{field}"' in page
    state = client.get(f"/api/v1/links/{link.get_json()['id']}", headers=auth).get_json()
    assert (state["status"], state.get("order_id")) == ("open", None)

    placed = client.post(path, data={**base, **PARIS})
    assert placed.status_code == 303
    state = client.get(f"/api/v1/links/{link.get_json()['id']}", headers=auth).get_json()
    order = client.get(f"/api/v1/orders/{state['order_id']}", headers=auth).get_json()
    assert order["delivery_address"] == {
        "first_name": "Marc",
        "last_name": "Petit",
        "company": "",
        "country": "FR",
        "region": "",
        "city": "Paris",
        "postal_code": "75001",
        "address": "12 rue de Rivoli",
    }
    assert order["custom_fields"] == {"licence_holder": "Marc Petit"}
    # 249.00 + 2 x 49.90 = 348.80; TVA 20 % = 69.76.
    assert (order["subtotal"], order["tax_total"], order["total"]) == ("348.80", "69.76", "418.56")
    assert order["consent"]["terms_url"] == "https://ruiz.example/agb"
    assert NUMBER.fullmatch(order["number"]), order["number"]
    found = client.get(f"/api/v1/orders?number={order['number'].lower()}", headers=auth)
    assert [o["id"] for o in found.get_json()["items"]] == [order["id"]]

    # The confirmation page: the number, the answer, where it goes and who sells.
    done = client.get(placed.headers["Location"]).get_data(as_text=True)
    assert order["number"] in done
    assert order["id"] not in done
    assert "Titulaire de la licence" in done
    assert "Marc Petit" in done
    assert "12 rue de Rivoli" in done
    assert "Ruiz Software GmbH" in done
    assert "Invalidenstr. 1" in done

    # The email: the same number, the delivery address and the seller's legal identity.
    pump(app, lambda: len(smtp.received) >= 1)
    message = smtp.received[0].message
    body = message.get_body(("plain",))
    assert body is not None
    text = re.sub("[\u2068\u2069]", "", str(body.get_content()))
    assert order["number"] in text
    assert order["id"] not in text
    assert "12 rue de Rivoli" in text
    assert "Titulaire de la licence" in text
    assert text.replace("\r\n", "\n").rstrip().endswith("GmbH\nInvalidenstr. 1\n10115 Berlin")
