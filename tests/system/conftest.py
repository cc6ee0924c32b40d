"""System-test fixtures: worker processes beside an app, an app behind a real HTTP server."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from pathlib import Path

import fakeredis
import pytest
from flask import Flask
from werkzeug.serving import make_server

from checkout_links.testing import make_app
from checkout_links.testing.servers import HOST, RedisServer, free_port
from checkout_links.testing.webhook_receiver import Receiver
from checkout_links.testing.workers import Stack


@pytest.fixture
def served_app() -> Iterator[tuple[Flask, str]]:
    """The app on fakeredis behind a real threaded HTTP server on 127.0.0.1."""
    port = free_port()
    origin = f"http://{HOST}:{port}"
    app = make_app(fakeredis.FakeRedis(server=fakeredis.FakeServer()), base_url=origin)
    server = make_server(HOST, port, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield app, origin
    finally:
        server.shutdown()
        thread.join(timeout=10)


@pytest.fixture
def stack(real_redis: RedisServer, tmp_path: Path) -> Iterator[Stack]:
    with Receiver(ok_delay=0.005) as receiver:
        built = Stack(real_redis, receiver, tmp_path)
        try:
            yield built
        finally:
            built.stop()
