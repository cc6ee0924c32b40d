"""Rewriting a stored order without losing a concurrent change to it.

Erasing personal data and resealing rewrite an order's whole value; a payment
transition (``payments/transitions.py``) may change the same order meanwhile.
:func:`rewrite` writes the new value only if the order is still the value it
was computed from (``replace.lua``, one atomic step), and computes again from
the current value otherwise, so neither change is lost.
"""

from __future__ import annotations

from collections.abc import Callable

from checkout_links.core.errors import StoreUnavailable
from checkout_links.core.storage.connection import Redis
from checkout_links.core.storage.lua import script

REPLACE = script("checkout_links.core.orders", "replace")
#: Attempts against concurrent changes of the same order.
MAX_TRIES = 16


def rewrite(client: Redis, key: str, change: Callable[[bytes], bytes | None]) -> bool:
    """Replace the order at ``key`` with ``change(current value)``; ``change`` may return
    ``None`` for "nothing to write". ``False`` when there is no order (or nothing to write)."""
    replace = client.register_script(REPLACE)
    for _ in range(MAX_TRIES):
        raw = client.get(key)
        if raw is None:
            return False
        current = raw.encode() if isinstance(raw, str) else raw
        new = change(current)
        if new is None:
            return False
        if int(replace(keys=[key], args=[current, new])):
            return True
    raise StoreUnavailable("The order kept changing; try again.")
