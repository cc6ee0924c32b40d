"""A real headless Chromium placing an order through the checkout page."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
from flask import Flask

from checkout_links.testing import add_merchant
from checkout_links.testing.browser import PageFactory

pytestmark = pytest.mark.browser


def test_a_customer_edits_the_prefilled_form_and_places_the_order(
    new_page: PageFactory, served_app: tuple[Flask, str], tmp_path: Path
) -> None:
    """Chromium opens a link, sees the pre-fill, edits a field and lands on the confirmation."""
    app, origin = served_app
    auth = {"Authorization": f"Bearer {add_merchant(app)}"}
    api = app.test_client()
    body = {
        "products": [{"id": "pro-licence", "price": "1249.00", "properties": {"seats": "25"}}],
        "customer": {"email": "ana@example.com", "first_name": "Ana", "last_name": "Ruiz"},
        "locale": "de",
    }
    link: dict[str, Any] = api.post("/api/v1/links", json=body, headers=auth).get_json()
    assert link["url"].startswith(origin + "/c/")
    # CSP violations and failed sub-resources show up as console errors.
    page, problems = new_page(1280, 720)
    response = page.goto(link["url"])
    assert response is not None
    assert response.status == 200
    assert page.locator("#f-email").input_value() == "ana@example.com"
    assert page.locator("#f-last_name").input_value() == "Ruiz"
    assert "1.249,00" in page.locator("dl.total dd").inner_text()
    shot = tmp_path / "cart.png"
    page.screenshot(path=str(shot), full_page=True)
    assert shot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"

    page.locator("#f-last_name").fill("Ruiz-Zabaleta")
    page.get_by_role("button", name=re.compile("bestellen")).click()
    page.wait_for_url(re.compile(re.escape(origin) + r"/done/"))
    number = page.locator(".order-number strong").inner_text()
    assert page.locator("h1").inner_text() == "Danke, Ihre Bestellung ist aufgegeben"

    status = api.get(f"/api/v1/links/{link['id']}", headers=auth).get_json()
    assert status["status"] == "completed"
    order = api.get(f"/api/v1/orders/{status['order_id']}", headers=auth).get_json()
    assert number == order["number"]  # the customer reads the order number, not the id
    assert order["customer"]["last_name"] == "Ruiz-Zabaleta"
    assert order["customer"]["first_name"] == "Ana"
    assert order["customer"]["email"] == "ana@example.com"
    assert problems == []
