"""The cart-choices page in headless Chromium: its layout, updates in place, and axe-core.

Checked left to right and right to left at phone and desktop widths: each
offer's checkbox sits on one row with its label, nothing is wider than the
window, a change re-prices the cart without leaving the page (focus, scroll
and the summary's state kept, the new total said to screen readers), and
axe-core finds no WCAG A/AA violation in any state of the page.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from checkout_links.testing.storefront import CHROMIUM, CHROMIUM_ARGS, Storefront, storefront

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not Path(CHROMIUM).exists(), reason=f"no Chromium at {CHROMIUM}"),
]
sync_api = pytest.importorskip("playwright.sync_api")
axe_sync = pytest.importorskip("axe_playwright_python.sync_playwright")

AXE_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"]


@pytest.fixture(scope="module")
def shop() -> Iterator[Storefront]:
    with storefront() as served:
        yield served


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    with sync_api.sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            yield launched
        finally:
            launched.close()


def _url(shop: Storefront, locale: str) -> str:
    return shop.issue_choices(locale)


def _page(browser: Any, locale: str, width: int, height: int = 800) -> tuple[Any, Any, list[str]]:
    context = browser.new_context(viewport={"width": width, "height": height}, locale=locale)
    page = context.new_page()
    problems: list[str] = []

    def console(message: Any) -> None:
        # A refused choice is answered 422 on purpose; the console logs that as a failed load.
        if message.type == "error" and "status of 422" not in message.text:
            problems.append(message.text)

    page.on("console", console)
    page.route("**/favicon.ico", lambda route: route.fulfill(status=204))
    return context, page, problems


def _overflowing(page: Any, width: int) -> list[str]:
    found: list[str] = page.evaluate(
        """(w) => [...document.querySelectorAll('body *')].filter(e => {
            const r = e.getBoundingClientRect();
            return r.width > 0 && (r.right > w + 0.5 || r.left < -0.5);
        }).map(e => e.tagName + '.' + e.className).slice(0, 5)""",
        width,
    )
    return found


@pytest.mark.parametrize("locale", ["en", "ar", "ja"])
@pytest.mark.parametrize("width", [320, 390, 1280])
def test_each_checkbox_sits_beside_its_label_and_nothing_is_wider_than_the_window(
    browser: Any, shop: Storefront, locale: str, width: int
) -> None:
    """A ticking box is small, on its label's first line, on the reading side; no overflow."""
    context, page, problems = _page(browser, locale, width)
    try:
        page.goto(_url(shop, locale))
        offers = page.locator("li.offer:has(input[type=checkbox])")
        assert offers.count() == 2
        for n in range(offers.count()):
            box = offers.nth(n).locator("input[type=checkbox]").bounding_box()
            label = offers.nth(n).locator("label").bounding_box()
            assert box["width"] <= 32, box
            assert box["height"] <= 32, box
            # The same row: the box's middle is within the label's first line.
            assert label["y"] - 2 <= box["y"] + box["height"] / 2 <= label["y"] + 28, (box, label)
            if locale == "ar":
                assert box["x"] >= label["x"] + label["width"], "the box is on the right in RTL"
            else:
                assert box["x"] + box["width"] <= label["x"], "the box is on the left in LTR"
        assert page.evaluate("document.documentElement.scrollWidth") <= width
        assert _overflowing(page, width) == []
        assert problems == []
    finally:
        context.close()


def test_a_change_is_priced_in_place_keeping_focus_scroll_and_the_open_summary(
    browser: Any, shop: Storefront
) -> None:
    """Quantity then an offer: no page load, the focused field and the scroll stay, total said."""
    context, page, problems = _page(browser, "en", 390, 600)
    posts: list[str] = []
    page.on("request", lambda r: posts.append(r.url) if r.method == "POST" else None)
    try:
        page.goto(_url(shop, "en"))
        page.evaluate("window.notReloaded = true")
        total = page.locator("dl.total dd")
        sync_api.expect(total).to_have_text("€249.90")
        assert page.evaluate("document.getElementById('summary').open"), "open on a phone"
        page.locator("#f-qty_0").scroll_into_view_if_needed()
        page.evaluate("window.scrollBy(0, 40)")
        scrolled = page.evaluate("window.scrollY")
        assert scrolled > 0
        page.locator("#f-qty_0").fill("3")
        page.keyboard.press("Tab")  # the change is sent when the field is left
        sync_api.expect(total).to_have_text("€349.90")
        sync_api.expect(page.locator("#f-opt_0")).to_be_focused()
        assert page.evaluate("window.scrollY") == scrolled
        assert page.evaluate("window.notReloaded === true"), "the page was not reloaded"
        sync_api.expect(page.locator("#total-status")).to_have_text("The total is now €349.90.")
        # The upgrade's label is the true change for three licences: 300 - 3 x 100 = 0.
        sync_api.expect(page.locator("label[for=f-opt_1] .price")).to_have_text("+€0.00")
        page.keyboard.press("Space")  # tick the kit
        sync_api.expect(total).to_have_text("€399.80")
        sync_api.expect(page.locator("#f-opt_0")).to_be_checked()
        sync_api.expect(page.locator("#f-opt_0")).to_be_focused()
        # The amount the click commits to is said above the button (German law wording).
        sync_api.expect(page.locator("#commit")).to_contain_text("€399.80")
        assert page.evaluate("window.notReloaded === true")
        assert len(posts) == 2, "one request per change"
        assert problems == []
    finally:
        context.close()


def test_apply_and_enter_price_the_code_in_place(browser: Any, shop: Storefront) -> None:
    """Apply (a click or Enter in the code field) adds the discount without a page load."""
    context, page, problems = _page(browser, "en", 1280)
    try:
        page.goto(_url(shop, "en"))
        page.evaluate("window.notReloaded = true")
        page.locator("#f-promo_code").fill("tenoff")
        page.locator("#f-promo_code").press("Enter")
        sync_api.expect(page.locator("dt.discount")).to_have_text("TENOFF")
        # 200.00 + 49.90 = 249.90, less 10 % (24.99)
        sync_api.expect(page.locator("dl.total dd")).to_have_text("€224.91")
        sync_api.expect(page.locator("#f-promo_code")).to_be_focused()
        page.locator("#f-promo_code").fill("NOSUCH")
        page.get_by_role("button", name="Apply").click()
        sync_api.expect(page.locator("#e-promo_code")).to_be_visible()
        assert page.evaluate("window.notReloaded === true")
        assert problems == []
    finally:
        context.close()


def _state(page: Any, state: str) -> None:
    """Bring the page into ``state`` (with JavaScript, in place)."""
    if state == "chosen":
        page.locator("#f-opt_1").check()
        sync_api.expect(page.locator("li.replaced")).to_have_count(1)
        page.locator("#f-promo_code").fill("TENOFF")
        page.locator("#f-promo_code").press("Enter")
        sync_api.expect(page.locator("dt.discount")).to_have_count(1)
    elif state == "error":
        page.locator("#f-qty_0").fill("99")
        page.locator("#f-promo_code").fill("NOSUCH")
        page.locator("#f-promo_code").press("Enter")
        sync_api.expect(page.locator("#e-promo_code")).to_be_visible()
        sync_api.expect(page.locator("#e-qty_0")).to_be_visible()


@pytest.mark.parametrize("locale", ["en", "ar"])
@pytest.mark.parametrize("width", [320, 1280])
@pytest.mark.parametrize("state", ["issued", "chosen", "error"])
def test_axe_finds_no_violation_on_the_choices_page(
    browser: Any, shop: Storefront, locale: str, width: int, state: str
) -> None:
    """As issued, with an upgrade and a code taken, and with refused choices: 0 violations."""
    context, page, problems = _page(browser, locale, width)
    try:
        page.goto(_url(shop, locale))
        _state(page, state)
        results = axe_sync.Axe().run(page, options={"runOnly": {"type": "tag", "values": AXE_TAGS}})
        violations = [
            (v["id"], [n["target"] for n in v["nodes"]][:3]) for v in results.response["violations"]
        ]
        assert violations == [], violations
        assert _overflowing(page, width) == []
        assert problems == []
    finally:
        context.close()


def test_a_refused_choice_drawn_in_place_is_summarised_and_linked_to_its_field(
    browser: Any, shop: Storefront
) -> None:
    """A quantity out of bounds: its error beside the field and in the error summary, whose
    link moves focus to the field, all without a page load."""
    context, page, problems = _page(browser, "en", 390)
    try:
        page.goto(_url(shop, "en"))
        page.evaluate("window.notReloaded = true")
        page.locator("#f-qty_0").fill("99")
        page.locator("#f-qty_0").press("Tab")
        sync_api.expect(page.locator("#e-qty_0")).to_be_visible()
        link = page.locator("#error-summary a[href='#f-qty_0']")
        sync_api.expect(link).to_have_count(1)
        link.click()
        sync_api.expect(page.locator("#f-qty_0")).to_be_focused()
        assert page.evaluate("window.notReloaded === true")
        assert problems == []
    finally:
        context.close()
