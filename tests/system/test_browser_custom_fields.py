"""A link's custom fields in a real headless Chromium.

At 320 and 1280 px, in English, German and Arabic (right to left): the form with a text,
a number and a dropdown answered but the required text left empty, its 422 (the error in
the summary and at the field, the other answers kept), then the confirmation showing the
answers under the page's labels; each state checked with axe-core and for sideways
scrolling. The PNGs go to ``CHECKOUT_SCREENSHOTS`` when it is set.
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
FIELDS = [
    {
        "key": "holder",
        "label": {"en": "Licence holder", "de": "Lizenzinhaber", "ar": "صاحب الترخيص"},
        "type": "text",
    },
    {
        "key": "seats",
        "label": {"en": "Number of seats", "de": "Anzahl der Plätze", "ar": "عدد المقاعد"},
        "type": "numeric",
        "optional": True,
    },
    {
        "key": "region",
        "label": {"en": "Data region", "de": "Datenregion", "ar": "منطقة البيانات"},
        "type": "dropdown",
        "options": [
            {
                "value": "eu-west",
                "label": {
                    "en": "Europe (Frankfurt)",
                    "de": "Europa (Frankfurt)",
                    "ar": "أوروبا (فرانكفورت)",
                },
            },
            {"value": "us-east", "label": {"en": "USA (Virginia)", "ar": "الولايات المتحدة"}},
        ],
    },
]
#: What each locale's customer types: a number as their locale writes it, a name.
TYPED = {
    "en": ("2.5", "Ana Ruiz", "2.5", "Europe (Frankfurt)"),
    "de": ("2,5", "Ana Ruiz", "2,5", "Europa (Frankfurt)"),
    "ar": ("2.5", "رنا الحسيني", "2.5", "أوروبا (فرانكفورت)"),
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
    body = {
        "products": [{"id": "support", "quantity": 2}],
        "customer": {"email": "ana@example.com"},
        "locale": locale,
        "custom_fields": FIELDS,
    }
    answer = app.test_client().post("/api/v1/links", json=body, headers=auth)
    assert answer.status_code == 201, answer.get_json()
    return str(answer.get_json()["url"])


def _axe(page: Any) -> list[Any]:
    results = axe_sync.Axe().run(page, options={"runOnly": {"type": "tag", "values": AXE_TAGS}})
    return [
        (v["id"], [n["target"] for n in v["nodes"]][:3]) for v in results.response["violations"]
    ]


@pytest.mark.parametrize("locale", ["en", "de", "ar"])
@pytest.mark.parametrize("width", [320, 1280])
def test_custom_fields_are_asked_refused_and_confirmed_accessibly(
    browser: Any, served_app: tuple[Flask, str], locale: str, width: int
) -> None:
    """Answered but for the required text, refused at it (422) with the other answers kept,
    then placed and shown on the confirmation: axe-clean and nothing sideways in each state."""
    app, origin = served_app
    number, name, shown_number, region = TYPED[locale]
    shots = os.environ.get("CHECKOUT_SCREENSHOTS")
    context = browser.new_context(viewport={"width": width, "height": 900})
    page = context.new_page()
    problems: list[str] = []
    page.route("**/favicon.ico", lambda route: route.fulfill(status=204))
    page.on("console", lambda m: problems.append(m.text) if m.type == "error" else None)
    try:
        page.goto(_link(app, locale))
        for state in ("form", "error", "confirmation"):
            if state == "form":
                assert page.locator("#f-cf_holder").get_attribute("aria-required") == "true"
                assert page.locator("#f-cf_seats").get_attribute("inputmode") == "decimal"
                page.locator("#f-cf_seats").fill(number)
                page.locator("#f-cf_region").select_option("eu-west")
            elif state == "error":
                page.locator("button.primary").click()
                error = page.locator("#e-cf_holder")
                sync_api.expect(error).to_be_visible()
                assert page.locator("#f-cf_holder").get_attribute("aria-describedby") == (
                    "e-cf_holder"
                )
                sync_api.expect(
                    page.locator('.error-summary a[href="#f-cf_holder"]')
                ).to_be_visible()
                assert page.locator("#f-cf_seats").input_value() == number
                assert page.locator("#f-cf_region").input_value() == "eu-west"
            else:
                page.locator("#f-cf_holder").fill(name)
                page.locator("button.primary").click()
                page.wait_for_url(re.compile(re.escape(origin) + r"/done/"))
                answers = page.locator("dl.answers")
                for text in (name, shown_number, region):
                    sync_api.expect(answers).to_contain_text(text)
            assert _axe(page) == [], state
            assert page.evaluate("document.documentElement.scrollWidth") <= width, state
            if shots:
                page.screenshot(
                    path=f"{shots}/custom-fields-{state}-{locale}-{width}.png", full_page=True
                )
        # The error state is a 422 page by design; Chromium logs that status, nothing else.
        assert [p for p in problems if "status of 422" not in p] == []
    finally:
        context.close()
