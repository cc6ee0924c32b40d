"""The tax of a priced cart: which rate applies to each line, the reverse charge, the figures.

Pure functions over pricing's :class:`~checkout_links.core.pricing.PricedCart`:
:func:`apply_tax` returns the same cart with its tax fields filled in and,
when tax is added to the prices, its ``total`` raised by the tax, so the
cart page, the order, its webhook and the payment all read one figure.

The rules (docs/tax.md shows them worked in EUR, JPY and KWD):

1. A line's rate is the most specific *active* rate of the customer's country:
   a rate for the line's ``tax_code`` beats one for every product, and then a
   rate for the customer's region beats one for the whole country. A rate
   for another region or another tax code never applies. Two rates equally
   specific: the smaller rate id (a merchant's mistake, settled the same way
   every time). No rate: no tax on that line.
2. The tax is computed per line on its amount after discounts (pricing's
   rule 5), rounded half-up to the currency's minor unit: ``after * p / 100``
   when tax is added, ``after * p / (100 + p)`` (the tax it contains) when
   prices include tax.
3. One row per rate, its amount the exact sum of its lines' tax, in the order
   the rates first appear in the cart; ``tax_total`` the sum of all lines' tax.
4. ``total``: unchanged when prices include tax, else the total after
   discounts plus ``tax_total``.
5. Reverse charge: with the merchant's ``reverse_charge`` on, a seller whose
   ``origin_country`` is in the EU, and a customer in *another* EU country
   whose VAT id is valid in form and checksum (python-stdnum) and is of that
   country, no line is taxed and the cart says the reverse charge applies.
   The total then is the total after discounts, with prices that include tax
   as with those that do not (nothing is taken off a price that includes tax).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from decimal import Decimal

from stdnum.eu import vat as eu_vat

from checkout_links.core.i18n.countries import EU_COUNTRIES
from checkout_links.core.money import quantize
from checkout_links.core.pricing import PricedCart, round_half_up
from checkout_links.core.records import TaxRate, TaxRow, TaxSettings

_HUNDRED = Decimal(100)
#: Where a VAT id's prefix is not the ISO code of its country.
_VAT_PREFIX = {"GR": "EL"}


@dataclass(frozen=True, slots=True)
class Buyer:
    """What of the customer decides the tax: where they are and their VAT id."""

    country: str = ""
    region: str = ""
    tax_id: str = ""


@dataclass(frozen=True, slots=True)
class TaxSetup:
    """A merchant's tax: its settings and its active rates (at least one)."""

    settings: TaxSettings
    rates: tuple[TaxRate, ...]


def select_rate(
    rates: Sequence[TaxRate], country: str, region: str, tax_code: str
) -> TaxRate | None:
    """The most specific active rate for a line (rule 1), or ``None``."""
    best: tuple[int, str] | None = None
    chosen = None
    wanted_region = region.strip().casefold()
    for rate in rates:
        if not rate.active or rate.country != country:
            continue
        if rate.region is not None and rate.region.casefold() != wanted_region:
            continue
        if rate.tax_code is not None and rate.tax_code != tax_code:
            continue
        rank = (rate.tax_code is not None) * 2 + (rate.region is not None)
        key = (-rank, rate.id)
        if best is None or key < best:
            best, chosen = key, rate
    return chosen


def vat_id_of(country: str, tax_id: str) -> str | None:
    """``tax_id`` as an EU VAT id of ``country`` (prefixed, compact) if valid, else ``None``.

    Valid means well-formed with a correct check digit (python-stdnum); the id
    must belong to ``country``: a French customer with a German VAT id is not
    a French business.
    """
    if country not in EU_COUNTRIES or not tax_id:
        return None
    prefix = _VAT_PREFIX.get(country, country)
    typed = "".join(ch for ch in tax_id if ch.isalnum()).upper()
    if not typed[:2].isalpha():
        typed = prefix + typed
    try:
        compact: str = eu_vat.compact(typed)
    except Exception:  # python-stdnum raises its own tree for text it cannot read
        return None
    if compact[:2] != prefix or not eu_vat.is_valid(compact):
        return None
    return compact


def reverse_charge(settings: TaxSettings, buyer: Buyer) -> bool:
    """Whether the EU reverse charge applies to ``buyer`` (rule 5)."""
    origin = settings.origin_country
    return (
        settings.reverse_charge
        and origin in EU_COUNTRIES
        and buyer.country in EU_COUNTRIES
        and buyer.country != origin
        and vat_id_of(buyer.country, buyer.tax_id) is not None
    )


def line_tax(after: Decimal, percent: Decimal, inclusive: bool, currency: str) -> Decimal:
    """One line's tax (rule 2): added to ``after``, or contained in it."""
    if inclusive:
        return round_half_up(after * percent / (_HUNDRED + percent), currency)
    return round_half_up(after * percent / _HUNDRED, currency)


def apply_tax(
    cart: PricedCart, tax_codes: Sequence[str], setup: TaxSetup, buyer: Buyer
) -> PricedCart:
    """``cart`` with its tax (rules 1-5); ``tax_codes`` are its lines' product tax codes."""
    currency = cart.currency
    inclusive = setup.settings.prices_include_tax
    zero = quantize(Decimal(0), currency)
    if reverse_charge(setup.settings, buyer):
        return replace(
            cart,
            line_taxes=tuple((None, zero) for _ in cart.lines),
            tax_total=zero,
            prices_include_tax=inclusive,
            reverse_charge=True,
        )
    line_taxes: list[tuple[str | None, Decimal]] = []
    sums: dict[str, Decimal] = {}
    used: dict[str, TaxRate] = {}
    for line, code in zip(cart.lines, tax_codes, strict=True):
        rate = select_rate(setup.rates, buyer.country, buyer.region, code)
        if rate is None:
            line_taxes.append((None, zero))
            continue
        after = line.after_discounts if line.after_discounts is not None else line.amount
        tax = line_tax(after, Decimal(rate.percent), inclusive, currency)
        line_taxes.append((rate.id, tax))
        sums[rate.id] = sums.get(rate.id, zero) + tax
        used.setdefault(rate.id, rate)
    rows = tuple(
        TaxRow(
            rate_id=rate_id,
            display_name=used[rate_id].display_name,
            percent=used[rate_id].percent,
            amount=quantize(amount, currency),
        )
        for rate_id, amount in sums.items()
    )
    tax_total = quantize(sum((tax for _, tax in line_taxes), zero), currency)
    total = cart.total if inclusive else quantize(cart.total + tax_total, currency)
    return replace(
        cart,
        line_taxes=tuple(line_taxes),
        tax=rows,
        tax_total=tax_total,
        total=total,
        prices_include_tax=inclusive,
    )
