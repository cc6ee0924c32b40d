"""The circuit of each merchant's webhook endpoint, shared by all workers in Redis.

After :data:`CIRCUIT_FAILURES` failed attempts in a row an endpoint's circuit
opens: its events wait without attempts until ``open_until`` (the retry base
delay, doubling per further failure, at most :data:`CIRCUIT_MAX_SECONDS`), then
one probe at a time tests it. The first 2xx closes it, and the worker makes the
merchant's waiting retries due at once (``Outbox.pull_forward``).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from checkout_links.core.outbox import scripts
from checkout_links.core.storage import redis_keys as keys
from checkout_links.core.storage.connection import Redis

#: Failed attempts in a row after which an endpoint's circuit opens.
CIRCUIT_FAILURES = 5
#: Longest time an open circuit waits before its next probe.
CIRCUIT_MAX_SECONDS = 10.0
#: The endpoint state is dropped after this long without attempts.
ENDPOINT_TTL_SECONDS = 7 * 86400


@dataclass(frozen=True, slots=True)
class Circuit:
    """What the workers know about one merchant endpoint."""

    failures: int = 0
    open_until_ms: int = 0

    def open_at(self, now_ms: int) -> bool:
        """Attempts wait: the endpoint failed too often and its next probe is not due."""
        return self.failures >= CIRCUIT_FAILURES and self.open_until_ms > now_ms

    @property
    def probing(self) -> bool:
        """Only one attempt at a time may test the endpoint (the circuit is half open)."""
        return self.failures >= CIRCUIT_FAILURES


class Endpoints:
    """Read and update endpoint circuits (scripts loaded once per client)."""

    def __init__(self, client: Redis, consumer: str) -> None:
        self.client = client
        self.consumer = consumer
        self._failed = client.register_script(scripts.CIRCUIT_FAILED)
        self._succeeded = client.register_script(scripts.CIRCUIT_SUCCEEDED)

    def circuits(self, merchant_ids: Sequence[str]) -> dict[str, Circuit]:
        """The circuit of each merchant's endpoint (one round trip)."""
        pipe = self.client.pipeline(transaction=False)
        for merchant_id in merchant_ids:
            pipe.hmget(keys.endpoint(merchant_id), ["failures", "open_until"])
        out = {}
        for merchant_id, (failures, open_until) in zip(merchant_ids, pipe.execute(), strict=True):
            out[merchant_id] = Circuit(int(failures or 0), int(open_until or 0))
        return out

    def take_probe(self, merchant_id: str, hold_ms: int) -> bool:
        """Become the one attempt that tests a merchant's half-open endpoint, for ``hold_ms``
        at most (the attempt drops it when done)."""
        return bool(
            self.client.set(keys.endpoint_probe(merchant_id), self.consumer, nx=True, px=hold_ms)
        )

    def drop_probe(self, merchant_id: str) -> None:
        self.client.delete(keys.endpoint_probe(merchant_id))

    def endpoint_failed(self, merchant_id: str, now_ms: int, base_seconds: float) -> int:
        """Count a failed attempt; opens the circuit at the threshold. Failures in a row."""
        return int(
            self._failed(
                keys=[keys.endpoint(merchant_id)],
                args=[
                    now_ms,
                    int(base_seconds * 1000),
                    int(CIRCUIT_MAX_SECONDS * 1000),
                    CIRCUIT_FAILURES,
                    ENDPOINT_TTL_SECONDS,
                ],
            )
        )

    def endpoint_succeeded(self, merchant_id: str) -> int:
        """Close the endpoint's circuit; returns how many failures in a row it ended."""
        return int(self._succeeded(keys=[keys.endpoint(merchant_id)]))
