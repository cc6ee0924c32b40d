"""Real ``checkout-links worker`` processes over a real Redis, beside an app in this process.

:class:`Stack` is what the worker system tests share: orders are placed through
a Flask test client of an app over the same Redis, the merchant's webhook points
at a :class:`~checkout_links.testing.webhook_receiver.Receiver`, and each worker
is the console script a deployment runs.
"""

from __future__ import annotations

import shutil
import sys
from pathlib import Path
from typing import Any

import redis
from flask import Flask
from flask.testing import FlaskClient

from checkout_links.testing import SECRET_A, add_merchant, make_app
from checkout_links.testing.servers import ProcessServer, RedisServer, free_port
from checkout_links.testing.webhook_receiver import Receiver
from checkout_links.web.extensions import services

# The console script next to this interpreter (skips the pyenv shim), else the one on PATH.
_SCRIPT = shutil.which("checkout-links", path=str(Path(sys.executable).parent)) or "checkout-links"


class Stack:
    """An app over a real Redis, a merchant whose webhook points at a receiver, and workers."""

    def __init__(self, redis_server: RedisServer, receiver: Receiver, tmp_path: Path) -> None:
        self.redis_url = redis_server.url
        self.receiver = receiver
        self.tmp_path = tmp_path
        self.app: Flask = make_app(
            redis.Redis.from_url(self.redis_url),
            allow_private_webhooks=True,
            rate_limits_enabled=False,
        )
        self.client: FlaskClient = self.app.test_client()
        self.auth = {"Authorization": f"Bearer {add_merchant(self.app)}"}
        with self.app.app_context():
            svc = services()
            svc.merchants.set_webhook_url("acme", f"{receiver.url}/hook")
            self.secret = svc.merchants.webhook_secrets("acme")[0]
        self.workers: list[ProcessServer] = []

    def start_worker(self, name: str, **env: str) -> ProcessServer:
        """Start ``checkout-links worker --consumer NAME`` and wait until it runs its loop."""
        worker = ProcessServer(
            [_SCRIPT, "worker", "--consumer", name],
            port=free_port(),  # a worker listens on nothing; ProcessServer wants a port
            log_path=self.tmp_path / f"worker-{name}.log",
            env={
                "CHECKOUT_REDIS_URL": self.redis_url,
                "CHECKOUT_SECRET_KEYS": SECRET_A,
                "CHECKOUT_ALLOW_PRIVATE_WEBHOOKS": "true",
                "CHECKOUT_WEBHOOK_RETRY_BASE_SECONDS": "0.2",
                "CHECKOUT_WEBHOOK_TIMEOUT_SECONDS": "2",
                **env,
            },
            name=f"worker-{name}",
        )
        self.workers.append(worker.start())
        self.receiver.wait_for(
            f"{name} to start",
            lambda: "webhook worker started" in worker.log_text() or not worker.running,
            timeout=30,
        )
        assert worker.running, worker.log_tail()
        return worker

    def events(self) -> list[dict[str, Any]]:
        """Every event of the merchant, through the paginated API."""
        items: list[dict[str, Any]] = []
        cursor = ""
        while True:
            page = self.client.get(
                f"/api/v1/events?limit=100&cursor={cursor}", headers=self.auth
            ).get_json()
            items += page["items"]
            if not page["next_cursor"]:
                return items
            cursor = page["next_cursor"]

    def stop(self) -> None:
        for worker in self.workers:
            worker.stop()
