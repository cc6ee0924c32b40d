"""Fast JSON in and out (orjson), with ``Decimal`` written as a string.

Money never travels as a JSON number, so Decimals are serialised as their
exact string form.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import orjson


def _default(value: Any) -> Any:
    if isinstance(value, Decimal):
        return str(value)
    raise TypeError(f"not JSON serialisable: {type(value).__name__}")


def dumps(value: Any) -> bytes:
    """Serialise ``value`` to compact UTF-8 JSON bytes."""
    return orjson.dumps(value, default=_default)


def loads(data: bytes | str) -> Any:
    """Parse JSON; raises ``orjson.JSONDecodeError`` (a ``ValueError``) when malformed."""
    return orjson.loads(data)
