"""Gunicorn logger that never writes a whole checkout token, confirmation reference or query.

A ``/c/<token>`` URL is a bearer credential that opens the cart and the
customer data sealed in it, a ``/done/<ref>`` URL opens the order's
confirmation page, and logs outlive both: each is cut to its first 8
characters (enough to match a support case), query strings dropped.
"""

from __future__ import annotations

import datetime
import functools
import re
import time
from collections.abc import Mapping
from typing import Any

from gunicorn.glogging import Logger

#: The ``access_log_format`` that ``deploy/gunicorn.conf.py`` uses: one JSON object
#: a line. Gunicorn escapes ``"`` itself; :class:`RedactingLogger` escapes
#: backslashes and control characters, so each line parses as JSON.
ACCESS_LOG_FORMAT = (
    '{"ts": "%(ts)s", "logger": "gunicorn.access", "remote_addr": "%(h)s", '
    '"forwarded_for": "%({x-forwarded-for}i)s", "method": "%(m)s", "path": "%(U)s", '
    '"query": "%(q)s", "status": %(s)s, "bytes": %(B)s, "duration_ms": %(M)s, '
    '"request_id": "%({x-request-id}i)s"}'
)

# The path segments after ``/c/`` (the link's token) and ``/done/`` (the signed
# reference that opens the order's confirmation page, name and total included).
# Matched also when a client spells the path with escapes (``/c%2F...``,
# ``/%63/...``, ``/%64one/...``): the router decodes them, so the secret is live.
_TOKEN = re.compile(
    r"(?:/|%2f)(c|%63|(?:d|%64)(?:o|%6f)(?:n|%6e)(?:e|%65))(?:/|%2f)"
    r"([^/?#\s\"]{0,8})[^/?#\s\"]*",
    re.IGNORECASE,
)
# Atoms holding a URL whose query string may carry customer data.
_URL_ATOMS = frozenset({"f", "{raw_uri}e", "{referer}i", "{http_referer}e", "{location}o"})
# Atoms holding the query string alone.
_QUERY_ATOMS = frozenset({"q", "{query_string}e"})
# SafeAtoms escapes only '"'; these make the rest of a JSON string safe.
_JSON_ESCAPES = {i: f"\\u{i:04x}" for i in range(0x20)} | {ord("\\"): "\\\\"}


# A ``%(name)s`` (or ``%(name)d``...) placeholder in an access log format.
_PLACEHOLDER = re.compile(r"%\(([^)]*)\)")


@functools.lru_cache(maxsize=8)
def format_atoms(log_format: str) -> frozenset[str]:
    """Return the atoms ``log_format`` reads, spelled as gunicorn's ``SafeAtoms`` looks them up."""
    names = _PLACEHOLDER.findall(log_format)
    return frozenset(name.lower() if name.startswith("{") else name for name in names)


def _cut_secret(match: re.Match[str]) -> str:
    segment = "c" if len(match[1]) in (1, 3) else "done"
    return f"/{segment}/{match[2]}…"


def redact(text: str) -> str:
    """Return ``text`` with every ``/c/<token>`` and ``/done/<ref>`` cut to its first 8 chars.

    ``/c/<first 8 chars>…``, ``/done/<first 8 chars>…``: enough to match a
    support case, too little to open the cart or the confirmation page.
    """
    return _TOKEN.sub(_cut_secret, text)


def redact_url(url: str) -> str:
    """Return ``url`` with its token cut and any query string replaced by ``?…``."""
    path, question_mark, _query = url.partition("?")
    return redact(path) + (question_mark and "?…")


class RedactingLogger(Logger):  # type: ignore[misc]  # gunicorn ships no type hints
    """Gunicorn's logger with tokens and query strings removed from every record."""

    def atoms(
        self,
        resp: Any,
        req: Any,
        environ: Mapping[str, Any],
        request_time: datetime.timedelta,
    ) -> dict[str, Any]:
        """Return the atoms the access log format reads, with no whole token and no query.

        Gunicorn builds some 35 atoms per request (every header and environ
        value among them) and the format reads ten; only those are cut and
        kept. Cutting all of them cost more CPU than the rest of a bare
        request's logging. An atom the format does not name is dropped, so
        nothing uncut is left in the record either way.
        """
        every: dict[str, Any] = super().atoms(resp, req, environ, request_time)
        wanted = format_atoms(self.cfg.access_log_format)
        atoms: dict[str, Any] = {}
        for key in wanted & every.keys() - {"r"}:
            value = every[key]
            if isinstance(value, str):
                value = _cut(key, value)
            atoms[key] = value
        if "r" in wanted:
            # Rebuilt from the raw URI rather than cut from gunicorn's request line.
            target = redact_url(environ.get("RAW_URI", ""))
            request_line = f"{environ['REQUEST_METHOD']} {target} {environ['SERVER_PROTOCOL']}"
            atoms["r"] = request_line.translate(_JSON_ESCAPES)
        # Gunicorn leaves B as None when nothing was sent; JSON needs a number.
        atoms["B"] = every.get("B") or 0
        # Same timestamp shape as the app's own JSON log lines (checkout_links.logs).
        atoms["ts"] = time.strftime("%Y-%m-%dT%H:%M:%S")
        return atoms

    # Gunicorn writes the request URI into its error log when a request fails
    # ("Error handling request GET /c/..."), so error records are cut too.
    def critical(self, msg: object, *args: object, **kwargs: Any) -> None:
        super().critical(*_redact_record(msg, args), **kwargs)

    def error(self, msg: object, *args: object, **kwargs: Any) -> None:
        super().error(*_redact_record(msg, args), **kwargs)

    def warning(self, msg: object, *args: object, **kwargs: Any) -> None:
        super().warning(*_redact_record(msg, args), **kwargs)

    def exception(self, msg: object, *args: object, **kwargs: Any) -> None:
        super().exception(*_redact_record(msg, args), **kwargs)


def _cut(key: str, value: str) -> str:
    """Return the value of atom ``key`` with its token and query string cut, JSON-safe."""
    if key in _QUERY_ATOMS:
        value = "…" if value else ""
    elif key in _URL_ATOMS:
        value = redact_url(value)
    elif "/" in value or "%" in value:
        # Any other atom (a header, an environ value) may quote the path too,
        # for instance a same-origin Referer. Without a "/" or an escape it
        # cannot, and the regex is spared.
        value = redact(value)
    if not value.isprintable() or "\\" in value:
        value = value.translate(_JSON_ESCAPES)
    return value


def _redact_record(msg: object, args: tuple[object, ...]) -> tuple[object, ...]:
    """Return ``(msg, *args)`` with the token cut from every string among them."""
    return tuple(redact(part) if isinstance(part, str) else part for part in (msg, *args))
