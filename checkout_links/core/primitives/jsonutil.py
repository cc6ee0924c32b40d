"""Fast JSON in and out, with ``Decimal`` written as its exact string.

Money never travels as a JSON number. ``dumps`` is msgspec's encoder: it
writes the records of ``records.py`` (fields in declaration order) as well as
plain dicts and lists, compact and UTF-8.
"""

from __future__ import annotations

from typing import Any

import msgspec
import orjson

_ENCODER = msgspec.json.Encoder(decimal_format="string")


def dumps(value: Any) -> bytes:
    """Serialise ``value`` to compact UTF-8 JSON bytes."""
    return _ENCODER.encode(value)


def loads(data: bytes | str) -> Any:
    """Parse JSON; raises ``orjson.JSONDecodeError`` (a ``ValueError``) when malformed."""
    return orjson.loads(data)
