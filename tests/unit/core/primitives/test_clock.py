"""The one ISO 8601 formatter every API timestamp goes through (core/primitives/clock.py)."""

from __future__ import annotations

from datetime import UTC, datetime

from checkout_links.core.primitives.clock import iso_ms, iso_seconds


def test_timestamps_are_utc_with_a_z_to_the_second_or_millisecond() -> None:
    """Seconds drop their fraction; milliseconds keep three digits, zero-padded."""
    assert iso_seconds(1_796_119_390.9) == "2026-12-01T10:03:10Z"
    assert iso_ms(1_796_119_390_007) == "2026-12-01T10:03:10.007Z"


def test_years_before_1000_keep_four_digits() -> None:
    """A year like 296 is written 0296, as RFC 3339 requires (strftime's %Y would not pad it)."""
    ts = int(datetime(296, 5, 22, 1, 2, 3, tzinfo=UTC).timestamp())
    assert iso_seconds(ts) == "0296-05-22T01:02:03Z"
    assert iso_ms(ts * 1000 + 40) == "0296-05-22T01:02:03.040Z"
