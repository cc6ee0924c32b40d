"""Which language a customer page speaks, and which CLDR locale formats its numbers.

A page has two locales: the *words* locale, one of :data:`SUPPORTED` (the
catalogs shipped), and the *format* locale, the exact CLDR locale asked for
(``de-CH`` shows German words with Swiss number formatting). Both are chosen
once per (link locale, customer language, Accept-Language, merchant default)
and cached: the cart page is the hot path.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from functools import lru_cache

from babel import Locale, UnknownLocaleError
from babel.core import get_global

#: The locales whose words ship, as BCP 47 tags (``zh-Hans``); ``en`` is the source.
#: Stripe Checkout's 40 plus ar, he, fa and uk.
SUPPORTED = (
    "en",
    "en-GB",
    "ar",
    "bg",
    "cs",
    "da",
    "de",
    "el",
    "es",
    "es-419",
    "et",
    "fa",
    "fi",
    "fil",
    "fr",
    "fr-CA",
    "he",
    "hr",
    "hu",
    "id",
    "it",
    "ja",
    "ko",
    "lt",
    "lv",
    "ms",
    "mt",
    "nb",
    "nl",
    "pl",
    "pt",
    "pt-BR",
    "ro",
    "ru",
    "sk",
    "sl",
    "sv",
    "th",
    "tr",
    "uk",
    "vi",
    "zh-Hans",
    "zh-HK",
    "zh-TW",
)
_SUPPORTED = frozenset(SUPPORTED)
#: Written right to left.
RTL = frozenset({"ar", "fa", "he"})
#: A regional catalog's parent: the variant's catalog holds only the words that
#: differ, and gettext falls back to the parent for the rest. ``pt`` is
#: Portugal's Portuguese (Stripe's ``pt``), written as the differences from
#: Brazil's, whose catalog is the complete one.
PARENTS = {"en-GB": "en", "es-419": "es", "fr-CA": "fr", "pt": "pt-BR", "zh-HK": "zh-TW"}
#: The CLDR locale of a catalog whose tag alone means another region in CLDR
#: (CLDR's bare ``pt`` is Brazil's: its plural rule and number formats).
CLDR = {"pt": "pt_PT"}
#: Languages CLDR lists under another code than the catalog's (Babel itself
#: already reads ``iw`` as ``he``, ``tl`` as ``fil`` and ``in`` as ``id``).
_ALIASES = {"no": "nb", "nn": "nb", "iw": "he", "tl": "fil", "in": "id"}
#: The catalog of a CLDR locale on a regional locale's parent chain
#: (``es_MX`` -> ``es_419``, ``en_AU`` -> ``en_001``, ``pt_AO`` -> ``pt_PT``).
_REGIONAL = {
    "en_GB": "en-GB",
    "en_001": "en-GB",
    "es_419": "es-419",
    "fr_CA": "fr-CA",
    "pt_BR": "pt-BR",
    "pt_PT": "pt",
}


def cldr_name(tag: str) -> str:
    """The CLDR (Babel) locale of a catalog tag: ``zh-Hans`` -> ``zh_Hans``, ``pt`` -> ``pt_PT``."""
    return CLDR.get(tag, tag.replace("-", "_"))


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


def _chain(language: str, territory: str | None) -> list[str]:
    """``language_territory`` and its CLDR parents up to the language (``es_MX``, ``es_419``)."""
    if not territory:
        return []
    parents: Mapping[str, str] = get_global("parent_exceptions")
    chain = [f"{language}_{territory}"]
    while chain[-1] in parents and len(chain) < 5:
        chain.append(parents[chain[-1]])
    return chain


@lru_cache(maxsize=1024)
def words_for(tag: str) -> str | None:
    """The shipped catalog for ``tag``: itself, its regional or whole language, or ``None``.

    ``es-MX`` -> ``es-419`` (CLDR's parent), ``pt-PT`` -> ``pt``, ``en-AU`` ->
    ``en-GB`` (CLDR's international English), ``zh-CN`` -> ``zh-Hans`` and
    ``zh-MO`` -> ``zh-HK`` (CLDR's likely script), ``sw`` -> ``None``.
    """
    locale = _parse(tag)
    if locale is None:
        return None
    language = _ALIASES.get(locale.language, locale.language)
    if language == "zh":
        script = locale.script or ("Hant" if locale.territory in ("TW", "HK", "MO") else "Hans")
        if script == "Hans":
            return "zh-Hans"
        return "zh-HK" if locale.territory in ("HK", "MO") else "zh-TW"
    for name in _chain(language, locale.territory):
        if name in _REGIONAL:
            return _REGIONAL[name]
    return language if language in _SUPPORTED else None


def _display(tag: str, locale: Locale) -> str:
    """The BCP 47 spelling of ``locale``, with a script only when ``tag`` named one.

    Babel adds the likely script (``zh-HK`` parses as ``zh_Hant_HK``); the page
    names the locale as it was asked for.
    """
    asked = {part.lower() for part in tag.replace("_", "-").split("-")}
    script = locale.script if locale.script and locale.script.lower() in asked else None
    parts = (locale.language, script, locale.territory, locale.variant)
    return "-".join(part for part in parts if part)


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
    shown = _display(tag, locale)
    babel = CLDR[shown] if shown in CLDR else str(locale)
    # A region such as es-419's "419" is not a country to guess the customer's from.
    territory = locale.territory or ""
    territory = territory if territory.isalpha() else ""
    return PageLocale(words=words, format=shown, babel=babel, territory=territory)


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
