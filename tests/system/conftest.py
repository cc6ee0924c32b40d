"""System-test fixtures: worker processes beside an app, an app behind a real HTTP server,
and Chromium for the browser tests (one for the session, a fresh context per page)."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

import fakeredis
import pytest
from flask import Flask
from werkzeug.serving import make_server

from checkout_links.testing import make_app
from checkout_links.testing.browser import PageFactory, chromium, open_page
from checkout_links.testing.servers import HOST, RedisServer, free_port
from checkout_links.testing.storefront import CHROMIUM, Storefront, storefront
from checkout_links.testing.webhook_receiver import Receiver
from checkout_links.testing.workers import Stack

if TYPE_CHECKING:
    from playwright.sync_api import Browser, Page


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


@pytest.fixture(scope="session")
def browser() -> Iterator[Browser]:
    """One headless Chromium for the session; a test that asks for it skips where there is none."""
    pytest.importorskip("playwright.sync_api")
    if not Path(CHROMIUM).exists():
        pytest.skip(f"no Chromium at {CHROMIUM}")
    with chromium() as launched:
        yield launched


@pytest.fixture
def new_page(browser: Browser) -> Iterator[PageFactory]:
    """Opens a page in a new context (see ``checkout_links.testing.browser.open_page``):
    ``page, problems = new_page(320, locale="ar")``; every context is closed after the test."""
    pages: list[Page] = []

    def make(*args: Any, **kwargs: Any) -> tuple[Page, list[str]]:
        page, problems = open_page(browser, *args, **kwargs)
        pages.append(page)
        return page, problems

    yield make
    for page in pages:
        page.context.close()


@pytest.fixture(scope="module")
def shop() -> Iterator[Storefront]:
    """The branded storefront of checkout_links/testing/storefront.py, served for the module."""
    with storefront() as served:
        yield served
