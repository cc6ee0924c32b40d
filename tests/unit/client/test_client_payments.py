"""``checkout_links.client``'s order payment calls against the app (WSGI, fakeredis)."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest
from flask import Flask
from flask.testing import FlaskClient

from checkout_links.client import CheckoutLinksClient, ConflictError
from checkout_links.testing import BERLIN, csrf_of, link_path

BASE = "http://localhost"


@pytest.fixture
def api(app: Flask, api_key: str, client: FlaskClient) -> Iterator[CheckoutLinksClient]:
    auth = {"Authorization": f"Bearer {api_key}"}
    manual = {"payment": {"provider": "manual", "instructions": "Bank transfer"}}
    assert client.patch("/api/v1/account", json=manual, headers=auth).status_code == 200
    with CheckoutLinksClient(BASE, api_key, transport=httpx.WSGITransport(app=app)) as api:
        yield api


def _placed(api: CheckoutLinksClient, client: FlaskClient) -> str:
    link = api.create_link([{"id": "kit", "quantity": 2}])
    page = client.get(link_path(link["url"])).get_data(as_text=True)
    form = {"csrf_token": csrf_of(page), "email": "ana@example.com", **BERLIN}
    assert client.post(link_path(link["url"]), data=form).status_code == 303
    order_id = api.get_link(link["id"])["order_id"]
    assert order_id is not None
    return order_id


def test_find_mark_paid_refund_and_cancel(api: CheckoutLinksClient, client: FlaskClient) -> None:
    """find_order finds by number; mark_paid, refund (part, then the rest) and cancel_order
    return the order in its new state; canceling a paid order is a ConflictError."""
    order_id = _placed(api, client)
    order = api.get_order(order_id)
    assert order["number"] is not None
    found = api.find_order(order["number"].lower())
    assert found is not None
    assert found["id"] == order_id
    paid = api.mark_paid(order_id, "TRX-7")
    assert paid["payment"] is not None
    assert paid["payment"]["status"] == "paid"
    part = api.refund(order_id, "10.00", idempotency_key="rf-1")
    again = api.refund(order_id, "10.00", idempotency_key="rf-1")
    assert api.last_response is not None
    assert api.last_response.idempotent_replayed
    assert part == again
    rest = api.refund(order_id)
    assert rest["payment"] is not None
    assert rest["payment"]["status"] == "refunded"
    with pytest.raises(ConflictError):
        api.cancel_order(order_id)
    other = _placed(api, client)
    canceled = api.cancel_order(other)
    assert canceled["payment"] is not None
    assert canceled["payment"]["status"] == "canceled"
    assert api.find_order("0000-0000-00") is None
