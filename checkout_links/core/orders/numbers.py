"""Order numbers: the customer-facing reference of an order, unique per merchant.

``7KQ4-M2XH-9D``: ten symbols of Crockford's base 32 (digits and upper-case
letters without ``I``, ``L``, ``O``, ``U``, so nothing is misread), grouped by
dashes. The 50 bits are 35 drawn from the link's random id and 15 that carry
the order's shard, mixed with them (so numbers do not all start alike). So a
number alone finds its order: its shard names the key ``n:<merchant>:<number>``
(``storage/redis_keys.py``) that the spend wrote, in the same atomic step as the
order, with ``NX``. When two of a merchant's orders in one shard would get the
same number (about once in 34 billion), the spend refuses and the next
``attempt`` draws another (:func:`number_for`).

Reading a number is forgiving: lower case, spaces, missing dashes and the
look-alikes ``O`` (for 0) and ``I``/``L`` (for 1) are accepted (:func:`parse_number`).
"""

from __future__ import annotations

import hashlib

from checkout_links.core.storage import redis_keys as keys

ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
_VALUE = {ch: n for n, ch in enumerate(ALPHABET)}
_VALUE.update({"O": 0, "I": 1, "L": 1})
SYMBOLS = 10
_SHARD_BITS = 15
_RANDOM_BITS = SYMBOLS * 5 - _SHARD_BITS
_SHARD_MASK = (1 << _SHARD_BITS) - 1


def number_for(link_rand: bytes, attempt: int = 0) -> str:
    """The order number of a link's order (``attempt`` > 0 after a collision)."""
    digest = hashlib.blake2b(
        link_rand + attempt.to_bytes(2, "big"), digest_size=8, person=b"order-number"
    ).digest()
    drawn = int.from_bytes(digest, "big") >> (64 - _RANDOM_BITS)
    shard = keys.shard_of(link_rand)
    value = (drawn << _SHARD_BITS) | ((shard ^ drawn) & _SHARD_MASK)
    symbols = "".join(ALPHABET[(value >> (5 * i)) & 31] for i in reversed(range(SYMBOLS)))
    return f"{symbols[:4]}-{symbols[4:8]}-{symbols[8:]}"


def parse_number(text: str) -> tuple[str, int] | None:
    """``(the number as written on orders, its shard)``, or ``None`` for no valid number."""
    cleaned = "".join(text.split()).replace("-", "").upper()
    if len(cleaned) != SYMBOLS or any(ch not in _VALUE for ch in cleaned):
        return None
    value = 0
    for ch in cleaned:
        value = (value << 5) | _VALUE[ch]
    drawn = value >> _SHARD_BITS
    shard = (value ^ drawn) & _SHARD_MASK
    if shard >= keys.MAX_SHARDS:
        return None
    canonical = "".join(ALPHABET[(value >> (5 * i)) & 31] for i in reversed(range(SYMBOLS)))
    return f"{canonical[:4]}-{canonical[4:8]}-{canonical[8:]}", shard
