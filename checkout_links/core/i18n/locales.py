"""Which language a customer page speaks, and which CLDR locale formats its numbers.

A page has two locales: the *words* locale, one of :data:`SUPPORTED` (the
catalogs shipped), and the *format* locale, the exact CLDR locale asked for
(``de-CH`` shows German words with Swiss number formatting). Both are chosen
once per (link locale, customer language, Accept-Language, merchant default)
and cached: the cart page is the hot path.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

from babel import Locale, UnknownLocaleError

#: The locales whose words ship, as BCP 47 tags (``zh-Hans``); ``en`` is the source.
SUPPORTED = (
    "en",
    "de",
    "fr",
    "es",
    "it",
    "nl",
    "pt",
    "pl",
    "sv",
    "da",
    "fi",
    "nb",
    "cs",
    "tr",
    "ru",
    "uk",
    "ja",
    "zh-Hans",
    "ko",
    "ar",
    "he",
)
_SUPPORTED = frozenset(SUPPORTED)
#: Written right to left.
RTL = frozenset({"ar", "he"})
#: Languages CLDR lists under another code than the catalog's.
_ALIASES = {"no": "nb", "nn": "nb", "iw": "he"}


@dataclass(frozen=True, slots=True)
class PageLocale:
    """The locale of one page: ``words`` names the catalog, ``format`` the CLDR data."""

    words: str
    format: str
    #: ``format`` in Babel's spelling (``de_CH``), for Babel's formatting calls.
    babel: str
    #: ISO 3166 region of ``format`` (``CH``), or ``""``: a guess at the customer's country.
    territory: str

    @property
    def rtl(self) -> bool:
        return self.words in RTL

    @property
    def lang(self) -> str:
        """The ``<html lang>`` value: the exact locale when its words are the page's."""
        return self.format if words_for(self.format) == self.words else self.words


def _parse(tag: str) -> Locale | None:
    try:
        return Locale.parse(tag.replace("-", "_"))
    except (ValueError, TypeError, UnknownLocaleError):
        return None


@lru_cache(maxsize=1024)
def words_for(tag: str) -> str | None:
    """The shipped catalog for ``tag``: itself, its parent, or ``None``.

    ``pt-BR`` -> ``pt``, ``zh-CN`` -> ``zh-Hans`` (CLDR's likely script),
    ``zh-TW`` -> ``None`` (Traditional Chinese ships no catalog).
    """
    locale = _parse(tag)
    if locale is None:
        return None
    language = _ALIASES.get(locale.language, locale.language)
    if language == "zh":
        script = locale.script or ("Hant" if locale.territory in ("TW", "HK", "MO") else "Hans")
        return "zh-Hans" if script == "Hans" else None
    return language if language in _SUPPORTED else None


@lru_cache(maxsize=1024)
def page_locale(tag: str, *, exact: bool = False) -> PageLocale | None:
    """The page locale for ``tag``, or ``None`` when it is not a locale.

    Without a catalog for its language the words are English (or ``None`` when
    ``exact``: a browser's list goes on to its next language instead), while
    the formats stay the exact CLDR locale.
    """
    locale = _parse(tag)
    if locale is None:
        return None
    words = words_for(tag)
    if words is None:
        if exact:
            return None
        words = "en"
    return PageLocale(
        words=words,
        format=str(locale).replace("_", "-"),
        babel=str(locale),
        territory=locale.territory or "",
    )


ENGLISH = PageLocale(words="en", format="en", babel="en", territory="")


@lru_cache(maxsize=1024)
def accept_language(header: str) -> tuple[str, ...]:
    """The tags of an ``Accept-Language`` header, most wanted first (``q=0`` dropped)."""
    weighted: list[tuple[float, int, str]] = []
    for index, item in enumerate(header.split(",")[:20]):
        tag, _, params = item.strip().partition(";")
        quality = 1.0
        if params.strip().startswith("q="):
            try:
                quality = float(params.strip()[2:])
            except ValueError:
                continue
        if tag and tag != "*" and quality > 0:
            weighted.append((-quality, index, tag.strip()))
    return tuple(tag for _, _, tag in sorted(weighted))


@lru_cache(maxsize=4096)
def negotiate(
    link_locale: str | None,
    customer_language: str | None,
    accept: str | None,
    merchant_default: str | None,
) -> PageLocale:
    """The page's locale: the link's, else the customer's, else the browser's,
    else the merchant's default, else English; the first one a catalog serves."""
    for tag in (link_locale, customer_language):
        found = page_locale(tag) if tag else None
        if found is not None:
            return found
    for tag in accept_language(accept) if accept else ():
        found = page_locale(tag, exact=True)
        if found is not None:
            return found
    found = page_locale(merchant_default) if merchant_default else None
    return found or ENGLISH


def issued_locale(
    link_locale: str | None, customer_language: str | None, merchant_default: str | None
) -> str:
    """The words locale ``POST /api/v1/links`` reports: what the page shows
    when the browser's language does not decide (no link locale or language)."""
    return negotiate(link_locale, customer_language, None, merchant_default).words


@lru_cache(maxsize=1024)
def browser_country(accept: str) -> str:
    """The first region an ``Accept-Language`` header names (``de-CH`` -> ``CH``), or ``""``."""
    for tag in accept_language(accept):
        locale = _parse(tag)
        if locale is not None and locale.territory and locale.territory.isalpha():
            return str(locale.territory)
    return ""


def canonical_tag(tag: str) -> str | None:
    """``tag`` in CLDR's spelling as a BCP 47 tag (``pt-br`` -> ``pt-BR``,
    ``zh-TW`` -> ``zh-Hant-TW``), or ``None`` when it is not a locale."""
    locale = _parse(tag.strip())
    return str(locale).replace("_", "-") if locale is not None else None


@lru_cache(maxsize=1024)
def text_tags(page: PageLocale) -> tuple[str, ...]:
    """The keys a seller's translated text is looked up under for ``page``, best first.

    The exact locale (``de-CH``), then its language with its script
    (``zh-Hant``), then the language (``de``), then the page's words locale.
    """
    tags = [page.format]
    locale = _parse(page.format)
    if locale is not None:
        if locale.script:
            tags.append(f"{locale.language}-{locale.script}")
        tags.append(locale.language)
    tags.append(page.words)
    return tuple(dict.fromkeys(tags))
