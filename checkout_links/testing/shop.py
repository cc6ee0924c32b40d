"""A customer and the worker in one process: place an order, read its event, deliver.

The helpers drive an app built by :func:`checkout_links.testing.make_app` (over
fakeredis or a real Redis) through its test client, as the webhook and receipt
tests do; the worker runs its passes by hand, so a test decides when deliveries
happen and waits for conditions with a deadline, never for a time.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from flask import Flask
from flask.testing import FlaskClient

from checkout_links.testing import BERLIN, csrf_of, link_path
from checkout_links.web.extensions import services
from checkout_links.worker.deliverer import Worker


def place_order(client: FlaskClient, auth: dict[str, str]) -> str:
    """Issue a link and check it out as a customer; returns the order id."""
    link = client.post("/api/v1/links", json={"products": [{"id": "kit"}]}, headers=auth)
    assert link.status_code == 201, link.get_json()
    path = link_path(link.get_json()["url"])
    page = client.get(path)
    form = {"csrf_token": csrf_of(page.get_data(as_text=True)), "email": "ana@example.com"}
    assert client.post(path, data={**form, **BERLIN}).status_code == 303
    status = client.get(f"/api/v1/links/{link.get_json()['id']}", headers=auth).get_json()
    assert status["status"] == "completed"
    return str(status["order_id"])


def event_of(client: FlaskClient, auth: dict[str, str], order_id: str) -> dict[str, Any]:
    """The event of ``order_id`` as ``GET /api/v1/events`` lists it."""
    items = client.get("/api/v1/events?limit=100", headers=auth).get_json()["items"]
    found = [e for e in items if e["order_id"] == order_id]
    assert len(found) == 1, items
    return dict(found[0])


def pump(app: Flask, until: Callable[[], object], timeout: float = 15.0) -> None:
    """Run worker passes until ``until()`` holds; fail after ``timeout`` seconds."""
    with app.app_context():
        worker = Worker(services(), "w1")
        try:
            worker.ensure_groups()
            deadline = time.monotonic() + timeout
            while not until():
                if time.monotonic() > deadline:
                    raise AssertionError(f"condition not reached within {timeout}s")
                if not worker.step():
                    time.sleep(0.01)
        finally:
            worker.close()
