"""Every page state in every one of the 44 locales, in one shared headless Chromium.

Each locale's cart, cart with choices, cart with errors, confirmation, 404,
the three 410s and the 503 are checked by axe-core (WCAG 2.0/2.1/2.2 A and
AA) at 1280 px and again at 320 px on the same page, which must not scroll
sideways. ``CHECKOUT_SCREENSHOTS=<dir>`` keeps full-page screenshots of the
cart in ar, fa, th, ja and el at both widths, to look at.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Any

import pytest

from checkout_links.core.i18n.locales import RTL, SUPPORTED, words_for
from checkout_links.testing.browser import (
    PageFactory,
    axe_violations,
    keep_screenshot,
    scroll_width,
    send_bad_cart,
)
from checkout_links.testing.storefront import OFFERS, Storefront, storefront

pytestmark = pytest.mark.browser

STATES = (
    "cart",
    "cart-choices",
    "cart-errors",
    "confirmation",
    "404",
    "410-completed",
    "410-revoked",
    "410-expired",
    "503",
)
SHOT_LOCALES = ("ar", "fa", "th", "ja", "el")


@pytest.fixture(scope="module")
def shop() -> Iterator[Storefront]:
    # 44 locales post their forms from one address within minutes: the per-client
    # limits are not what this test checks (tests/system/test_rate_limit_auth.py does).
    with storefront(rate_limits_enabled=False) as served:
        yield served


@pytest.fixture(scope="module")
def expired(shop: Storefront) -> dict[str, str]:
    """One expired link per locale, made together so the module waits one second, not 44."""
    links = {tag: str(shop.issue(tag, expires_in=1)["url"]) for tag in SUPPORTED}
    time.sleep(1.05)
    return links


def _url(shop: Storefront, expired: dict[str, str], tag: str, state: str) -> str:
    if state in ("cart", "cart-errors", "503"):
        return str(shop.issue(tag)["url"])
    if state == "cart-choices":
        return str(shop.issue(tag, **OFFERS)["url"])
    if state == "confirmation":
        return shop.confirmation_url(tag)
    if state == "404":
        return f"{shop.origin}/c/{'x' * 80}"
    if state == "410-expired":
        return expired[tag]
    return shop.gone_url(tag, state.removeprefix("410-"))


def _show(page: Any, shop: Storefront, state: str, url: str) -> None:
    if state == "503":
        with shop.outage():
            page.goto(url)
        return
    page.goto(url)
    if state == "cart-errors":
        send_bad_cart(page)


@pytest.mark.parametrize("tag", SUPPORTED)
def test_every_page_state_is_accessible_and_fits_a_phone_in_every_locale(
    new_page: PageFactory, shop: Storefront, expired: dict[str, str], tag: str
) -> None:
    """axe finds 0 violations at 1280 and 320 px, nothing scrolls sideways, lang and dir fit."""
    found: dict[str, Any] = {}
    page, _ = new_page(1280, 800, locale=tag)
    for state in STATES:
        page.set_viewport_size({"width": 1280, "height": 800})
        _show(page, shop, state, _url(shop, expired, tag, state))
        lang, direction = page.get_attribute("html", "lang"), page.get_attribute("html", "dir")
        if (words_for(lang or "") if state == "404" else lang) != tag:
            found[f"{state} lang"] = lang
        if direction != ("rtl" if tag in RTL else "ltr"):
            found[f"{state} dir"] = direction
        for width in (1280, 320):
            page.set_viewport_size({"width": width, "height": 800})
            if violations := axe_violations(page):
                found[f"{state} {width}px axe"] = violations
            scroll = scroll_width(page)
            if scroll > width:
                found[f"{state} {width}px width"] = scroll
            if tag in SHOT_LOCALES and state in ("cart", "cart-choices"):
                keep_screenshot(page, f"{state}-{tag}-{width}")
    assert found == {}, found
