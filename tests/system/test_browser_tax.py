"""The cart page's tax in a real headless Chromium: rows, axe-core, and re-computing it.

At 320 and 1280 px, in English and Arabic (right to left), the tax rows and the
reverse-charge sentence are checked with axe-core and photographed (the PNGs go to
``CHECKOUT_SCREENSHOTS`` when it is set, to look at). Changing the country or the VAT
number re-computes the tax: with JavaScript in place, the focus where it was; without it
through the form's update button.
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

FR_VAT = "FR40303265045"


def _shop(app: Flask) -> dict[str, str]:
    """A German seller with French and German VAT, prices without tax, reverse charge on."""
    auth = {"Authorization": f"Bearer {add_merchant(app)}"}
    api = app.test_client()
    for rate_id, country, percent, name in (
        ("fr-tva", "FR", "20", "TVA"),
        ("de-mwst", "DE", "19", "MwSt."),
    ):
        body = {"country": country, "percent": percent, "display_name": name}
        assert api.put(f"/api/v1/tax_rates/{rate_id}", json=body, headers=auth).status_code == 201
    tax = {"origin_country": "DE", "reverse_charge": True}
    assert api.patch("/api/v1/account", json={"tax": tax}, headers=auth).status_code == 200
    return auth


def _link(app: Flask, auth: dict[str, str], locale: str, **customer: str) -> str:
    body = {
        "products": [{"id": "pro-licence", "price": "1249.00"}, {"id": "kit", "quantity": 2}],
        "discount": {"percent": "10", "label": "Launch"},
        "customer": {"email": "ana@example.com", "country": "FR", **customer},
        "locale": locale,
    }
    answer = app.test_client().post("/api/v1/links", json=body, headers=auth)
    assert answer.status_code == 201, answer.get_json()
    return str(answer.get_json()["url"])


@pytest.mark.parametrize("locale", ["en", "ar"])
@pytest.mark.parametrize("width", [320, 1280])
@pytest.mark.parametrize("buyer", ["consumer", "business"])
def test_the_tax_rows_are_accessible_and_fit_at_every_width(
    new_page: PageFactory, served_app: tuple[Flask, str], locale: str, width: int, buyer: str
) -> None:
    """axe-core finds no WCAG 2.2 AA violation; the tax part shows and nothing scrolls sideways."""
    app, _ = served_app
    auth = _shop(app)
    extra = {"tax_id": FR_VAT, "company": "Dupont SARL"} if buyer == "business" else {}
    page, problems = new_page(width, 900)
    page.goto(_link(app, auth, locale, **extra))
    if not page.evaluate("document.getElementById('summary').open"):
        page.locator("#summary > summary").click()  # folded on a phone
    tax = page.locator("#tax")
    if buyer == "business":
        assert tax.locator(".reverse-charge").is_visible()
    else:
        assert tax.locator("dt").count() == 1
        # 1249.00 + 2 x 49.90 less 10 %: 1124.10 and 89.82; 20 % of each, rounded: 242.78.
        assert "242.78" in tax.locator("dd").inner_text()
    assert_axe_clean(page)
    assert scroll_width(page) <= width
    keep_screenshot(page, f"tax-{buyer}-{locale}-{width}")
    assert problems == []


def test_with_javascript_a_new_country_or_vat_number_redraws_the_tax_in_place(
    new_page: PageFactory, served_app: tuple[Flask, str]
) -> None:
    """Germany shows MwSt. with the focus still on the country; a VAT id: reverse charge."""
    app, _ = served_app
    auth = _shop(app)
    page, problems = new_page(1280, 900)
    page.goto(_link(app, auth, "en"))
    # 1249.00 + 2 x 49.90 = 1348.80, less 10 % = 1213.92; TVA 20 % of each line after it.
    assert page.locator("#tax dt").inner_text() == "plus TVA 20%"
    assert page.locator("dl.total dd").inner_text() == "€1,456.70"
    url = page.url
    page.locator("#f-country").select_option("DE")
    sync_api.expect(page.locator("#tax dt")).to_have_text("plus MwSt. 19%")
    sync_api.expect(page.locator("dl.total dd")).to_have_text("€1,444.57")
    sync_api.expect(page.locator("#commit")).to_contain_text("€1,444.57")
    sync_api.expect(page.locator("#f-country")).to_be_focused()
    assert page.url == url  # no navigation: the figures were redrawn in place
    page.locator("#f-country").select_option("FR")
    sync_api.expect(page.locator("#tax dt")).to_have_text("plus TVA 20%")
    page.locator("#f-tax_id").fill(FR_VAT)
    page.locator("#f-tax_id").press("Tab")
    sync_api.expect(page.locator("#tax .reverse-charge")).to_be_visible()
    sync_api.expect(page.locator("dl.total dd")).to_have_text("€1,213.92")
    sync_api.expect(page.locator("#f-tax_id")).not_to_be_focused()
    assert page.locator("#f-tax_id").input_value() == FR_VAT
    assert problems == []


def test_without_javascript_the_update_button_recomputes_the_tax(
    new_page: PageFactory, served_app: tuple[Flask, str]
) -> None:
    """With JavaScript off, choosing Germany and pressing Update shows MwSt. and its total."""
    app, origin = served_app
    auth = _shop(app)
    page, _ = new_page(320, 900, java_script_enabled=False)
    page.goto(_link(app, auth, "en"))
    page.locator("#f-country").select_option("DE")
    # The billing address's button (the kit's delivery address has one of its own).
    billing = page.get_by_role("group", name="Billing address")
    billing.get_by_role("button", name="Update the form for this country").click()
    assert page.locator("#tax dt").inner_text() == "plus MwSt. 19%"
    assert page.locator("dl.total dd").inner_text() == "€1,444.57"
    # The kits are physical: the billing address, where they are delivered.
    page.locator("#f-address").fill("Invalidenstr. 1")
    page.locator("#f-postal_code").fill("10115")
    page.locator("#f-city").fill("Berlin")
    page.get_by_role("button", name=re.compile("Place order")).click()
    page.wait_for_url(re.compile(re.escape(origin) + r"/done/"))
    assert page.locator("#tax dt").inner_text() == "plus MwSt. 19%"
