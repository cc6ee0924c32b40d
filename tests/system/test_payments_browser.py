"""The confirmation page of a manual order in a real headless Chromium: axe-core, layout.

The page shows the order number and the seller's payment instructions (long lines, an IBAN,
line breaks); it must pass axe-core's WCAG 2.x A/AA rules and never scroll sideways from 320
to 1440 px, left to right and right to left.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from checkout_links.testing.browser import (
    PageFactory,
    assert_axe_clean,
    keep_screenshot,
    scroll_width,
)
from checkout_links.testing.storefront import WIDTHS, Storefront, storefront

pytestmark = pytest.mark.browser

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


@pytest.mark.parametrize("locale", ["en", "de", "ar"])
def test_the_manual_confirmation_passes_axe_and_fits_every_width(
    new_page: PageFactory, shop: Storefront, locale: str
) -> None:
    """axe-core finds nothing at 320 and 1280 px, nothing is wider than the window at any width,
    and the page shows the number and the instructions line by line."""
    url = shop.confirmation_url(locale)
    for width in WIDTHS:
        page, _ = new_page(width, 800, locale=locale)
        page.goto(url)
        text = page.inner_text(".instructions")
        assert text.splitlines()[2] == "IBAN DE89 3704 0044 0532 0130 00 · BIC COBADEFFXXX"
        assert page.inner_text(".order-number strong")
        scroll = scroll_width(page)
        assert scroll <= width, f"{locale} at {width}px is {scroll}px wide"
        if width in (320, 1280):
            assert_axe_clean(page, width)
            keep_screenshot(page, f"manual-done-{locale}-{width}")
        page.context.close()
