"""The countries a customer may live in: CLDR's territories less its special codes."""

from __future__ import annotations

import re
from functools import lru_cache

from babel import Locale
from stdnum.eu import vat as eu_vat

# Exceptionally reserved and special codes CLDR lists as territories but that
# are not countries a customer lives in.
_NOT_COUNTRIES = {"EU", "EZ", "UN", "QO", "XA", "XB", "ZZ"}


@lru_cache(maxsize=1)
def countries() -> frozenset[str]:
    """ISO 3166-1 alpha-2 codes of the countries a customer may choose."""
    codes = [str(code) for code in Locale("en").territories]
    return frozenset(c for c in codes if re.fullmatch(r"[A-Z]{2}", c) and c not in _NOT_COUNTRIES)


#: The EU's member states by ISO code (python-stdnum's VAT list less Northern Ireland's XI):
#: where the EU reverse charge can apply.
EU_COUNTRIES = frozenset(code.upper() for code in eu_vat.MEMBER_STATES if code != "xi")
