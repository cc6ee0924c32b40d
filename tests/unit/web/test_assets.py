"""The pages' own files: linked by a digest of their bytes, kept by browsers for a year."""

from __future__ import annotations

import hashlib
import re
from pathlib import Path

from flask import Flask

from checkout_links.testing import new_cart_path
from checkout_links.web import assets

STATIC = Path(assets.__file__).resolve().parent / "static"


def test_a_page_links_its_files_by_the_digest_of_their_bytes(app: Flask) -> None:
    """The cart page's stylesheet and script URLs carry the SHA-256 of the files they name."""
    page = app.test_client().get(new_cart_path(app)).get_data(as_text=True)
    linked = dict(re.findall(r'/static/([a-z]+\.(?:css|js))\?v=([0-9a-f]+)"', page))
    assert set(linked) == {"checkout.css", "checkout.js"}
    for name, digest in linked.items():
        assert digest == hashlib.sha256((STATIC / name).read_bytes()).hexdigest()[:16]


def test_the_current_version_is_kept_a_year_and_any_other_is_revalidated(app: Flask) -> None:
    """A static file asked for by its current digest may be cached for a year, without the
    pages' no-store; an unversioned or stale URL gets no lifetime (checked by ETag)."""
    client = app.test_client()
    current = client.get(f"/static/checkout.css?v={assets.version('checkout.css')}")
    assert current.status_code == 200
    assert current.headers["Cache-Control"] == f"public, max-age={assets.MAX_AGE}"
    assert current.headers["X-Content-Type-Options"] == "nosniff"
    for stale in ("/static/checkout.css", "/static/checkout.css?v=0123456789abcdef"):
        answer = client.get(stale)
        assert answer.status_code == 200
        assert "max-age=31536000" not in answer.headers.get("Cache-Control", "")
        assert "no-store" not in answer.headers.get("Cache-Control", "")
        etag = answer.headers["ETag"]
        again = client.get(stale, headers={"If-None-Match": etag})
        assert again.status_code == 304


def test_a_name_outside_the_static_folder_has_no_version() -> None:
    """``version`` reads only files in web/static: a path out of it is no asset."""
    assert assets.version("../app.py") == ""
    assert assets.version("missing.css") == ""
    assert len(assets.version("checkout.js")) == 16
