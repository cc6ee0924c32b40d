"""Pin what RedactingLogger writes for requests parsed by gunicorn's own HTTP code."""

from __future__ import annotations

import contextlib
import datetime
import json
import random
import re
import socket
import string
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from gunicorn.config import Config
from gunicorn.glogging import Logger
from gunicorn.http import wsgi
from gunicorn.http.parser import RequestParser

from checkout_links.serving.access_log import ACCESS_LOG_FORMAT, RedactingLogger, format_atoms

TOKEN = "".join(random.Random(7).choices(string.ascii_letters + string.digits + "-_", k=2000))
PEER = ("203.0.113.7", 50123)
ELAPSED = datetime.timedelta(milliseconds=12)


@pytest.fixture
def logger(tmp_path: Path) -> Iterator[RedactingLogger]:
    """A RedactingLogger configured like deploy/gunicorn.conf.py, writing to files."""
    cfg = Config()
    cfg.set("accesslog", str(tmp_path / "access.log"))
    cfg.set("errorlog", str(tmp_path / "error.log"))
    cfg.set("access_log_format", ACCESS_LOG_FORMAT)
    log = RedactingLogger(cfg)
    yield log
    for handler in [*log.access_log.handlers, *log.error_log.handlers]:
        handler.close()


@contextlib.contextmanager
def answered(logger: RedactingLogger, raw: bytes) -> Iterator[tuple[Any, Any, dict[str, Any]]]:
    """``raw`` parsed by gunicorn and answered as its sync worker does: (req, resp, environ)."""
    server_side, client_side = socket.socketpair()
    with server_side, client_side:
        req = next(iter(RequestParser(logger.cfg, [raw], PEER)))
        resp, environ = wsgi.create(req, server_side, PEER, ("127.0.0.1", 8000), logger.cfg)
        body = b"<p>cart</p>"
        resp.start_response("200 OK", [("Content-Length", str(len(body)))])
        resp.write(body)
        resp.close()
        yield req, resp, environ


def serve(logger: RedactingLogger, raw: bytes) -> tuple[dict[str, Any], dict[str, Any]]:
    """Answer ``raw`` and log it; returns the atoms and the access-log record.

    The record is parsed from its JSON line, or given as ``{"line": ...}`` when a
    test set a format that is not JSON.
    """
    with answered(logger, raw) as (req, resp, environ):
        atoms = logger.atoms(resp, req, environ, ELAPSED)
        logger.access(resp, req, environ, ELAPSED)
    line = Path(logger.cfg.accesslog).read_text(encoding="utf-8").splitlines()[-1]
    return atoms, json.loads(line) if line.startswith("{") else {"line": line}


def gunicorn_atoms(logger: RedactingLogger, raw: bytes) -> set[str]:
    """The names of the atoms gunicorn's own logger builds for ``raw``."""
    with answered(logger, raw) as (req, resp, environ):
        return set(Logger.atoms(logger, resp, req, environ, ELAPSED))


def request(target: str, *headers: str, method: str = "POST") -> bytes:
    """The bytes of an HTTP/1.1 request for ``target`` with extra header lines."""
    head = [f"{method} {target} HTTP/1.1", "Host: pay.example.com", *headers]
    return ("\r\n".join(head) + "\r\nContent-Length: 0\r\n\r\n").encode("latin-1")


def test_access_record_keeps_no_token_and_no_query(logger: RedactingLogger) -> None:
    """A POST to /c/<2,000-char token>?query logs the path cut to 8 token chars, no query."""
    _, record = serve(logger, request(f"/c/{TOKEN}?utm_source=mail-42"))
    line = json.dumps(record, ensure_ascii=False)
    assert TOKEN[:9] not in line
    assert "mail-42" not in line
    assert record["path"] == f"/c/{TOKEN[:8]}…"
    assert record["query"] == "…"
    assert (record["method"], record["status"], record["bytes"]) == ("POST", 200, 11)
    assert record["duration_ms"] == 12
    assert record["logger"] == "gunicorn.access"
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d", record["ts"])


def test_no_atom_holds_the_token_or_the_query(logger: RedactingLogger) -> None:
    """Every atom a custom format could use (r, U, q, headers, environ) is cut."""
    referer = f"Referer: https://pay.example.com/c/{TOKEN}?step=2"
    raw = request(f"/c/{TOKEN}?utm_source=mail-42", referer)
    # A format that reads every atom gunicorn builds for this request.
    every = gunicorn_atoms(logger, raw)
    assert {"r", "U", "q", "f", "{referer}i", "{raw_uri}e", "{query_string}e"} <= every
    logger.cfg.set("access_log_format", " ".join(f"%({name})s" for name in sorted(every)))
    atoms, record = serve(logger, raw)
    assert atoms.keys() >= every
    assert TOKEN[:9] not in record["line"]
    leaks = {
        key: value
        for key, value in atoms.items()
        if isinstance(value, str)
        and (TOKEN[:9] in value or "mail-42" in value or "step=2" in value)
    }
    assert leaks == {}
    assert atoms["r"] == f"POST /c/{TOKEN[:8]}…?… HTTP/1.1"
    assert atoms["U"] == f"/c/{TOKEN[:8]}…"
    assert atoms["q"] == "…"
    assert atoms["f"] == f"https://pay.example.com/c/{TOKEN[:8]}…?…"


def test_escaped_token_path_is_cut_too(logger: RedactingLogger) -> None:
    """A token path spelled with escapes (/%63%2F<token>), which still routes, is cut."""
    atoms, record = serve(logger, request(f"/%63%2F{TOKEN}", method="GET"))
    assert atoms["U"].startswith("/c/")
    assert TOKEN[:9] not in atoms["U"]
    assert TOKEN[:9] not in json.dumps(record)


@pytest.mark.parametrize("prefix", ["/done/", "/%64one/", "/DONE%2f"])
def test_confirmation_reference_is_cut_like_a_token(logger: RedactingLogger, prefix: str) -> None:
    """GET /done/<signed reference> (which opens the order's confirmation page) logs the
    path cut to 8 reference chars, also when the path is spelled with escapes."""
    reference = TOKEN[:120]
    referer = f"Referer: https://pay.example.com/done/{reference}"
    raw = request(f"{prefix}{reference}", referer, method="GET")
    logger.cfg.set("access_log_format", "%(U)s %(r)s %({referer}i)s")
    atoms, record = serve(logger, raw)
    assert reference[:9] not in record["line"]
    assert atoms["U"] == f"/done/{reference[:8]}…"
    assert atoms["{referer}i"] == f"https://pay.example.com/done/{reference[:8]}…"


def test_other_paths_and_empty_queries_are_logged_as_sent(logger: RedactingLogger) -> None:
    """A path without a token is logged whole, and an absent query stays empty."""
    _, record = serve(logger, request("/api/v1/links"))
    assert record["path"] == "/api/v1/links"
    assert record["query"] == ""


def test_record_stays_json_for_hostile_request_id(logger: RedactingLogger) -> None:
    """A request id with quotes and backslashes is escaped, so the line still parses."""
    hostile = 'id-"quoted"\\end'
    _, record = serve(logger, request("/healthz", f"X-Request-ID: {hostile}", method="GET"))
    assert record["request_id"] == hostile


def test_error_log_cuts_token_from_failed_request(logger: RedactingLogger) -> None:
    """Gunicorn's "Error handling request <uri>" error record carries the cut token only."""
    try:
        raise ValueError("boom")
    except ValueError:
        logger.exception("Error handling request %s %s", "POST", f"/c/{TOKEN}")
    text = Path(logger.cfg.errorlog).read_text(encoding="utf-8")
    assert f"/c/{TOKEN[:8]}…" in text
    assert TOKEN[:9] not in text


def test_only_the_atoms_the_format_reads_are_kept(logger: RedactingLogger) -> None:
    """With the shipped format, the record's atoms are the format's, each cut; no other is kept."""
    raw = request(f"/c/{TOKEN}?utm_source=mail-42", "X-Request-ID: abc-123")
    atoms, record = serve(logger, raw)
    wanted = format_atoms(ACCESS_LOG_FORMAT)
    assert {"U", "q", "{x-request-id}i", "{x-forwarded-for}i"} <= wanted
    assert "{raw_uri}e" not in wanted
    # Headers the request lacks (X-Forwarded-For) are absent and log as "-".
    assert atoms.keys() == wanted - {"{x-forwarded-for}i"}
    assert record["forwarded_for"] == "-"
    assert record["request_id"] == "abc-123"


def test_format_atoms_reads_each_placeholder_as_gunicorn_looks_it_up() -> None:
    """Placeholders of any conversion are found; header and environ names are lower-cased."""
    log_format = '%(h)s "%(r)s" %(B)d %({X-Request-ID}i)s %({RAW_URI}e)s %(ts)s 100%%'
    expected = {"h", "r", "B", "{x-request-id}i", "{raw_uri}e", "ts"}
    assert format_atoms(log_format) == expected
