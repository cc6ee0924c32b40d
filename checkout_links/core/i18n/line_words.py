"""The words of an order line, shared by the cart page and the receipt (one msgid each)."""

from __future__ import annotations

from checkout_links.core.i18n.translatable import N_, N_plural

# Translators: one order line's quantity and unit price, e.g. "2 (times sign) 19.99 EUR".
QTY_PRICE = N_("%(quantity)s \u00d7 %(price)s")
#: A subscription line's renewal, by interval (plural on the interval count).
RENEWS = {
    "day": N_plural("Renews every day", "Renews every %(num)d days"),
    "week": N_plural("Renews every week", "Renews every %(num)d weeks"),
    "month": N_plural("Renews every month", "Renews every %(num)d months"),
    "year": N_plural("Renews every year", "Renews every %(num)d years"),
}
