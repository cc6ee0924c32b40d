"""Moved to :mod:`checkout_links.testing.servers` (shared with bench/); import from there.

This re-export keeps tests written against the old path importing.
"""

from checkout_links.testing.cluster import RedisCluster
from checkout_links.testing.servers import (
    HOST,
    ProcessServer,
    RedisServer,
    ServerStartError,
    free_port,
    wait_for_port,
    wait_until,
)

__all__ = [
    "HOST",
    "ProcessServer",
    "RedisCluster",
    "RedisServer",
    "ServerStartError",
    "free_port",
    "wait_for_port",
    "wait_until",
]
