"""UTC timestamps as the API writes them: ISO 8601 with a ``Z``, to the second or millisecond."""

from __future__ import annotations

import time
from datetime import UTC, datetime
from functools import lru_cache


# Kept for the last few seconds: an order writes the same second several times
# (created_at, the consent's time, the event), and a busy instance many orders a second.
@lru_cache(maxsize=64)
def _seconds(seconds: int) -> str:
    moment = datetime.fromtimestamp(seconds, UTC)
    # %Y does not pad years before 1000 ("296-05-22"), which is not RFC 3339.
    return f"{moment.year:04d}-{moment:%m-%dT%H:%M:%S}"


def iso_seconds(ts: float) -> str:
    """``2026-12-01T10:16:30Z`` for a Unix time (fractions are dropped)."""
    return _seconds(int(ts)) + "Z"


def iso_ms(ms: int) -> str:
    """``2026-12-01T10:16:30.123Z`` for Unix milliseconds (integer arithmetic, no float)."""
    seconds, millis = divmod(ms, 1000)
    return _seconds(seconds) + f".{millis:03d}Z"


def now_iso() -> str:
    """The current time, to the second."""
    return iso_seconds(time.time())
