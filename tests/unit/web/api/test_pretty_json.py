"""JSON answers: indented for curl at a terminal, compact for every other client."""

from __future__ import annotations

import json

import pytest
from flask import Flask

from checkout_links.testing import add_merchant

CURL = {"User-Agent": "curl/8.5.0"}


@pytest.mark.parametrize(
    ("path", "authorized", "status"),
    [("/api/v1/products/kit", True, 200), ("/api/v1/products/kit", False, 401)],
    ids=["answer", "problem"],
)
def test_curl_gets_indented_json_with_a_final_newline(
    app: Flask, path: str, authorized: bool, status: int
) -> None:
    """A request from curl gets its JSON (answers and problems alike) indented, one member a
    line, ending with a newline, and the same members and values as any other client gets."""
    key = add_merchant(app)
    auth = {"Authorization": f"Bearer {key}"} if authorized else {}
    client = app.test_client()
    pretty = client.get(path, headers={**CURL, **auth})
    compact = client.get(path, headers={"User-Agent": "python-httpx/0.28", **auth})
    assert pretty.status_code == compact.status_code == status
    text = pretty.get_data(as_text=True)
    assert text.startswith('{\n  "')
    assert text.endswith("}\n")
    assert len(text.splitlines()) > 3
    assert "\n" not in compact.get_data(as_text=True).strip()
    assert json.loads(text) == json.loads(compact.get_data(as_text=True))
    assert "User-Agent" in pretty.headers["Vary"]
    assert "User-Agent" in compact.headers["Vary"]
    assert pretty.headers["Content-Length"] == str(len(pretty.get_data()))


def test_a_created_link_is_indented_for_curl(app: Flask) -> None:
    """The README's first curl (POST /api/v1/links) prints the link one member a line."""
    key = add_merchant(app)
    created = app.test_client().post(
        "/api/v1/links",
        json={"products": [{"id": "kit"}]},
        headers={**CURL, "Authorization": f"Bearer {key}"},
    )
    assert created.status_code == 201
    lines = created.get_data(as_text=True).splitlines()
    assert any(line.startswith('  "url": "http') for line in lines)
