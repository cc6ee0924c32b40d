"""Make the screenshots of docs/checkout.md from a real Chromium: ``python docs/screenshots.py``.

Serves the app (fakeredis, a branded test seller, checkout_links/testing/storefront.py),
opens the cart, the cart with errors, the confirmation and a 410 page at a
phone and a desktop width in English, German and Arabic, and writes
``docs/img/checkout-<state>-<locale>-<phone|desktop>.png``, squeezed with
``pngquant`` when it is installed (Debian package ``pngquant``).
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from playwright.sync_api import sync_playwright

from checkout_links.testing.storefront import CHROMIUM, CHROMIUM_ARGS, storefront

OUT = Path(__file__).resolve().parent / "img"
WIDTHS = {"phone": 390, "desktop": 1280}
LOCALES = ("en", "de", "ar")
STATES = ("cart", "errors", "confirmation", "withdrawn")


def main() -> None:
    OUT.mkdir(exist_ok=True)
    squeeze = shutil.which("pngquant")
    with storefront() as shop, sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        for locale in LOCALES:
            urls = {
                "confirmation": shop.confirmation_url(locale),
                "withdrawn": shop.gone_url(locale, "revoked"),
            }
            for device, width in WIDTHS.items():
                for state in STATES:
                    context = browser.new_context(
                        viewport={"width": width, "height": 844 if device == "phone" else 900},
                        locale=locale,
                    )
                    page = context.new_page()
                    page.goto(urls.get(state) or str(shop.issue(locale)["url"]))
                    if state == "errors":
                        page.fill("#f-email", "ana@example")
                        page.fill("#f-city", "Berlin")
                        page.fill("#f-postal_code", "1011")
                        page.locator("button.primary").click()
                        page.wait_for_selector("#error-summary")
                        page.evaluate("window.scrollTo(0, 0)")
                    path = OUT / f"checkout-{state}-{locale}-{device}.png"
                    page.screenshot(path=str(path), full_page=True, animations="disabled")
                    context.close()
                    if squeeze:
                        args = ["--force", "--skip-if-larger", "--ext", ".png", "64", str(path)]
                        subprocess.run([squeeze, *args], check=False)  # noqa: S603
                    print(path.relative_to(OUT.parent.parent), path.stat().st_size)
        browser.close()


if __name__ == "__main__":
    main()
