"""Warm a server's app before it serves: do once what each worker's first pages would do.

A worker fills its caches on its first pages: Jinja compiles each template
(about 40 ms for the cart page's), Babel reads a locale's CLDR data on the
first amount formatted in it, the address rules read Google's metadata per
country, and ``phonenumbers`` imports a country's metadata on the first
number parsed for it. Under gunicorn's ``preload_app`` the master builds the
app and forks every worker from it, and recycles workers
(``GUNICORN_MAX_REQUESTS``): paid in the master, these costs are paid once,
their memory is shared by every worker, and no recycled worker makes the
customers of its first seconds wait for them.

Called by the entry points that serve (``wsgi.py``, ``checkout-links
serve``), not by :func:`create_app`: tests build hundreds of apps and render
a few pages with each.
"""

from __future__ import annotations

import logging
import time
from decimal import Decimal

from flask import Flask

from checkout_links.core.checkout.address import country_names, rules
from checkout_links.core.i18n.countries import countries
from checkout_links.core.i18n.locales import SUPPORTED, page_locale
from checkout_links.core.money import format_money

log = logging.getLogger(__name__)


def warm(app: Flask) -> None:
    """Compile every template, read every locale's CLDR data and every country's rules."""
    started = time.perf_counter()
    env = app.jinja_env
    for name in env.list_templates(filter_func=lambda name: name.endswith(".html")):
        env.get_template(name)
    for tag in SUPPORTED:
        page = page_locale(tag)
        if page is not None:
            country_names(page.babel)
            format_money(Decimal("1234.50"), "EUR", page.babel)
    for code in countries():
        # With the country's phone metadata (its example number is in the rules).
        rules(code)
    took = time.perf_counter() - started
    log.info("App warmed in %.2f s: templates compiled, locale and country data read", took)
