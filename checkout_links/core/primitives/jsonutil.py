"""JSON in and out, with ``Decimal`` written as its exact string: msgspec, the one JSON library.

Money never travels as a JSON number. ``dumps`` writes the records of
``records.py`` (fields in declaration order) as well as plain dicts and lists,
compact and UTF-8. One library: on this service's uses (parsing a 1 KB link
body or a promotion record, fingerprinting a body) orjson was measured within
a microsecond of msgspec, which the records need anyway.
"""

from __future__ import annotations

from typing import Any

import msgspec

_ENCODER = msgspec.json.Encoder(decimal_format="string")


def dumps(value: Any) -> bytes:
    """Serialise ``value`` to compact UTF-8 JSON bytes."""
    return _ENCODER.encode(value)


def loads(data: bytes | str) -> Any:
    """Parse JSON; raises ``msgspec.DecodeError`` (a ``ValueError``) when malformed."""
    return msgspec.json.decode(data)
