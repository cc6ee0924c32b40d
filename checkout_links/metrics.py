"""Prometheus metrics of the web app and the worker (served at ``GET /metrics``).

Under gunicorn, set ``PROMETHEUS_MULTIPROC_DIR`` (``deploy/gunicorn.conf.py``
prepares it) and every worker's samples are aggregated at scrape time.
"""

from __future__ import annotations

import os

from prometheus_client import (
    CollectorRegistry,
    Counter,
    Histogram,
    generate_latest,
    multiprocess,
)

LINKS_ISSUED = Counter("checkout_links_issued_total", "Links issued.")
ORDERS_PLACED = Counter("checkout_orders_placed_total", "Orders placed (links spent).")
REDEMPTIONS_REFUSED = Counter(
    "checkout_redemptions_refused_total",
    "Order attempts refused, by reason.",
    ["reason"],
)
WEBHOOK_ATTEMPTS = Counter(
    "checkout_webhook_attempts_total", "Webhook delivery attempts.", ["outcome"]
)
WEBHOOK_DEAD = Counter("checkout_webhook_dead_total", "Events that exhausted their retries.")
WEBHOOK_SKIPPED = Counter(
    "checkout_webhook_skipped_total", "Events not sent because their merchant has no webhook URL."
)
WEBHOOK_CLAIMED = Counter(
    "checkout_webhook_claimed_total", "Outbox entries taken over from a dead worker."
)
RECEIPTS = Counter(
    "checkout_receipts_total",
    "Customer receipt attempts, by outcome (sent, retrying, failed).",
    ["outcome"],
)
WEBHOOK_LAG = Histogram(
    "checkout_webhook_lag_seconds",
    "Time from order to successful delivery.",
    buckets=(0.1, 0.5, 1, 5, 30, 60, 300, 3600, 21600, 86400, 259200),
)
REQUEST_LATENCY = Histogram(
    "checkout_request_duration_seconds",
    "Request latency by endpoint.",
    ["endpoint", "method", "status"],
    buckets=(0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5),
)


def render() -> bytes:
    """The exposition text: aggregated over processes when in multiprocess mode."""
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        registry = CollectorRegistry()
        multiprocess.MultiProcessCollector(registry)  # type: ignore[no-untyped-call]
        return generate_latest(registry)
    return generate_latest()
