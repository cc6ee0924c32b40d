"""The seller's legal identity and the terms checkbox in a real headless Chromium.

At 320 and 1280 px, in English, German and Arabic (right to left), the cart page with
the terms box, its error state (ordered without ticking it) and the confirmation are
checked with axe-core; the PNGs go to ``CHECKOUT_SCREENSHOTS`` when it is set.
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

ACCOUNT = {
    "display_name": "Ruiz Software",
    "terms_url": "https://ruiz.example/terms",
    "support_email": "help@ruiz.example",
    "consent": {"terms": "required"},
    "legal": {
        "name": "Ruiz Software GmbH",
        "address": "Invalidenstr. 1\n10115 Berlin\nDeutschland",
        "vat_id": "DE136695976",
        "registration": "Amtsgericht Berlin (Charlottenburg) HRB 123456 B",
    },
}


def _link(app: Flask, locale: str) -> str:
    auth = {"Authorization": f"Bearer {add_merchant(app)}"}
    api = app.test_client()
    assert api.patch("/api/v1/account", json=ACCOUNT, headers=auth).status_code == 200
    body = {
        "products": [{"id": "pro-licence", "price": "1249.00"}],
        "customer": {"email": "ana@example.com", "country": "DE"},
        "locale": locale,
    }
    return str(api.post("/api/v1/links", json=body, headers=auth).get_json()["url"])


@pytest.mark.parametrize("locale", ["en", "de", "ar"])
@pytest.mark.parametrize("width", [320, 1280])
def test_the_terms_box_its_error_and_the_legal_footer_are_accessible(
    new_page: PageFactory, served_app: tuple[Flask, str], locale: str, width: int
) -> None:
    """Cart, its error at the unticked box and the confirmation: axe-clean, nothing sideways."""
    app, origin = served_app
    page, problems = new_page(width, 900)
    page.goto(_link(app, locale))
    assert page.locator("address.legal").is_visible()
    assert not page.locator("#f-accept_terms").is_checked()
    states = ["cart", "error", "confirmation"]
    for state in states:
        if state == "error":
            page.locator("button.primary").click()
            sync_api.expect(page.locator("#e-accept_terms")).to_be_visible()
        elif state == "confirmation":
            page.locator("#f-accept_terms").check()
            page.locator("button.primary").click()
            page.wait_for_url(re.compile(re.escape(origin) + r"/done/"))
            assert page.locator("address.legal").is_visible()
        assert_axe_clean(page, state)
        assert scroll_width(page) <= width, state
        keep_screenshot(page, f"legal-{state}-{locale}-{width}")
    # The error state is a 422 page by design; Chromium logs that status, nothing else.
    assert [p for p in problems if "status of 422" not in p] == []
