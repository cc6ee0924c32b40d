"""The tax rows of the cart page and the confirmation: each tax, and the reverse charge.

Only merchants with an active tax rate get them: for the others the page's
``tax`` part is empty and nothing here runs. The rows live in ``#tax``, which
``static/checkout.js`` refreshes when the country, region or VAT number
changes (the form's Update button does it without JavaScript).
"""

from __future__ import annotations

import gettext
from collections.abc import Callable
from decimal import Decimal

from markupsafe import Markup

from checkout_links.core.pricing import PricedCart
from checkout_links.core.records import Order
from checkout_links.core.tax.words import (
    REVERSE_CHARGE,
    TAX_ADDED,
    TAX_INCLUDED,
    percent_text,
)
from checkout_links.web.customer.cart_page import escape

Money = Callable[[Decimal], str]


def rows(
    cart: PricedCart | Order, money: Money, t: gettext.NullTranslations, babel_locale: str
) -> Markup:
    """``<div id="tax">`` with one row per tax (name, percent, amount) or the reverse charge.

    Empty (but there, for the script to fill) when no rate applies.
    """
    out = ['<div id="tax" class="tax" aria-live="polite">']
    if cart.reverse_charge:
        out.append(f'<p class="reverse-charge">{escape(t.gettext(REVERSE_CHARGE))}</p>')
    elif cart.tax:
        wording = TAX_INCLUDED if cart.prices_include_tax else TAX_ADDED
        out.append('<dl class="taxes">')
        for row in cart.tax:
            label = t.gettext(wording) % {
                "tax": row.display_name,
                "percent": percent_text(row.percent, babel_locale),
            }
            out.append(f"<dt>{escape(label)}</dt><dd><bdi>{escape(money(row.amount))}</bdi></dd>")
        out.append("</dl>")
    out.append("</div>\n")
    # S704: every text interpolated went through escape().
    return Markup("".join(out))  # noqa: S704
