"""What the customer is emailed and shown per provider, on a real redis-server and SMTP server:
manual orders get an order confirmation with the instructions, card orders their receipt when
paid."""

from __future__ import annotations

from collections.abc import Iterator
from decimal import Decimal
from typing import Any

import pytest

from checkout_links.testing import BERLIN, csrf_of, link_path
from checkout_links.testing.smtp_server import SmtpServer
from checkout_links.web.extensions import services
from tests.integration.test_receipts import CUSTOMER, Shop, _parts, _shop

INSTRUCTIONS = "Überweisung an DE89 3704 0044 0532 0130 00\nVerwendungszweck: Bestellnummer"
STRIPE = {
    "provider": "stripe",
    "stripe": {
        "publishable_key": "pk_test_51Pub",
        "secret_key": "sk_test_51Secret",
        "webhook_secret": "whsec_Signing",
    },
}


@pytest.fixture
def smtp() -> Iterator[SmtpServer]:
    with SmtpServer() as server:
        yield server


@pytest.fixture
def shop(real_redis: Any, smtp: SmtpServer) -> Shop:
    """The receipts tests' shop (Ruiz Software, support address) over the real server."""
    return _shop(real_redis.url, f"smtp://127.0.0.1:{smtp.port}")


def _events_of(shop: Shop, order_id: str) -> list[dict[str, Any]]:
    items = shop.client.get("/api/v1/events?limit=100", headers=shop.auth).get_json()["items"]
    return [e for e in items if e["order_id"] == order_id]


def test_a_manual_order_gets_an_order_confirmation_with_the_instructions(
    shop: Shop, smtp: SmtpServer
) -> None:
    """The German confirmation page and email of a manual order show the order number and the
    instructions, line breaks kept, and the email is an order confirmation, not a receipt."""
    manual = {"payment": {"provider": "manual", "instructions": INSTRUCTIONS}}
    assert shop.client.patch("/api/v1/account", json=manual, headers=shop.auth).status_code == 200
    link = shop.client.post(
        "/api/v1/links", json={"locale": "de", "products": [{"id": "kit"}]}, headers=shop.auth
    ).get_json()
    path = link_path(link["url"])
    csrf = csrf_of(shop.client.get(path).get_data(as_text=True))
    placed = shop.client.post(path, data={"csrf_token": csrf, "email": CUSTOMER, **BERLIN})
    page = shop.client.get(placed.headers["Location"]).get_data(as_text=True)
    order_id = shop.client.get(f"/api/v1/links/{link['id']}", headers=shop.auth).get_json()[
        "order_id"
    ]
    number = shop.client.get(f"/api/v1/orders/{order_id}", headers=shop.auth).get_json()["number"]
    assert f"<strong>{number}</strong>" in page
    assert "So bezahlen Sie" in page
    assert "Überweisung an DE89 3704 0044 0532 0130 00\nVerwendungszweck" in page
    assert "Eine Bestellbestätigung mit diesen Hinweisen ist unterwegs" in page
    shop.pump(lambda: smtp.received)
    message = smtp.received[0].message
    assert str(message["Subject"]) == "Ihre Bestellung bei Ruiz Software"
    text, html = _parts(message)
    for part in (text, html):
        assert number in part
        assert "So bezahlen Sie" in part
        assert "Kaufbeleg" not in part
    assert INSTRUCTIONS.replace("\n", "\r\n") in text
    assert "DE89 3704 0044 0532 0130 00<br>Verwendungszweck" in html


def test_a_card_order_is_emailed_its_receipt_when_paid_not_when_placed(
    shop: Shop, smtp: SmtpServer
) -> None:
    """A stripe order's order.created owes no email and the page promises none; its order.paid
    owes the receipt, which says what was paid."""
    assert shop.client.patch("/api/v1/account", json={"payment": STRIPE}, headers=shop.auth)
    order_id = shop.place()
    shop.passes(3)
    assert smtp.received == []
    (created,) = _events_of(shop, order_id)
    assert created["receipt"] is None
    order = shop.client.get(f"/api/v1/orders/{order_id}", headers=shop.auth).get_json()
    with shop.app.app_context():
        services().payments.record_paid(
            order_id, amount=Decimal(order["total"]), currency="EUR", reference="pi_1"
        )
    shop.pump(lambda: smtp.received)
    (sent,) = smtp.received
    assert str(sent.message["Subject"]) == "Your receipt from Ruiz Software"
    text, _html = _parts(sent.message)
    assert order["number"] in text
    assert f"Paid: €{order['total']}" in text
    paid = next(e for e in _events_of(shop, order_id) if e["type"] == "order.paid")
    assert paid["receipt"]["state"] == "sent"
