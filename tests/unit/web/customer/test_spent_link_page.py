"""The page of a spent link: the order it produced, by number, and where its payment stands."""

from __future__ import annotations

from typing import Any

from flask.testing import FlaskClient

from checkout_links.testing import csrf_of, link_path


def _place(client: FlaskClient, auth: dict[str, str], locale: str) -> tuple[str, dict[str, Any]]:
    """A link placed once; its path and the order the API shows."""
    body = {"products": [{"id": "pro-licence", "price": "100.00"}], "locale": locale}
    answer = client.post("/api/v1/links", json=body, headers=auth)
    assert answer.status_code == 201
    path = link_path(answer.get_json()["url"])
    form = {"csrf_token": csrf_of(client.get(path).get_data(as_text=True))}
    assert client.post(path, data={**form, "email": "ana@example.com"}).status_code == 303
    order: dict[str, Any] = client.get("/api/v1/orders", headers=auth).get_json()["items"][0]
    return path, order


def test_a_spent_link_names_its_order_and_says_the_payment_is_awaited_then_received(
    client: FlaskClient, auth: dict[str, str]
) -> None:
    """A manual order: 410 with its number and "not received yet", then "received" once paid."""
    payment = {"provider": "manual", "instructions": "Pay by bank transfer."}
    assert client.patch("/api/v1/account", json={"payment": payment}, headers=auth).status_code
    path, order = _place(client, auth, "en")
    page = client.get(path)
    assert page.status_code == 410
    html = page.get_data(as_text=True)
    assert f"Your order number is <strong>{order['number']}</strong>" in html
    assert "The payment for this order has not been received yet." in html
    paid = client.post(
        f"/api/v1/orders/{order['id']}/mark_paid", json={"reference": "TRX-1"}, headers=auth
    )
    assert paid.status_code == 200
    html = client.get(path).get_data(as_text=True)
    assert "The payment for this order was received." in html
    assert "has not been received yet" not in html


def test_a_spent_link_speaks_its_locale_and_a_seller_without_payments_arranges_it(
    client: FlaskClient, auth: dict[str, str]
) -> None:
    """Provider none, in German: the number, and that the seller arranges the payment."""
    path, order = _place(client, auth, "de")
    page = client.get(path)
    assert page.status_code == 410
    html = page.get_data(as_text=True)
    assert f"Ihre Bestellnummer lautet <strong>{order['number']}</strong>" in html
    assert "Die Zahlung vereinbart der Verkäufer direkt mit Ihnen." in html
