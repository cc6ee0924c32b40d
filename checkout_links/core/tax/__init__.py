"""Tax: the merchant's rates, which one applies to a line, and the tax of a cart.

* :mod:`~checkout_links.core.tax.rates`: the rates (``/api/v1/tax_rates``), stored per
  merchant in Redis and read whole, cached for a short time.
* :mod:`~checkout_links.core.tax.apply`: pure functions: the most specific rate for a
  line, the EU reverse charge, and the priced cart with its tax (per line after
  discounts, rounded half-up to the minor unit).

The rules, with worked examples in EUR, JPY and KWD: docs/tax.md.
"""
