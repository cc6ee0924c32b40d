"""The pages' own files (``web/static/``): named by content, kept by browsers for a year.

A page links ``/static/checkout.css?v=<digest of its bytes>``: a new release
changes the digest, so a browser may keep each version as long as it likes
(``Cache-Control: public, max-age=31536000``) and never asks again on the next
page. A request without the current digest (an old page, a hand-typed URL) is
answered with no lifetime, so the browser checks its copy by ETag each time.
Static files carry no token and no personal data; the pages' ``no-store``
(``customer/headers.py``) is for the pages themselves.
"""

from __future__ import annotations

import hashlib
from functools import lru_cache
from pathlib import Path

from flask import Flask, request

#: A year: the longest lifetime caches honour; a new version has a new URL.
MAX_AGE = 365 * 86400
_STATIC = Path(__file__).resolve().parent / "static"


@lru_cache(maxsize=64)
def version(name: str) -> str:
    """The first 16 hex digits of the SHA-256 of ``static/<name>`` (``""`` if none)."""
    path = (_STATIC / name).resolve()
    if not path.is_relative_to(_STATIC) or not path.is_file():
        return ""
    return hashlib.sha256(path.read_bytes()).hexdigest()[:16]


def url(name: str) -> str:
    """The URL a page links ``static/<name>`` by: with its version, under the script root."""
    return f"{request.script_root}/static/{name}?v={version(name)}"


def max_age(name: str | None) -> int | None:
    """The lifetime of a static answer: a year for the current version's URL, else none."""
    if name is not None and request.args.get("v") == version(name) != "":
        return MAX_AGE
    return None


def init_app(app: Flask) -> None:
    """Let templates link assets by version: ``{{ asset('checkout.css') }}``."""
    app.jinja_env.globals["asset"] = url
