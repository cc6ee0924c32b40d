"""The cart-choices page in headless Chromium: its layout, updates in place, and axe-core.

Checked left to right and right to left at phone and desktop widths: each
offer's checkbox sits on one row with its label, nothing is wider than the
window, a change re-prices the cart without leaving the page (focus, scroll
and the summary's state kept, the new total said to screen readers), and
axe-core finds no WCAG A/AA violation in any state of the page.
"""

from __future__ import annotations

from typing import Any

import pytest

from checkout_links.testing.browser import (
    PageFactory,
    assert_axe_clean,
    overflowing,
    scroll_width,
)
from checkout_links.testing.storefront import Storefront

pytestmark = pytest.mark.browser
sync_api = pytest.importorskip("playwright.sync_api")


def _url(shop: Storefront, locale: str) -> str:
    return shop.issue_choices(locale)


def _page(
    new_page: PageFactory, locale: str, width: int, height: int = 800
) -> tuple[Any, list[str]]:
    # A refused choice is answered 422 on purpose; the console logs that as a failed load.
    return new_page(width, height, locale=locale, ignore=("status of 422",))


@pytest.mark.parametrize("locale", ["en", "ar", "ja"])
@pytest.mark.parametrize("width", [320, 390, 1280])
def test_each_checkbox_sits_beside_its_label_and_nothing_is_wider_than_the_window(
    new_page: PageFactory, shop: Storefront, locale: str, width: int
) -> None:
    """A ticking box is small, on its label's first line, on the reading side; no overflow."""
    page, problems = _page(new_page, locale, width)
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
    assert scroll_width(page) <= width
    assert overflowing(page, width) == []
    assert problems == []


def test_a_change_is_priced_in_place_keeping_focus_scroll_and_the_open_summary(
    new_page: PageFactory, shop: Storefront
) -> None:
    """Quantity then an offer: no page load, the focused field and the scroll stay, total said."""
    page, problems = _page(new_page, "en", 390, 600)
    posts: list[str] = []
    page.on("request", lambda r: posts.append(r.url) if r.method == "POST" else None)
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


def test_apply_and_enter_price_the_code_in_place(new_page: PageFactory, shop: Storefront) -> None:
    """Apply (a click or Enter in the code field) adds the discount without a page load."""
    page, problems = _page(new_page, "en", 1280)
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
    new_page: PageFactory, shop: Storefront, locale: str, width: int, state: str
) -> None:
    """As issued, with an upgrade and a code taken, and with refused choices: 0 violations."""
    page, problems = _page(new_page, locale, width)
    page.goto(_url(shop, locale))
    _state(page, state)
    assert_axe_clean(page)
    assert overflowing(page, width) == []
    assert problems == []


def test_a_refused_choice_drawn_in_place_is_summarised_and_linked_to_its_field(
    new_page: PageFactory, shop: Storefront
) -> None:
    """A quantity out of bounds: its error beside the field and in the error summary, whose
    link moves focus to the field, all without a page load."""
    page, problems = _page(new_page, "en", 390)
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


#: For each product name in the summary: how far its text stands from the page's reading
#: side of its own box (0: it starts where the page's lines start), in CSS pixels.
_GAP_FROM_READING_SIDE = """(rtl) => [...document.querySelectorAll('#summary p.name')].map(p => {
  const range = document.createRange();
  range.selectNodeContents(p);
  const text = range.getBoundingClientRect(), box = p.getBoundingClientRect();
  return Math.round(rtl ? box.right - text.right : text.left - box.left);
})"""


@pytest.mark.parametrize("locale", ["en", "ar"])
@pytest.mark.parametrize("width", [320, 1280])
def test_latin_product_names_start_on_the_pages_reading_side(
    new_page: PageFactory, shop: Storefront, locale: str, width: int
) -> None:
    """A seller's English name (the replaced line's too) keeps its own direction but lines up
    with the page: at the right edge of its box on an Arabic page, at the left on English."""
    page, problems = _page(new_page, locale, width)
    page.goto(_url(shop, locale))
    _state(page, "chosen")
    gaps = page.evaluate(_GAP_FROM_READING_SIDE, locale == "ar")
    assert len(gaps) >= 3
    assert all(abs(gap) <= 1 for gap in gaps), gaps
    assert problems == []
