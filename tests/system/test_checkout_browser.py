"""The checkout pages in a real headless Chromium: layout at every width, axe-core, keyboard.

Every page state (cart, cart with errors, confirmation, 404, each 410, 503)
is checked with axe-core for the WCAG 2.0/2.1/2.2 A and AA rules at a phone
and a desktop width in English, German and Arabic; the layout must never
scroll sideways from 320 to 1440 px, left to right and right to left.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import pytest

from checkout_links.testing.browser import (
    PageFactory,
    assert_axe_clean,
    overflowing,
    scroll_width,
    send_bad_cart,
)
from checkout_links.testing.storefront import WIDTHS, Storefront, storefront

pytestmark = pytest.mark.browser
sync_api = pytest.importorskip("playwright.sync_api")

LOCALES = ("en", "de", "ar")


@pytest.fixture(scope="module")
def states(shop: Storefront) -> dict[str, dict[str, str]]:
    """For each locale, a URL per page state (the error state is reached by sending the cart)."""
    made: dict[str, dict[str, str]] = {}
    for locale in LOCALES:
        made[locale] = {
            "cart": str(shop.issue(locale)["url"]),
            "confirmation": shop.confirmation_url(locale),
            "404": f"{shop.origin}/c/{'x' * 80}",
            "410-completed": shop.gone_url(locale, "completed"),
            "410-revoked": shop.gone_url(locale, "revoked"),
            "410-expired": shop.gone_url(locale, "expired"),
            "503": str(shop.issue(locale)["url"]),
        }
    return made


def _open(
    new_page: PageFactory,
    shop: Storefront,
    locale: str,
    state: str,
    url: str,
    width: int,
    **kw: Any,
) -> tuple[Any, list[str]]:
    """A page at ``width`` showing ``state``; returns (page, console errors)."""
    # A page answered 404/410/422/503 on purpose is logged as a failed load too.
    page, problems = new_page(width, 800, locale=locale, ignore=("Failed to load resource",), **kw)

    def failed(response: Any) -> None:
        if response.status >= 400 and response.request.resource_type != "document":
            problems.append(f"{response.status} {response.url}")

    page.on("response", failed)
    if state == "503":
        with shop.outage():
            page.goto(url)
    else:
        page.goto(url)
    if state == "cart-errors":
        send_bad_cart(page)
    return page, problems


def _expected_status(state: str) -> int:
    return {"404": 404, "503": 503}.get(state, 410 if state.startswith("410") else 200)


AXE_STATES = [
    "cart",
    "cart-errors",
    "confirmation",
    "404",
    "410-completed",
    "410-revoked",
    "410-expired",
    "503",
]


@pytest.mark.parametrize("locale", LOCALES)
@pytest.mark.parametrize("width", [320, 1280])
@pytest.mark.parametrize("state", AXE_STATES)
def test_axe_finds_no_wcag_violation_on_any_page_state(
    new_page: PageFactory,
    shop: Storefront,
    states: dict[str, dict[str, str]],
    state: str,
    width: int,
    locale: str,
) -> None:
    """axe-core reports 0 violations of wcag2a/2aa/21a/21aa/22aa on the page as shown."""
    url = states[locale]["cart" if state == "cart-errors" else state]
    if state == "cart-errors":
        url = str(shop.issue(locale)["url"])
    page, problems = _open(new_page, shop, locale, state, url, width)
    assert_axe_clean(page)
    assert problems == [], "no CSP violation or failed resource"
    html_lang = page.get_attribute("html", "lang")
    assert html_lang == locale if state != "404" else html_lang in (locale, "en")


@pytest.mark.parametrize("locale", ["en", "ar"])
@pytest.mark.parametrize("state", ["cart", "cart-errors", "confirmation", "410-revoked"])
def test_no_page_scrolls_sideways_at_any_width(
    new_page: PageFactory, shop: Storefront, state: str, locale: str
) -> None:
    """At 320..1440 px, left to right and right to left, nothing is wider than the window."""
    if state == "confirmation":
        url = shop.confirmation_url(locale)
    elif state == "410-revoked":
        url = shop.gone_url(locale, "revoked")
    else:
        url = str(shop.issue(locale)["url"])
    for width in WIDTHS:
        target = str(shop.issue(locale)["url"]) if state == "cart-errors" else url
        page, _ = _open(new_page, shop, locale, state, target, width)
        scroll = scroll_width(page)
        assert scroll <= width, f"{state} {locale} at {width}px is {scroll}px wide"
        # Nothing sticks out of the window either (a clipped total would not widen the page).
        overflow = overflowing(page, width)
        assert overflow == [], (state, locale, width, overflow)
        page.context.close()


def _box(page: Any, selector: str) -> dict[str, float]:
    box: dict[str, float] = page.locator(selector).bounding_box()
    return box


def test_two_columns_on_a_desktop_and_the_total_first_on_a_phone(
    new_page: PageFactory, shop: Storefront
) -> None:
    """From 960 px the summary sits beside the form; on a phone it comes first, total in view."""
    url = str(shop.issue("en")["url"])
    page, _ = _open(new_page, shop, "en", "cart", url, 1280)
    summary, form = _box(page, "section.summary"), _box(page, "section.details")
    assert summary["x"] + summary["width"] <= form["x"], "side by side, summary first (LTR)"
    assert abs(summary["y"] - form["y"]) < 2
    page, _ = _open(new_page, shop, "ar", "cart", str(shop.issue("ar")["url"]), 1280)
    summary, form = _box(page, "section.summary"), _box(page, "section.details")
    assert form["x"] + form["width"] <= summary["x"], "mirrored in Arabic: summary on the right"
    page, _ = _open(new_page, shop, "en", "cart", str(shop.issue("en")["url"]), 375)
    summary, form = _box(page, "section.summary"), _box(page, "section.details")
    assert summary["y"] + summary["height"] <= form["y"], "the summary comes first"
    assert page.locator("#summary").get_attribute("open") is None, "collapsed on a phone"
    total = page.locator("#summary .summary-total")
    assert total.is_visible()
    assert "1,348.80" in total.inner_text()
    assert _box(page, "#summary .summary-total")["y"] < 800, "the total is in the first screen"
    page.locator("#summary > summary").click()
    assert page.locator(".lines").is_visible()
    thumb = page.locator("img.thumb")
    assert thumb.count() == 1
    assert thumb.evaluate("img => img.naturalWidth > 0"), "the product image loads"


def test_a_customer_places_an_order_with_the_keyboard_alone(
    new_page: PageFactory, shop: Storefront
) -> None:
    """Tab to each field, type, and press Enter: the order is placed without a pointer."""
    link = shop.issue("de")
    page, problems = _open(new_page, shop, "de", "cart", str(link["url"]), 375)
    order: list[str] = []
    for _ in range(40):
        page.keyboard.press("Tab")
        focused = page.evaluate("document.activeElement.id || document.activeElement.tagName")
        order.append(focused)
        if focused == "f-last_name":
            break
    assert order.index("f-email") < order.index("f-phone") < order.index("f-country")
    assert "f-first_name" in order
    page.keyboard.type("Ruiz")
    page.keyboard.press("Enter")
    page.wait_for_url(re.compile(r"/done/"))
    assert page.locator("h1").inner_text() == "Danke, Ihre Bestellung ist aufgegeben"
    assert problems == []
    status = shop.api.get(f"/api/v1/links/{link['id']}", headers=shop.auth).get_json()
    assert status["status"] == "completed"
    order_json = shop.api.get(f"/api/v1/orders/{status['order_id']}", headers=shop.auth)
    assert order_json.get_json()["customer"]["last_name"] == "Ruiz"


def test_the_error_summary_takes_focus_and_links_to_each_field(
    new_page: PageFactory, shop: Storefront
) -> None:
    """After a bad form the summary has focus; its links go to fields described by their errors."""
    url = str(shop.issue("en")["url"])
    page, _ = _open(new_page, shop, "en", "cart-errors", url, 1280)
    # Browsers apply autofocus (and the script's focus()) after the load,
    # not before the first evaluate: wait for it rather than race it. (Not
    # wait_for_function: its polling evals a string, which the page's CSP
    # refuses whenever the first check comes too early.)
    sync_api.expect(page.locator("#error-summary")).to_be_focused(timeout=10_000)
    links = page.locator("#error-summary a")
    hrefs = [links.nth(i).get_attribute("href") for i in range(links.count())]
    assert hrefs == ["#f-email", "#f-address", "#f-postal_code"]
    for href in hrefs:
        field = page.locator(str(href))
        assert field.get_attribute("aria-invalid") == "true"
        described = field.get_attribute("aria-describedby")
        assert page.locator(f"#{described}").inner_text().startswith("Enter ")
    links.nth(2).click()
    sync_api.expect(page.locator("#f-postal_code")).to_be_focused(timeout=10_000)


@pytest.mark.parametrize("javascript", [True, False])
def test_changing_the_country_shows_that_countrys_fields(
    new_page: PageFactory, shop: Storefront, javascript: bool
) -> None:
    """With JavaScript the fields change at once; without it, the update button redraws them."""
    url = str(shop.issue("en")["url"])
    page, problems = _open(new_page, shop, "en", "cart", url, 1024, java_script_enabled=javascript)
    assert page.locator("#f-region").count() == 0
    page.fill("#f-city", "Austin")
    page.select_option("#f-country", "US")
    if javascript:
        assert not page.locator("button.update").is_visible(), "no button needed"
    else:
        page.locator("button.update").click()
        page.wait_for_load_state()
    page.wait_for_selector("#f-region")
    assert "State" in page.locator("label[for=f-region]").inner_text()
    assert "ZIP code" in page.locator("label[for=f-postal_code]").inner_text()
    assert page.input_value("#f-city") == "Austin"
    assert page.input_value("#f-email") == "ana@example.com"
    assert problems == []


def test_a_logo_that_fails_to_load_leaves_the_sellers_name_and_no_broken_image(
    new_page: PageFactory, shop: Storefront
) -> None:
    """A logo address that answers 404 is taken out; the name stays; a good logo stays shown."""
    good = f"{shop.origin}/test-images/logo.svg"
    try:
        shop.set_logo(f"{shop.origin}/test-images-gone/logo.png")
        url = str(shop.issue("en")["url"])
        page, _ = new_page(390, 800, locale="en")
        page.goto(url)
        page.wait_for_load_state("load")
        sync_api.expect(page.locator("img.logo")).to_have_count(0)
        sync_api.expect(page.locator(".seller-name")).to_have_text("Ruiz Software GmbH")
    finally:
        shop.set_logo(good)
    page, _ = new_page(390, 800, locale="en")
    page.goto(str(shop.issue("en")["url"]))
    page.wait_for_load_state("load")
    sync_api.expect(page.locator("img.logo")).to_be_visible()


def test_a_long_cart_on_a_phone_gives_its_words_the_width(
    new_page: PageFactory, shop: Storefront
) -> None:
    """At 320 px a line's texts span the card beside the thumbnail (not a column beside the
    amount), and the amount sits on the line's "2 x price" row, in both directions."""
    line = {
        "id": "kit",
        "name": "Setup kit, EU plug, with the long cable and the wall mount",
        "description": "Includes the mounting screws, a quick-start card and the support plan.",
        "properties": {"colour": "graphite", "voltage": "230 V"},
        "quantity": 2,
    }
    for locale in ("en", "ar"):
        url = str(shop.issue(locale, products=[line] * 10)["url"])
        page, _ = _open(new_page, shop, locale, "cart", url, 320)
        if not page.evaluate("document.getElementById('summary').open"):
            page.locator("#summary > summary").click()
        card = _box(page, "ul.lines")
        for n in range(10):
            item = page.locator("li.line").nth(n)
            description = item.locator(".description").bounding_box()
            qty, amount = (
                item.locator(".qty").bounding_box(),
                item.locator(".amount").bounding_box(),
            )
            assert description["width"] >= 0.7 * card["width"], (locale, description, card)
            middle = qty["y"] + qty["height"] / 2
            assert amount["y"] <= middle <= amount["y"] + amount["height"], (qty, amount)
        assert overflowing(page, 320) == []


@pytest.fixture(scope="module")
def limited() -> Iterator[tuple[str, str]]:
    """An app with a checkout limit of one order attempt a minute: (cart URL en, cart URL ar)."""
    with storefront(rate_limits_enabled=True, rate_limit_checkout="1/minute") as served:
        urls = tuple(
            served.api.post(
                "/api/v1/links",
                json={"products": [{"id": "kit"}], "locale": loc},
                headers=served.auth,
            ).get_json()["url"]
            for loc in ("en", "ar")
        )
        yield urls[0], urls[1]


@pytest.mark.parametrize("locale", ["en", "ar"])
@pytest.mark.parametrize("width", [320, 1280])
def test_the_too_many_attempts_page_is_the_sellers_with_a_way_back_and_passes_axe(
    new_page: PageFactory, limited: tuple[str, str], locale: str, width: int
) -> None:
    """The 429 page of a link: the seller's bar and contact, "back to your order", 0 violations."""
    url = limited[0] if locale == "en" else limited[1]
    page, _ = new_page(width, 800, locale=locale)
    page.goto(url)
    for _ in range(2):  # the first may still be allowed (a 422: no email)
        if page.locator("button.primary").count() == 0:
            break
        page.locator("button.primary").click()
        page.wait_for_load_state("load")
    sync_api.expect(page.locator(".state-rate_limited")).to_have_count(1)
    sync_api.expect(page.locator(".seller-name")).to_have_text("Ruiz Software GmbH")
    back = page.locator("a.button-link")
    sync_api.expect(back).to_have_count(1)
    assert_axe_clean(page)
    assert overflowing(page, width) == []
    back.click()
    sync_api.expect(page.locator("#checkout-form")).to_have_count(1)


@pytest.mark.parametrize("locale", ["en", "ar"])
@pytest.mark.parametrize("width", [320, 1280])
def test_the_emirates_form_with_its_list_of_emirates_passes_axe(
    new_page: PageFactory, shop: Storefront, locale: str, width: int
) -> None:
    """A customer in the Emirates: the emirate is a labelled select; 0 violations, no overflow."""
    customer = {"email": "ana@example.com", "country": "AE", "region": "Dubai"}
    url = str(shop.issue(locale, customer=customer)["url"])
    page, problems = _open(new_page, shop, locale, "cart", url, width)
    sync_api.expect(page.locator("select#f-region")).to_have_value("Dubai")
    assert_axe_clean(page)
    assert overflowing(page, width) == []
    assert problems == []
