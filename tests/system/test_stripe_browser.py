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

from checkout_links.testing.card_shop import (
    DECLINED_CARD,
    GOOD_CARD,
    THREE_D_SECURE_CARD,
    CardShop,
)
from checkout_links.testing.localstripe import LocalStripe
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
expect = sync_api.expect

AXE_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"]
#: Stripe's own field (an iframe at Stripe; the double's bare inputs here) is not ours to check.
STRIPE_FIELD = "#card-element"


@pytest.fixture(scope="module")
def shop(localstripe: LocalStripe) -> Iterator[Storefront]:
    with storefront(stripe_api_base=localstripe.url, stripe_js_url=localstripe.js_url) as served:
        CardShop(served.api, served.auth, localstripe).connect()
        yield served


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    with sync_api.sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            yield launched
        finally:
            launched.close()


def _open(
    browser: Any, url: str, locale: str = "en", width: int = 1280, **kw: Any
) -> tuple[Any, Any, list[str]]:
    context = browser.new_context(viewport={"width": width, "height": 900}, locale=locale, **kw)
    page = context.new_page()
    problems: list[str] = []
    page.on(
        "console",
        lambda m: (
            problems.append(m.text)
            if m.type == "error" and not m.text.startswith("Failed to load resource")
            else None
        ),
    )
    page.on("pageerror", lambda e: problems.append(str(e)))
    page.route("**/favicon.ico", lambda route: route.fulfill(status=204))
    page.goto(url)
    return context, page, problems


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


def test_a_customer_pays_by_card(browser: Any, shop: Storefront) -> None:
    """Cart → payment page → card → the confirmation, which says what was paid."""
    context, page, problems = _open(browser, str(shop.issue("en")["url"]))
    try:
        _to_payment_page(page)
        expect(page.locator("#pay-button")).to_contain_text("€")
        _type_card(page, GOOD_CARD)
        page.locator("#pay-button").click()
        expect(page).to_have_url(re.compile(r"/done/"))
        expect(page.locator("main")).to_contain_text("Paid")
        assert problems == []
    finally:
        context.close()


def test_a_decline_then_another_card(browser: Any, shop: Storefront) -> None:
    """A declined card brings the page back with the message in focus; another card pays."""
    context, page, problems = _open(browser, str(shop.issue("en")["url"]))
    try:
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
    finally:
        context.close()


def test_three_d_secure_in_the_banks_dialog(browser: Any, shop: Storefront) -> None:
    """A 3-D Secure card: the bank's dialog opens; completing it ends on the confirmation."""
    context, page, problems = _open(browser, str(shop.issue("en")["url"]))
    try:
        _to_payment_page(page)
        _type_card(page, THREE_D_SECURE_CARD)
        page.locator("#pay-button").click()
        complete = page.get_by_role("button", name="Complete authentication")
        expect(complete).to_be_focused()
        page.keyboard.press("Enter")
        expect(page).to_have_url(re.compile(r"/done/"))
        assert problems == []
    finally:
        context.close()


def test_keyboard_only(browser: Any, shop: Storefront) -> None:
    """Tab into the card field, type, Tab to Pay, Enter: paid, without a mouse."""
    context, page, _ = _open(browser, str(shop.issue("en")["url"]))
    try:
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
    finally:
        context.close()


def test_without_javascript_the_page_says_card_payment_needs_it(
    browser: Any, shop: Storefront
) -> None:
    """With JavaScript off the payment page explains (translated) and shows no dead form."""
    context, page, _ = _open(
        browser, str(shop.issue("de")["url"]), locale="de", java_script_enabled=False
    )
    try:
        page.locator("button.primary").click()
        expect(page).to_have_url(re.compile(r"/pay/"))
        expect(page.locator("body")).to_contain_text("JavaScript")
        expect(page.locator("#pay-form")).to_be_hidden()
        assert page.get_attribute("html", "lang") == "de"
    finally:
        context.close()


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


def _payment_url(browser: Any, shop: Storefront, locale: str, declined: bool) -> str:
    context, page, _ = _open(browser, str(shop.issue(locale)["url"]), locale=locale)
    try:
        _to_payment_page(page)
        if declined:
            _type_card(page, DECLINED_CARD)
            page.locator("#pay-button").click()
            expect(page).to_have_url(re.compile(r"problem=declined"))
        return str(page.url)
    finally:
        context.close()


@pytest.mark.parametrize("locale", ["en", "ar"])
@pytest.mark.parametrize("state", ["payment", "declined"])
def test_axe_and_layout_of_the_payment_page(
    browser: Any, shop: Storefront, locale: str, state: str, tmp_path: Path
) -> None:
    """0 axe violations at 320 and 1280 px; nothing wider than the window from 320 to 1440."""
    url = _payment_url(browser, shop, locale, state == "declined")
    for width in WIDTHS:
        context, page, problems = _open(browser, url, locale=locale, width=width)
        try:
            expect(page.locator("#card-element input").first).to_be_visible()
            if width in (320, 1280):
                results = axe_sync.Axe().run(
                    page,
                    context={"exclude": [[STRIPE_FIELD]]},
                    options={"runOnly": {"type": "tag", "values": AXE_TAGS}},
                )
                violations = [
                    (v["id"], [n["target"] for n in v["nodes"]][:3])
                    for v in results.response["violations"]
                ]
                assert violations == [], (width, violations)
            scroll = page.evaluate("document.documentElement.scrollWidth")
            assert scroll <= width, f"{state} {locale} at {width}px is {scroll}px wide"
            assert page.get_attribute("html", "dir") == ("rtl" if locale == "ar" else "ltr")
            assert problems == []
        finally:
            context.close()
