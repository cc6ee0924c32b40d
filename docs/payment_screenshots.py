"""Screenshots of the card payment page: ``python docs/payment_screenshots.py``.

Starts localstripe (a fake Stripe with its mock Stripe.js, so the card field is the
double's plain inputs, not Stripe's iframe) and the storefront of
checkout_links/testing/storefront.py, opens the payment page and its decline state at
320 and 1280 px in English and Arabic, and writes
``docs/img/payment-<state>-<locale>-<width>.png``, squeezed as by docs/screenshots.py.
"""

from __future__ import annotations

import re
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from playwright.sync_api import expect

from checkout_links.testing.browser import chromium
from checkout_links.testing.card_shop import DECLINED_CARD, CardShop
from checkout_links.testing.localstripe import LocalStripe
from checkout_links.testing.storefront import storefront
from docs.screenshots import squeeze

OUT = Path(__file__).resolve().parent / "img"


def main() -> None:
    OUT.mkdir(exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp, LocalStripe(Path(tmp)) as stripe:
        settings = {"stripe_api_base": stripe.url, "stripe_js_url": stripe.js_url}
        with storefront(**settings) as shop, chromium() as browser:
            CardShop(shop.api, shop.auth, stripe).connect()
            for locale in ("en", "ar"):
                for width in (320, 1280):
                    for state in ("payment", "declined"):
                        context = browser.new_context(
                            viewport={"width": width, "height": 900}, locale=locale
                        )
                        page = context.new_page()
                        page.goto(str(shop.issue(locale)["url"]))
                        page.locator("button.primary").click()
                        expect(page).to_have_url(re.compile("/pay/"))
                        field = page.locator("#card-element")
                        expect(field.locator("input").first).to_be_visible()
                        if state == "declined":
                            field.locator("input[placeholder=number]").fill(DECLINED_CARD)
                            field.locator("input[placeholder=exp_month]").fill("12")
                            field.locator("input[placeholder=exp_year]").fill("34")
                            field.locator("input[placeholder=cvc]").fill("123")
                            page.locator("#pay-button").click()
                            expect(page).to_have_url(re.compile("problem=declined"))
                            page.evaluate("window.scrollTo(0, 0)")
                        path = OUT / f"payment-{state}-{locale}-{width}.png"
                        page.screenshot(path=str(path), full_page=True, animations="disabled")
                        context.close()
                        squeeze(path)


if __name__ == "__main__":
    main()
