"""Playwright helpers for the browser tests (tests/system) and the docs' screenshot scripts.

The browser is Debian's Chromium, launched through ``executable_path`` (a browser
cannot be downloaded here); axe-core is the copy axe-playwright-python injects.
Playwright is imported where it is used, so importing this module needs neither.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

from checkout_links.testing.storefront import CHROMIUM, CHROMIUM_ARGS

if TYPE_CHECKING:
    from playwright.sync_api import Browser, ConsoleMessage, Page, ViewportSize

#: The axe-core rules every page must pass: WCAG 2.0, 2.1 and 2.2, levels A and AA.
AXE_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"]
#: What the ``new_page`` fixture of tests/system is: :func:`open_page` on the session's browser.
PageFactory = Callable[..., "tuple[Page, list[str]]"]
#: Where :func:`keep_screenshot` writes, when it is set (to look at the pages a test saw).
SCREENSHOTS = "CHECKOUT_SCREENSHOTS"


@contextmanager
def chromium() -> Iterator[Browser]:
    """Debian's headless Chromium, closed on the way out."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            yield launched
        finally:
            launched.close()


def open_page(
    browser: Browser,
    width: int = 1280,
    height: int = 800,
    *,
    locale: str | None = None,
    ignore: Sequence[str] = (),
    **options: Any,
) -> tuple[Page, list[str]]:
    """A page in a new context of ``width`` x ``height`` px, and the errors it will report.

    The list fills while the page runs: each console error (one that contains a string of
    ``ignore`` left out, e.g. a 422 answered on purpose) and each uncaught script error.
    The browser's own favicon probe is answered here, so every error left is the page's.
    ``options`` go to ``browser.new_context`` (e.g. ``java_script_enabled=False``); the
    caller closes ``page.context``.
    """
    viewport: ViewportSize = {"width": width, "height": height}
    context = browser.new_context(viewport=viewport, locale=locale, **options)
    page = context.new_page()
    problems: list[str] = []

    def console(message: ConsoleMessage) -> None:
        if message.type == "error" and not any(part in message.text for part in ignore):
            problems.append(message.text)

    page.on("console", console)
    page.on("pageerror", lambda error: problems.append(str(error)))
    page.route("**/favicon.ico", lambda route: route.fulfill(status=204))
    return page, problems


def send_bad_cart(page: Page) -> None:
    """Send a storefront cart with a bad email, no street and a short postcode (the
    storefront prefills the address); wait for the error summary."""
    page.fill("#f-email", "ana@")
    page.fill("#f-city", "Berlin")
    page.fill("#f-address", "")
    page.fill("#f-postal_code", "12")
    page.locator("button.primary").click()
    page.wait_for_selector("#error-summary")


def axe_violations(page: Page, exclude: Sequence[str] = ()) -> list[tuple[str, list[Any]]]:
    """axe-core's violations of :data:`AXE_TAGS` on the page as shown: (rule, first 3 targets).

    ``exclude`` names selectors that are not ours to check (Stripe's card field).
    """
    from axe_playwright_python.sync_playwright import Axe

    context = {"exclude": [[selector] for selector in exclude]} if exclude else None
    options = {"runOnly": {"type": "tag", "values": AXE_TAGS}}
    results = Axe().run(page, context=context, options=options)
    return [
        (v["id"], [n["target"] for n in v["nodes"]][:3]) for v in results.response["violations"]
    ]


def assert_axe_clean(page: Page, *where: object, exclude: Sequence[str] = ()) -> None:
    """Fail, naming ``where`` (the state, width, ...) and the violations, unless axe finds none."""
    violations = axe_violations(page, exclude)
    assert violations == [], (*where, violations)


def overflowing(page: Page, width: int) -> list[str]:
    """The first 5 elements that stick out of a ``width`` px window, on either side."""
    found: list[str] = page.evaluate(
        """(w) => [...document.querySelectorAll('body *')].filter(e => {
            const r = e.getBoundingClientRect();
            return r.width > 0 && (r.right > w + 0.5 || r.left < -0.5);
        }).map(e => e.tagName + '.' + e.className).slice(0, 5)""",
        width,
    )
    return found


def scroll_width(page: Page) -> int:
    """How wide the page is, in CSS px (wider than the window: it scrolls sideways)."""
    width: int = page.evaluate("document.documentElement.scrollWidth")
    return width


def keep_screenshot(page: Page, name: str) -> None:
    """A full-page PNG ``<name>.png`` in ``$CHECKOUT_SCREENSHOTS``, when that is set."""
    folder = os.environ.get(SCREENSHOTS)
    if folder:
        page.screenshot(path=os.path.join(folder, f"{name}.png"), full_page=True)
