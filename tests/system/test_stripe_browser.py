"""Paying by card in a real headless Chromium, with localstripe's mock of Stripe.js.

The customer's whole way: the cart, *Place order*, the payment page, the card
typed into Stripe.js's field, *Pay*, the confirmation; a decline and a retry;
3-D Secure through the mock's dialog; without JavaScript; keyboard only; axe-core
and the layout at every width, left to right and right to left.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from checkout_links.testing.browser import PageFactory, assert_axe_clean, scroll_width
from checkout_links.testing.card_shop import (
    DECLINED_CARD,
    GOOD_CARD,
    THREE_D_SECURE_CARD,
    CardShop,
)
from checkout_links.testing.localstripe import LocalStripe
from checkout_links.testing.storefront import WIDTHS, Storefront, storefront

pytestmark = pytest.mark.browser
sync_api = pytest.importorskip("playwright.sync_api")
expect = sync_api.expect

#: Stripe's own field (an iframe at Stripe; the double's bare inputs here) is not ours to check.
STRIPE_FIELD = "#card-element"


@pytest.fixture(scope="module")
def shop(localstripe: LocalStripe) -> Iterator[Storefront]:
    with storefront(stripe_api_base=localstripe.url, stripe_js_url=localstripe.js_url) as served:
        CardShop(served.api, served.auth, localstripe).connect()
        yield served


def _open(
    new_page: PageFactory, url: str, locale: str = "en", width: int = 1280, **kw: Any
) -> tuple[Any, list[str]]:
    page, problems = new_page(width, 900, locale=locale, ignore=("Failed to load resource",), **kw)
    page.goto(url)
    return page, problems


def _to_payment_page(page: Any) -> None:
    page.locator("button.primary").click()
    expect(page).to_have_url(re.compile(r"/pay/"))
    expect(page.locator("#card-element input").first).to_be_visible()


def _type_card(page: Any, number: str) -> None:
    field = page.locator(STRIPE_FIELD)
    field.locator("input[placeholder=number]").fill(number)
    field.locator("input[placeholder=exp_month]").fill("12")
    field.locator("input[placeholder=exp_year]").fill("34")
    field.locator("input[placeholder=cvc]").fill("123")


def test_a_customer_pays_by_card(new_page: PageFactory, shop: Storefront) -> None:
    """Cart → payment page → card → the confirmation, which says what was paid."""
    page, problems = _open(new_page, str(shop.issue("en")["url"]))
    _to_payment_page(page)
    expect(page.locator("#pay-button")).to_contain_text("€")
    _type_card(page, GOOD_CARD)
    page.locator("#pay-button").click()
    expect(page).to_have_url(re.compile(r"/done/"))
    expect(page.locator("main")).to_contain_text("Paid")
    assert problems == []


def test_a_decline_then_another_card(new_page: PageFactory, shop: Storefront) -> None:
    """A declined card brings the page back with the message in focus; another card pays."""
    page, problems = _open(new_page, str(shop.issue("en")["url"]))
    _to_payment_page(page)
    _type_card(page, DECLINED_CARD)
    page.locator("#pay-button").click()
    expect(page).to_have_url(re.compile(r"problem=declined"))
    expect(page.locator("#error-summary")).to_contain_text("declined")
    expect(page.locator("#error-summary")).to_be_focused()
    _type_card(page, GOOD_CARD)
    page.locator("#pay-button").click()
    expect(page).to_have_url(re.compile(r"/done/"))
    assert problems == []


def test_three_d_secure_in_the_banks_dialog(new_page: PageFactory, shop: Storefront) -> None:
    """A 3-D Secure card: the bank's dialog opens; completing it ends on the confirmation."""
    page, problems = _open(new_page, str(shop.issue("en")["url"]))
    _to_payment_page(page)
    _type_card(page, THREE_D_SECURE_CARD)
    page.locator("#pay-button").click()
    complete = page.get_by_role("button", name="Complete authentication")
    expect(complete).to_be_focused()
    page.keyboard.press("Enter")
    expect(page).to_have_url(re.compile(r"/done/"))
    assert problems == []


def test_keyboard_only(new_page: PageFactory, shop: Storefront) -> None:
    """Tab into the card field, type, Tab to Pay, Enter: paid, without a mouse."""
    page, _ = _open(new_page, str(shop.issue("en")["url"]))
    _to_payment_page(page)
    number = page.locator(f"{STRIPE_FIELD} input[placeholder=number]")
    for _ in range(40):
        page.keyboard.press("Tab")
        if number.evaluate("e => e === document.activeElement"):
            break
    expect(number).to_be_focused()
    page.keyboard.type(GOOD_CARD)  # the field moves focus on by itself, as Stripe's does
    page.keyboard.type("12")
    page.keyboard.type("34")
    page.keyboard.type("123")
    for _ in range(10):
        page.keyboard.press("Tab")
        if page.locator("#pay-button").evaluate("e => e === document.activeElement"):
            break
    expect(page.locator("#pay-button")).to_be_focused()
    page.keyboard.press("Enter")
    expect(page).to_have_url(re.compile(r"/done/"))


def test_without_javascript_the_page_says_card_payment_needs_it(
    new_page: PageFactory, shop: Storefront
) -> None:
    """With JavaScript off the payment page explains (translated) and shows no dead form."""
    page, _ = _open(new_page, str(shop.issue("de")["url"]), locale="de", java_script_enabled=False)
    page.locator("button.primary").click()
    expect(page).to_have_url(re.compile(r"/pay/"))
    expect(page.locator("body")).to_contain_text("JavaScript")
    expect(page.locator("#pay-form")).to_be_hidden()
    assert page.get_attribute("html", "lang") == "de"


def test_only_the_payment_page_allows_stripe(shop: Storefront, localstripe: LocalStripe) -> None:
    """The payment page's CSP names Stripe's origins; the cart page's does not."""
    client = shop.api
    link = shop.issue("en")
    from checkout_links.testing import BERLIN, csrf_of, link_path

    path = link_path(link["url"])
    cart = client.get(path)
    assert localstripe.url not in cart.headers["Content-Security-Policy"]
    form = {"csrf_token": csrf_of(cart.get_data(as_text=True)), "email": "a@example.com"}
    placed = client.post(path, data={**form, **BERLIN})
    pay = client.get(placed.headers["Location"])
    csp = pay.headers["Content-Security-Policy"]
    assert f"script-src 'self' {localstripe.url}" in csp
    assert "frame-src" in csp
    assert "unsafe-inline" not in csp
    assert "unsafe-eval" not in csp


def _payment_url(new_page: PageFactory, shop: Storefront, locale: str, declined: bool) -> str:
    page, _ = _open(new_page, str(shop.issue(locale)["url"]), locale=locale)
    _to_payment_page(page)
    if declined:
        _type_card(page, DECLINED_CARD)
        page.locator("#pay-button").click()
        expect(page).to_have_url(re.compile(r"problem=declined"))
    url = str(page.url)
    page.context.close()
    return url


@pytest.mark.parametrize("locale", ["en", "ar"])
@pytest.mark.parametrize("state", ["payment", "declined"])
def test_axe_and_layout_of_the_payment_page(
    new_page: PageFactory, shop: Storefront, locale: str, state: str, tmp_path: Path
) -> None:
    """0 axe violations at 320 and 1280 px; nothing wider than the window from 320 to 1440."""
    url = _payment_url(new_page, shop, locale, state == "declined")
    for width in WIDTHS:
        page, problems = _open(new_page, url, locale=locale, width=width)
        expect(page.locator("#card-element input").first).to_be_visible()
        if width in (320, 1280):
            assert_axe_clean(page, width, exclude=[STRIPE_FIELD])
        scroll = scroll_width(page)
        assert scroll <= width, f"{state} {locale} at {width}px is {scroll}px wide"
        assert page.get_attribute("html", "dir") == ("rtl" if locale == "ar" else "ltr")
        assert problems == []
        page.context.close()
