"""bench/openloop.py against a real HTTP server on loopback: every scheduled request is
sent once, answered, and counted in its phase."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from bench import http1, openloop
from bench.openloop import Phase


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive, as gunicorn and Granian answer

    def do_GET(self) -> None:
        body = b"x" * 3000
        self.send_response(200 if self.path == "/ok" else 404)
        self.send_header("Content-Length", str(len(body)))
        if self.path == "/ok?close":
            self.send_header("Connection", "close")
        self.end_headers()
        self.wfile.write(body)

    def do_POST(self) -> None:
        length = int(self.headers["Content-Length"])
        self.rfile.read(length)
        self.send_response(303)
        self.send_header("Location", "/done")
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, format: str, *args: object) -> None:
        pass


@pytest.fixture
def server() -> Iterator[int]:
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield httpd.server_address[1]
    httpd.shutdown()
    httpd.server_close()


def test_every_scheduled_request_is_sent_once_and_answered_in_its_phase(server: int) -> None:
    """Two phases of GETs and POSTs: each phase counts its own requests and their statuses."""
    phases = [Phase("slow", 0.4, 50.0), Phase("fast", 0.4, 200.0)]
    count = len(openloop.schedule(phases))
    requests = [
        http1.get_request("127.0.0.1", server, "/ok")
        if i % 2
        else http1.post_form_request("127.0.0.1", server, "/c/x", "a=1")
        for i in range(count)
    ]
    result = openloop.run("127.0.0.1", server, requests, phases)
    assert [(p.sent, p.answered) for p in result.phases] == [(20, 20), (80, 80)]
    assert [p.statuses for p in result.phases] == [{200: 10, 303: 10}, {200: 40, 303: 40}]
    assert all(p.errors == {} for p in result.phases)


def test_a_server_that_closes_each_connection_gets_a_new_one_per_request(server: int) -> None:
    """Connection: close is honoured: no request is written to a closed connection."""
    phases = [Phase("only", 0.3, 50.0)]
    requests = [http1.get_request("127.0.0.1", server, "/ok?close")] * 15
    result = openloop.run("127.0.0.1", server, requests, phases)
    (phase,) = result.phases
    assert (phase.answered, phase.errors, result.connections) == (15, {}, 15)
    assert phase.statuses == {404: 15}
