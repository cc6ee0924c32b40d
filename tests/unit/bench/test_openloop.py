"""The open-loop generator's pure parts: its schedule, percentiles and HTTP framing."""

from __future__ import annotations

from bench import http1, openloop
from bench.openloop import Phase


def test_schedule_spaces_each_phase_evenly_at_its_rate() -> None:
    """Each phase adds rate x seconds send times, 1/rate apart, after the phases before it."""
    plan = openloop.schedule([Phase("a", 1.0, 4.0), Phase("b", 0.5, 10.0)])
    assert [round(t, 6) for t, _ in plan] == [0.0, 0.25, 0.5, 0.75, 1.0, 1.1, 1.2, 1.3, 1.4]
    assert [phase for _, phase in plan] == [0, 0, 0, 0, 1, 1, 1, 1, 1]


def test_burst_phases_put_a_burst_of_factor_times_the_steady_rate_between_two_steady_phases() -> (
    None
):
    """A 1,000/s burst with factor 10 is 100/s before and after it, for the given lengths."""
    phases = openloop.burst_phases(1000.0, factor=10, burst_s=30.0, steady_s=10.0)
    assert [(p.name, p.seconds, p.rate) for p in phases] == [
        ("before", 10.0, 100.0),
        ("burst", 30.0, 1000.0),
        ("after", 10.0, 100.0),
    ]
    assert len(openloop.schedule(phases)) == 1000 + 30_000 + 1000


def test_percentile_is_the_nearest_rank() -> None:
    """p50 of 1..10 is 5, p99 is 10, p10 is 1, and no values give 0."""
    values = [float(v) for v in range(1, 11)]
    assert openloop.percentile(values, 50) == 5.0
    assert openloop.percentile(values, 99) == 10.0
    assert openloop.percentile(values, 10) == 1.0
    assert openloop.percentile([], 99) == 0.0


def test_a_response_with_content_length_is_complete_only_with_its_whole_body() -> None:
    """The reader waits for Content-Length bytes after the head, then gives the status."""
    head = b"HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\n"
    assert http1.response_length(head + b"abc") is None
    assert http1.response_length(head + b"abcde") == (200, len(head) + 5, True)


def test_a_chunked_response_ends_at_its_zero_chunk() -> None:
    """Chunked bodies are complete once the zero-size chunk and its CRLF have arrived."""
    head = b"HTTP/1.1 303 See Other\r\nTransfer-Encoding: chunked\r\n\r\n"
    body = b"3\r\nabc\r\n0\r\n\r\n"
    assert http1.response_length(head + body[:-2]) is None
    assert http1.response_length(head + body) == (303, len(head) + len(body), True)


def test_connection_close_and_a_body_without_length_are_recognised() -> None:
    """A server's Connection: close is reported, and a body without a length ends at close (-1)."""
    closing = b"HTTP/1.1 200 OK\r\nConnection: close\r\nContent-Length: 0\r\n\r\n"
    assert http1.response_length(closing) == (200, len(closing), False)
    assert http1.response_length(b"HTTP/1.1 200 OK\r\n\r\nabc") == (200, -1, False)


def test_a_form_post_carries_its_length_and_type() -> None:
    """The order request is a complete HTTP/1.1 POST with the form's byte length."""
    raw = http1.post_form_request("127.0.0.1", 8000, "/c/tok", "a=%C3%A9&b=2")
    head, body = raw.split(b"\r\n\r\n", 1)
    assert head.startswith(b"POST /c/tok HTTP/1.1\r\nHost: 127.0.0.1:8000\r\n")
    assert b"Content-Length: 12" in head
    assert b"Content-Type: application/x-www-form-urlencoded" in head
    assert body == b"a=%C3%A9&b=2"
