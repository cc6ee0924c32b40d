"""The seller's legal identity and the terms checkbox in a real headless Chromium.

At 320 and 1280 px, in English, German and Arabic (right to left), the cart page with
the terms box, its error state (ordered without ticking it) and the confirmation are
checked with axe-core; the PNGs go to ``CHECKOUT_SCREENSHOTS`` when it is set.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from flask import Flask

from checkout_links.testing import add_merchant
from checkout_links.testing.storefront import CHROMIUM, CHROMIUM_ARGS

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not Path(CHROMIUM).exists(), reason=f"no Chromium at {CHROMIUM}"),
]
sync_api = pytest.importorskip("playwright.sync_api")
axe_sync = pytest.importorskip("axe_playwright_python.sync_playwright")

AXE_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"]
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


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    with sync_api.sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            yield launched
        finally:
            launched.close()


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


def _axe(page: Any) -> list[Any]:
    results = axe_sync.Axe().run(page, options={"runOnly": {"type": "tag", "values": AXE_TAGS}})
    return [
        (v["id"], [n["target"] for n in v["nodes"]][:3]) for v in results.response["violations"]
    ]


@pytest.mark.parametrize("locale", ["en", "de", "ar"])
@pytest.mark.parametrize("width", [320, 1280])
def test_the_terms_box_its_error_and_the_legal_footer_are_accessible(
    browser: Any, served_app: tuple[Flask, str], locale: str, width: int
) -> None:
    """Cart, its error at the unticked box and the confirmation: axe-clean, nothing sideways."""
    app, origin = served_app
    shots = os.environ.get("CHECKOUT_SCREENSHOTS")
    context = browser.new_context(viewport={"width": width, "height": 900})
    page = context.new_page()
    problems: list[str] = []
    page.route("**/favicon.ico", lambda route: route.fulfill(status=204))
    page.on("console", lambda m: problems.append(m.text) if m.type == "error" else None)
    try:
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
            assert _axe(page) == [], state
            assert page.evaluate("document.documentElement.scrollWidth") <= width, state
            if shots:
                page.screenshot(path=f"{shots}/legal-{state}-{locale}-{width}.png", full_page=True)
        # The error state is a 422 page by design; Chromium logs that status, nothing else.
        assert [p for p in problems if "status of 422" not in p] == []
    finally:
        context.close()
