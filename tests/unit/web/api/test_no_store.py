"""Every API answer (orders, order lists, events, links with their customer, errors too) is
marked ``Cache-Control: no-store`` once, so no cache on the way keeps personal data."""

from __future__ import annotations

from flask.testing import FlaskClient

from checkout_links.testing import METRICS_AUTH
from checkout_links.testing.shop import place_order


def test_answers_with_personal_data_are_not_to_be_stored(
    client: FlaskClient, auth: dict[str, str]
) -> None:
    """Orders, lists, events, a link with its customer, the account and errors: no-store."""
    order_id = place_order(client, auth)
    event_id = "evt_" + order_id.removeprefix("ord_")
    customer = {"email": "ana@example.com", "first_name": "Ana"}
    created = client.post(
        "/api/v1/links", json={"products": [{"id": "kit"}], "customer": customer}, headers=auth
    )
    answers = {
        "POST /links": created,
        "GET /links/{id}": client.get(f"/api/v1/links/{created.get_json()['id']}", headers=auth),
        "GET /orders/{id}": client.get(f"/api/v1/orders/{order_id}", headers=auth),
        "GET /orders": client.get("/api/v1/orders", headers=auth),
        "GET /events": client.get("/api/v1/events", headers=auth),
        "GET /events/{id}": client.get(f"/api/v1/events/{event_id}", headers=auth),
        "GET /account": client.get("/api/v1/account", headers=auth),
        "401": client.get("/api/v1/orders"),
        "404": client.get("/api/v1/orders/ord_AAAAAAAAAAAAAAAAAAAAAA", headers=auth),
        "422": client.post("/api/v1/links", json={"products": []}, headers=auth),
    }
    for name, answer in answers.items():
        assert answer.headers.getlist("Cache-Control") == ["no-store"], name


def test_metrics_are_marked_once_too(client: FlaskClient) -> None:
    """/metrics, outside /api/, gets the pages' no-store once."""
    answer = client.get("/metrics", headers=METRICS_AUTH)
    assert answer.status_code == 200
    assert answer.headers.getlist("Cache-Control") == ["no-store"]
