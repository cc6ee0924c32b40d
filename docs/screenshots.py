"""Make the screenshots of docs/checkout.md from a real Chromium: ``python docs/screenshots.py``.

Serves the app (fakeredis, a branded test seller, checkout_links/testing/storefront.py),
opens the cart, the cart with errors, the confirmation and a 410 page at a
phone and a desktop width in English, German and Arabic, and writes
``docs/img/checkout-<state>-<locale>-<phone|desktop>.png``; then the cart with
choices (an upgrade ticked and a code applied, in place) at 320, 390 and 1280 px
in English, Arabic and Japanese as ``docs/img/choices-<locale>-<width>.png``.
Each is squeezed with ``pngquant`` when it is installed (Debian package ``pngquant``).
Only the choices: ``python docs/screenshots.py choices``.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path
from typing import TYPE_CHECKING

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from checkout_links.testing.browser import chromium
from checkout_links.testing.storefront import CODE, Storefront, storefront

if TYPE_CHECKING:
    from playwright.sync_api import Browser

OUT = Path(__file__).resolve().parent / "img"
WIDTHS = {"phone": 390, "desktop": 1280}
LOCALES = ("en", "de", "ar")
STATES = ("cart", "errors", "confirmation", "withdrawn")
CHOICE_WIDTHS = (320, 390, 1280)
CHOICE_LOCALES = ("en", "ar", "ja")


def squeeze(path: Path) -> None:
    """Squeeze ``path`` with pngquant where it is installed, and print its size."""
    squeeze = shutil.which("pngquant")
    if squeeze:
        args = ["--force", "--skip-if-larger", "--ext", ".png", "64", str(path)]
        subprocess.run([squeeze, *args], check=False)  # noqa: S603
    print(path.relative_to(OUT.parent.parent), path.stat().st_size)


def choices(shop: Storefront, browser: Browser) -> None:
    """The cart with choices after the customer took the upgrade and applied a code."""
    for locale in CHOICE_LOCALES:
        for width in CHOICE_WIDTHS:
            context = browser.new_context(
                viewport={"width": width, "height": 844 if width < 600 else 900}, locale=locale
            )
            page = context.new_page()
            page.goto(shop.issue_choices(locale))
            page.locator("#f-opt_1").check()
            page.locator("li.replaced").wait_for()
            page.locator("#f-promo_code").fill(CODE)
            page.locator("#f-promo_code").press("Enter")
            page.locator("dt.discount").wait_for()
            page.evaluate("window.scrollTo(0, 0)")
            path = OUT / f"choices-{locale}-{width}.png"
            page.screenshot(path=str(path), full_page=True, animations="disabled")
            context.close()
            squeeze(path)


def main() -> None:
    OUT.mkdir(exist_ok=True)
    with storefront() as shop, chromium() as browser:
        choices(shop, browser)
        if sys.argv[1:] == ["choices"]:
            return
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
                    squeeze(path)


if __name__ == "__main__":
    main()
