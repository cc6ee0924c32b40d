"""A real headless Chromium reading the API reference at /api/docs."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from pathlib import Path

import fakeredis
import pytest
from werkzeug.serving import make_server

from checkout_links.testing import make_app
from checkout_links.testing.servers import HOST, free_port

pytestmark = pytest.mark.browser

sync_api = pytest.importorskip("playwright.sync_api")

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run"]


@pytest.fixture
def origin() -> Iterator[str]:
    """The app on fakeredis behind a real threaded HTTP server on 127.0.0.1."""
    port = free_port()
    app = make_app(fakeredis.FakeRedis(server=fakeredis.FakeServer()))
    server = make_server(HOST, port, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://{HOST}:{port}"
    finally:
        server.shutdown()
        thread.join(timeout=10)


@pytest.mark.skipif(not Path(CHROMIUM).exists(), reason=f"no Chromium at {CHROMIUM}")
def test_the_reference_page_renders_the_operations_from_the_service_alone(origin: str) -> None:
    """/api/docs shows the "Issue a checkout link" operation with its 201 answer, loading
    nothing from another origin and breaking none of its Content-Security-Policy."""
    problems: list[str] = []
    requested: list[str] = []
    with sync_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            page = browser.new_page()
            page.route("**/favicon.ico", lambda route: route.fulfill(status=204))
            page.on("request", lambda req: requested.append(req.url))
            page.on(
                "console", lambda msg: problems.append(msg.text) if msg.type == "error" else None
            )
            response = page.goto(origin + "/api/docs")
            assert response is not None
            assert response.status == 200
            operation = page.get_by_text("Issue a checkout link").first
            operation.wait_for(timeout=30_000)
            assert operation.is_visible()
            assert page.get_by_text("Read an order").first.is_visible()
        finally:
            browser.close()
    elsewhere = [u for u in requested if not u.startswith((origin, "blob:", "data:"))]
    assert elsewhere == []
    assert problems == []
