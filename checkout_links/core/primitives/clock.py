"""UTC timestamps as the API writes them: ISO 8601 with a ``Z``, to the second or millisecond."""

from __future__ import annotations

import time
from datetime import UTC, datetime

_SECONDS = "%Y-%m-%dT%H:%M:%S"


def iso_seconds(ts: float) -> str:
    """``2026-12-01T10:16:30Z`` for a Unix time (fractions are dropped)."""
    return datetime.fromtimestamp(int(ts), UTC).strftime(_SECONDS) + "Z"


def iso_ms(ms: int) -> str:
    """``2026-12-01T10:16:30.123Z`` for Unix milliseconds (integer arithmetic, no float)."""
    seconds, millis = divmod(ms, 1000)
    return datetime.fromtimestamp(seconds, UTC).strftime(_SECONDS) + f".{millis:03d}Z"


def now_iso() -> str:
    """The current time, to the second."""
    return iso_seconds(time.time())
