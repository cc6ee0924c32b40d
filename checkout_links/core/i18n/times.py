"""A moment as a customer reads it: date, time and the zone it is in, in their language.

Used by the expired page ("could be used until …") and the receipt ("Order
date"). The zone is said every time, so a time is never ambiguous. A
customer's local time is used where their country keeps one clock: a country
whose time zones all show the same offset at that moment (Germany, Japan, the
Emirates); elsewhere (the United States, Spain with the Canaries, or no
country) the time is given in UTC, which names itself.
"""

from __future__ import annotations

from datetime import UTC, datetime, tzinfo
from functools import lru_cache
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from babel import Locale
from babel.core import get_global
from babel.dates import format_date, format_time

from checkout_links.core.primitives import digits


@lru_cache(maxsize=512)
def _zones(country: str) -> tuple[ZoneInfo, ...]:
    names = get_global("territory_zones").get(country.upper(), ()) if country else ()
    zones = []
    for name in names:
        try:
            zones.append(ZoneInfo(name))
        except (ZoneInfoNotFoundError, ValueError):
            continue
    return tuple(zones)


def zone_of(country: str, moment: datetime) -> tzinfo:
    """The customer's zone at ``moment`` if ``country`` keeps one clock then, else UTC."""
    zones = _zones(country)
    if not zones:
        return UTC
    offsets = {moment.astimezone(zone).utcoffset() for zone in zones}
    return zones[0] if len(offsets) == 1 else UTC


@lru_cache(maxsize=256)
def _patterns(babel_locale: str) -> tuple[Locale, str, str]:
    locale = Locale.parse(babel_locale)
    # The locale's short time ("3:30 PM", "15:30") and the zone's name in the language
    # ("Central European Standard Time"): short names are offsets ("+0100") in most.
    time = f"{locale.time_formats['short'].pattern} zzzz"
    return locale, time, str(locale.datetime_formats["long"]).replace("'", "")


def format_moment(moment: datetime, zone: tzinfo, babel_locale: str) -> str:
    """``moment`` as a long date, a short time and the zone's name, in ``babel_locale``.

    For example "December 7, 2026, 3:30 PM Central European Standard Time".
    """
    locale, time_pattern, joined = _patterns(babel_locale)
    local = moment.astimezone(zone)
    date = format_date(local, "long", locale=locale)
    time = format_time(local, time_pattern, tzinfo=zone, locale=locale)
    # In the digits of the locale's CLDR numbering system (Persian for fa), as amounts are.
    return digits.native(joined.replace("{0}", time).replace("{1}", date), babel_locale)
