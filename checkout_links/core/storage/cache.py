"""A tiny per-process cache with a time-to-live, for hot read-mostly lookups.

Used for API keys, merchants and catalog entries; ``CHECKOUT_CACHE_SECONDS``
bounds how stale an entry can be (a revoked key stops working within it).
"""

from __future__ import annotations

import threading
import time
from collections import OrderedDict
from typing import Generic, TypeVar

K = TypeVar("K")
V = TypeVar("V")


class TTLCache(Generic[K, V]):
    """Bounded LRU with an optional TTL (``None``: entries never go stale)."""

    def __init__(self, ttl: float | None, maxsize: int) -> None:
        self.ttl = ttl
        self.maxsize = maxsize
        self._data: OrderedDict[K, tuple[float, V]] = OrderedDict()
        self._lock = threading.Lock()

    def lookup(self, key: K, now: float | None = None) -> tuple[bool, V | None]:
        """``(True, value)`` on a fresh hit, else ``(False, None)``."""
        with self._lock:
            entry = self._data.get(key)
            if entry is None:
                return False, None
            stamp, value = entry
            if self.ttl is not None and (now or time.monotonic()) - stamp > self.ttl:
                del self._data[key]
                return False, None
            self._data.move_to_end(key)
            return True, value

    def put(self, key: K, value: V, now: float | None = None) -> None:
        with self._lock:
            self._data[key] = (now or time.monotonic(), value)
            self._data.move_to_end(key)
            while len(self._data) > self.maxsize:
                self._data.popitem(last=False)

    def pop(self, key: K) -> None:
        with self._lock:
            self._data.pop(key, None)
