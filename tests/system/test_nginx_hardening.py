"""What deploy/nginx.conf adds for browsers and against one client's flood, on a real nginx
in front of a stub app on 127.0.0.1."""

from __future__ import annotations

import shutil
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import httpx
import pytest

from checkout_links.testing.realapp import nginx_server
from checkout_links.testing.servers import HOST

pytestmark = pytest.mark.skipif(shutil.which("nginx") is None, reason="nginx is not installed")

HSTS = "max-age=63072000; includeSubDomains"


class _Ok(BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        body = b'{"status":"ok"}'
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: object) -> None:
        return


@pytest.fixture
def stub_app() -> Iterator[str]:
    server = ThreadingHTTPServer((HOST, 0), _Ok)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"{HOST}:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


def test_every_answer_carries_hsts(tmp_path: Path, stub_app: str) -> None:
    """The app's answers and nginx's own (404 at /metrics, 413) all carry the HSTS header."""
    with nginx_server(tmp_path, [stub_app]) as nginx:
        nginx.wait_port()
        with httpx.Client(base_url=nginx.url, trust_env=False, timeout=5.0) as web:
            answers = [
                web.get("/healthz"),
                web.get("/metrics"),
                web.post("/api/v1/links", content=b"x" * (1024 * 1024 + 1)),
            ]
    assert [a.status_code for a in answers] == [200, 404, 413]
    assert [a.headers.get_list("Strict-Transport-Security") for a in answers] == [[HSTS]] * 3
