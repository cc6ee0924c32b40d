"""The confirmation page of a manual order in a real headless Chromium: axe-core, layout.

The page shows the order number and the seller's payment instructions (long lines, an IBAN,
line breaks); it must pass axe-core's WCAG 2.x A/AA rules and never scroll sideways from 320
to 1440 px, left to right and right to left.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from checkout_links.testing.storefront import (
    CHROMIUM,
    CHROMIUM_ARGS,
    WIDTHS,
    Storefront,
    storefront,
)

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not Path(CHROMIUM).exists(), reason=f"no Chromium at {CHROMIUM}"),
]
sync_api = pytest.importorskip("playwright.sync_api")
axe_sync = pytest.importorskip("axe_playwright_python.sync_playwright")

AXE_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"]
INSTRUCTIONS = (
    "Please pay by bank transfer within 14 days to:\n"
    "Ruiz Software GmbH\n"
    "IBAN DE89 3704 0044 0532 0130 00 · BIC COBADEFFXXX\n"
    "Reference: your order number (Verwendungszweck-Referenz-ohne-Leerzeichen-bitte-genau-so)"
)


@pytest.fixture(scope="module")
def shop() -> Iterator[Storefront]:
    with storefront() as served:
        manual = {"payment": {"provider": "manual", "instructions": INSTRUCTIONS}}
        answer = served.api.patch("/api/v1/account", json=manual, headers=served.auth)
        assert answer.status_code == 200
        yield served


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    with sync_api.sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            yield launched
        finally:
            launched.close()


@pytest.mark.parametrize("locale", ["en", "de", "ar"])
def test_the_manual_confirmation_passes_axe_and_fits_every_width(
    browser: Any, shop: Storefront, locale: str
) -> None:
    """axe-core finds nothing at 320 and 1280 px, nothing is wider than the window at any width,
    and the page shows the number and the instructions line by line."""
    url = shop.confirmation_url(locale)
    shots = os.environ.get("CHECKOUT_SCREENSHOTS")
    for width in WIDTHS:
        context = browser.new_context(viewport={"width": width, "height": 800}, locale=locale)
        page = context.new_page()
        page.route("**/favicon.ico", lambda route: route.fulfill(status=204))
        try:
            page.goto(url)
            text = page.inner_text(".instructions")
            assert text.splitlines()[2] == "IBAN DE89 3704 0044 0532 0130 00 · BIC COBADEFFXXX"
            assert page.inner_text(".order-number strong")
            scroll = page.evaluate("document.documentElement.scrollWidth")
            assert scroll <= width, f"{locale} at {width}px is {scroll}px wide"
            if width in (320, 1280):
                options = {"runOnly": {"type": "tag", "values": AXE_TAGS}}
                results = axe_sync.Axe().run(page, options=options)
                violations = [v["id"] for v in results.response["violations"]]
                assert violations == [], violations
                if shots:
                    page.screenshot(
                        path=f"{shots}/manual-done-{locale}-{width}.png", full_page=True
                    )
        finally:
            context.close()
