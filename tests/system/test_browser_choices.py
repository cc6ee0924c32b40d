"""Cart choices in a real headless Chromium on a phone-sized screen, with and without JavaScript."""

from __future__ import annotations

import re
from typing import Any

import pytest
from flask import Flask

from checkout_links.testing import BERLIN, add_merchant
from checkout_links.testing.browser import PageFactory, scroll_width
from checkout_links.testing.storefront import OFFERS

pytestmark = pytest.mark.browser

sync_api = pytest.importorskip("playwright.sync_api")

# The optional kit is physical: the order needs the billing address (prefilled).
LINK: dict[str, Any] = {**OFFERS, "customer": BERLIN}
PHONE = {"width": 375, "height": 740}


def _issue(app: Flask) -> str:
    auth = {"Authorization": f"Bearer {add_merchant(app)}"}
    api = app.test_client()
    api.put("/api/v1/promotions/TENOFF", json={"percent": "10"}, headers=auth)
    link: dict[str, Any] = api.post("/api/v1/links", json=LINK, headers=auth).get_json()
    return str(link["url"])


@pytest.mark.parametrize("javascript", [False, True])
def test_a_customer_changes_quantities_takes_an_offer_applies_a_code_and_orders(
    new_page: PageFactory, served_app: tuple[Flask, str], javascript: bool
) -> None:
    """On a 375 px screen: 3 licences, the kit, the code, then the order, with JS on or off."""
    app, origin = served_app
    url = _issue(app)
    page, problems = new_page(PHONE["width"], PHONE["height"], java_script_enabled=javascript)
    page.goto(url)
    assert page.locator("dl.total dd").inner_text() == "€200.00"
    if not page.evaluate("document.getElementById('summary').open"):
        page.locator("#summary > summary").click()  # folded on a phone with JS
    page.locator("#f-qty_0").fill("3")
    total = page.locator("dl.total dd")
    if javascript:
        # The change event asks the server; the figures change in place.
        page.locator("#f-qty_0").dispatch_event("change")
    else:
        page.get_by_role("button", name="Update totals").click()
    sync_api.expect(total).to_have_text("€300.00")
    page.locator("#f-opt_0").check()
    page.locator("#f-promo_code").fill("tenoff")
    page.get_by_role("button", name="Apply").click()
    sync_api.expect(page.locator("dt.discount")).to_have_text("TENOFF")
    assert page.locator("#f-opt_0").is_checked()
    # 300.00 + 49.90 = 349.90, less 10 % (34.99)
    sync_api.expect(total).to_have_text("€314.91")
    width = scroll_width(page)
    assert width <= PHONE["width"], "the page scrolls sideways on a phone"
    page.locator("#f-email").fill("ana@example.com")
    page.get_by_role("button", name=re.compile("Place order")).click()
    page.wait_for_url(re.compile(re.escape(origin) + r"/done/"))
    assert problems == []
