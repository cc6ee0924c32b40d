"""Times as a customer reads them: their country's clock when it has one, else UTC, zone named."""

from __future__ import annotations

from datetime import UTC, datetime

from checkout_links.core.i18n.times import format_moment, zone_of

MOMENT = datetime(2026, 12, 7, 14, 30, tzinfo=UTC)


def test_a_country_with_one_clock_gets_its_local_time_and_zone_name() -> None:
    """Germany in December: 15:30 and the zone's name, in German."""
    text = format_moment(MOMENT, zone_of("DE", MOMENT), "de")
    assert text == "7. Dezember 2026, 15:30 Mitteleuropäische Normalzeit"


def test_a_country_with_several_clocks_or_none_gets_utc_named_as_such() -> None:
    """The United States, Spain (the Canaries) and no country: 14:30 in UTC, saying so."""
    for country in ("US", "ES", ""):
        assert zone_of(country, MOMENT) is UTC
    assert format_moment(MOMENT, UTC, "en") == (
        "December 7, 2026, 2:30\u202fPM Coordinated Universal Time"
    )


def test_the_time_follows_the_language_of_the_page() -> None:
    """Japanese writes the date its way and the Emirates' clock is four hours ahead."""
    text = format_moment(MOMENT, zone_of("AE", MOMENT), "ja")
    assert text.startswith("2026年12月7日 18:30")
