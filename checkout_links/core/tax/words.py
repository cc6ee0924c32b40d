"""The words of tax, shared by the cart page, the confirmation and the email (one msgid each).

Each is a whole phrase with named placeholders: ``%(tax)s`` is the rate's
display name (``MwSt.``, ``TVA``), ``%(percent)s`` its rate as the locale
writes a percentage (``19 %``, ``%19``).
"""

from __future__ import annotations

from decimal import Decimal
from functools import lru_cache

from babel.numbers import format_percent

from checkout_links.core.i18n.translatable import N_

# Translators: a tax row when prices do not include tax, e.g. "plus VAT 20%"; the amount follows.
TAX_ADDED = N_("plus %(tax)s %(percent)s")
# Translators: a tax row when prices include tax, e.g. "incl. VAT 19%"; the amount follows.
TAX_INCLUDED = N_("incl. %(tax)s %(percent)s")
# Translators: shown instead of VAT when an EU business customer with a valid VAT
# number buys from another EU country (Article 196 of the VAT Directive).
REVERSE_CHARGE = N_(
    "Reverse charge: no VAT is charged. As a business customer, you account for the VAT."
)


# A merchant has a few rates and a page a few dozen locales: Babel's pattern is
# parsed again on every call (a tax row cost more than its page's lines).
@lru_cache(maxsize=4096)
def percent_text(percent: str, babel_locale: str) -> str:
    """``percent`` (``"19"``, ``"7.25"``) written as ``babel_locale`` writes a percentage."""
    value = Decimal(percent) / 100
    try:
        return str(format_percent(value, locale=babel_locale, decimal_quantization=False))
    except (ValueError, LookupError):
        return str(format_percent(value, locale="en", decimal_quantization=False))
