"""Digits in a locale's own numbering system, as CLDR says: Persian ones for ``fa``.

Babel formats numbers with the symbols of a locale's default numbering system
(``numbering_system="default"``: the Arabic separators U+066C and U+066B for
``fa``) but always writes
the digits 0-9. CLDR's default numbering system per locale (``arabext`` for
``fa``, ``arab`` for ``ar-EG`` and ``ar-SA``, ``latn`` for ``ar`` itself since
CLDR 42) decides which digits a reader expects; :func:`native` writes them.
"""

from __future__ import annotations

from functools import lru_cache

from babel import Locale, UnknownLocaleError

#: The zero of each decimal numbering system CLDR uses as some locale's default
#: (its digits are the ten code points from it, as Unicode lays them out).
_ZEROS = {
    "arab": 0x0660,
    "arabext": 0x06F0,
    "beng": 0x09E6,
    "deva": 0x0966,
    "mtei": 0xABF0,
    "mymr": 0x1040,
    "olck": 0x1C50,
    "tibt": 0x0F20,
}


@lru_cache(maxsize=256)
def numbering_system(locale: str) -> str:
    """CLDR's default numbering system of a Babel locale (``fa`` -> ``arabext``), or ``latn``.

    A system whose digits :func:`native` cannot write counts as ``latn``, so
    symbols and digits always come from the same system.
    """
    try:
        system = str(Locale.parse(locale).default_numbering_system)
    except (ValueError, TypeError, UnknownLocaleError):
        return "latn"
    return system if system in _ZEROS else "latn"


@lru_cache(maxsize=256)
def _table(locale: str) -> dict[int, int] | None:
    zero = _ZEROS.get(numbering_system(locale))
    if zero is None:
        return None
    return {ord("0") + n: zero + n for n in range(10)}


def native(text: str, locale: str) -> str:
    """``text`` with its digits 0-9 written in ``locale``'s numbering system."""
    table = _table(locale)
    return text.translate(table) if table else text
