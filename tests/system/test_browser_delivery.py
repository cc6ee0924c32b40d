"""The delivery address of a physical item in a real headless Chromium.

At 320 and 1280 px, in English and Arabic (right to left): the cart page with the box
ticked (the delivery fields hidden by static/checkout.js), unticked (shown), its error
state (no delivery city) and the confirmation showing the address, each checked with
axe-core; without JavaScript the fields show with their hint. The PNGs go to
``CHECKOUT_SCREENSHOTS`` when it is set.
"""

from __future__ import annotations

import re

import pytest
from flask import Flask

from checkout_links.testing import add_merchant
from checkout_links.testing.browser import (
    PageFactory,
    assert_axe_clean,
    keep_screenshot,
    scroll_width,
)

pytestmark = pytest.mark.browser
sync_api = pytest.importorskip("playwright.sync_api")

BILLING = {
    "email": "ana@example.com",
    "first_name": "Ana",
    "last_name": "Ruiz",
    "country": "DE",
    "address": "Invalidenstr. 1",
    "postal_code": "10115",
    "city": "Berlin",
}


def _link(app: Flask, locale: str) -> str:
    auth = {"Authorization": f"Bearer {add_merchant(app)}"}
    body = {"products": [{"id": "kit"}], "customer": BILLING, "locale": locale}
    answer = app.test_client().post("/api/v1/links", json=body, headers=auth)
    return str(answer.get_json()["url"])


@pytest.mark.parametrize("locale", ["en", "ar"])
@pytest.mark.parametrize("width", [320, 1280])
def test_the_delivery_address_hides_shows_errs_and_confirms_accessibly(
    new_page: PageFactory, served_app: tuple[Flask, str], locale: str, width: int
) -> None:
    """Ticked (fields hidden), unticked (shown), missing city (error), confirmation showing
    the address: axe-clean and nothing sideways in each state."""
    app, origin = served_app
    page, problems = new_page(width, 900)
    fields = page.locator("#delivery-fields")
    page.goto(_link(app, locale))
    for state in ("ticked", "unticked", "error", "confirmation"):
        if state == "ticked":
            assert page.locator("#f-delivery_same_as_billing").is_checked()
            sync_api.expect(fields).to_be_hidden()
        elif state == "unticked":
            page.locator("#f-delivery_same_as_billing").uncheck()
            sync_api.expect(fields).to_be_visible()
            page.locator("#f-delivery_first_name").fill("Bea")
            page.locator("#f-delivery_last_name").fill("Ruiz")
            page.locator("#f-delivery_address").fill("Mönckebergstr. 7")
            page.locator("#f-delivery_postal_code").fill("20095")
        elif state == "error":
            page.locator("button.primary").click()
            sync_api.expect(page.locator("#e-delivery_city")).to_be_visible()
            assert not page.locator("#f-delivery_same_as_billing").is_checked()
        else:
            page.locator("#f-delivery_city").fill("Hamburg")
            page.locator("button.primary").click()
            page.wait_for_url(re.compile(re.escape(origin) + r"/done/"))
            address = page.locator("section.delivery address")
            sync_api.expect(address).to_contain_text("20095 HAMBURG")
        assert_axe_clean(page, state)
        assert scroll_width(page) <= width, state
        keep_screenshot(page, f"delivery-{state}-{locale}-{width}")
    # The error state is a 422 page by design; Chromium logs that status, nothing else.
    assert [p for p in problems if "status of 422" not in p] == []


def test_without_javascript_the_delivery_fields_show_with_their_hint(
    new_page: PageFactory, served_app: tuple[Flask, str]
) -> None:
    """No script: the box ticked and the fields visible under the hint that explains them."""
    app, _ = served_app
    page, _ = new_page(320, 900, java_script_enabled=False)
    page.goto(_link(app, "en"))
    assert page.locator("#f-delivery_same_as_billing").is_checked()
    assert page.locator("#f-delivery_city").is_visible()
    hint = page.locator("#delivery-fields .hint")
    sync_api.expect(hint).to_have_text(
        "To deliver somewhere else, untick the box above and enter that address."
    )
    # axe runs as a script, so not here: the markup is the unticked state's, checked above.
    keep_screenshot(page, "delivery-nojs-en-320")
