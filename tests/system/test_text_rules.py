"""Control, bidirectional formatting and invisible characters are refused in every text field.

The app runs over a real redis-server; the link API, the product API and the
checkout form each answer 422 naming the field, and nothing is stored.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any
from urllib.parse import urlencode

import pytest
from flask import Flask
from flask.testing import FlaskClient

from checkout_links.core.primitives import text
from checkout_links.testing import add_merchant, csrf_of, link_path, make_app, problem_body
from checkout_links.testing.realapp import gunicorn_app, http_client, path_of
from checkout_links.testing.servers import RedisServer

#: NUL, ESC, DEL, a C1 control (NEL), right-to-left override, first-strong isolate, and
#: the invisible ones: zero-width space, right-to-left mark, Arabic letter mark, line
#: separator, byte order mark, a deprecated format character, a tag character.
BAD = ["\x00", "\x1b", "\x7f", "\x85", "\u202e", "\u2068"]
BAD += ["\u200b", "\u200f", "\u061c", "\u2028", "\ufeff", "\u206a", "\U000e0041"]

LINE = {"id": "pro-licence", "price": "50.00"}


@pytest.fixture(scope="module")
def real_app(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Flask, dict[str, str]]]:
    """The app over one real redis-server for the module, and a merchant's auth header."""
    with RedisServer(tmp_path_factory.mktemp("text") / "redis") as server:
        app = make_app(None, redis_url=server.url)
        yield app, {"Authorization": f"Bearer {add_merchant(app)}"}


def body_with(path: tuple[Any, ...], value: str) -> dict[str, Any]:
    """A valid link request with ``value`` at ``path`` (a last step ``"[key]"``: in a key)."""
    body: dict[str, Any] = {"products": [dict(LINE)], "customer": {"email": "a@example.com"}}
    node: Any = body
    for step in path[:-1]:
        node = node[step] if isinstance(step, int) or step in node else node.setdefault(step, {})
    last = path[-1]
    if last == "[key]":
        node[f"k{value}k"] = "v"
    else:
        node[last] = f"a{value}b" if last != "email" else f"a{value}b@example.com"
    return body


LINK_FIELDS = [
    ("products", 0, "name"),
    ("products", 0, "description"),
    ("products", 0, "sku"),
    ("products", 0, "vendor_code"),
    ("products", 0, "name_for_invoice"),
    ("products", 0, "properties", "colour"),
    ("products", 0, "properties", "[key]"),
    ("additional_data", "crm"),
    ("additional_data", "[key]"),
    ("external_ref",),
    ("customer", "email"),
    ("customer", "first_name"),
    ("customer", "last_name"),
    ("customer", "company"),
    ("customer", "region"),
    ("customer", "city"),
    ("customer", "postal_code"),
    ("customer", "address"),
    ("customer", "tax_id"),
]


@pytest.mark.parametrize("path", LINK_FIELDS, ids=lambda p: ".".join(map(str, p)))
@pytest.mark.parametrize("char", BAD, ids=lambda c: f"U+{ord(c):04X}")
def test_link_request_refuses_the_character_and_names_the_field(
    real_app: tuple[Flask, dict[str, str]], path: tuple[Any, ...], char: str
) -> None:
    """Each text field of POST /api/v1/links answers 422 for the character, naming that field."""
    app, auth = real_app
    response = app.test_client().post("/api/v1/links", json=body_with(path, char), headers=auth)
    errors = problem_body(response, 422)["errors"]
    named = [err for err in errors if err["msg"] == text.MESSAGE]
    assert named, errors
    loc = named[0]["loc"]
    expected = [p for p in path if p != "[key]"]
    if path[-1] == "[key]":
        assert loc[: len(expected) + 1] == ["body", *expected]
        assert loc[-1] == "[key]"
    else:
        assert loc == ["body", *expected]


@pytest.mark.parametrize("field", ["name", "description", "sku", "tax_code"])
def test_product_put_refuses_a_right_to_left_override(
    real_app: tuple[Flask, dict[str, str]], field: str
) -> None:
    """PUT /api/v1/products refuses U+202E in each text field and stores nothing."""
    app, auth = real_app
    product = {"name": "Report", "price": "1.00", "currency": "EUR", field: "gnp\u202e.exe"}
    web = app.test_client()
    errors = problem_body(web.put("/api/v1/products/rtl", json=product, headers=auth), 422)
    assert {"loc": ["body", field], "msg": text.MESSAGE} in errors["errors"]
    assert web.get("/api/v1/products/rtl", headers=auth).status_code == 404


def test_ordinary_scripts_and_emoji_are_still_accepted(
    real_app: tuple[Flask, dict[str, str]],
) -> None:
    """Accents, CJK, Arabic, Persian with its zero-width non-joiner, a zero-width joiner emoji
    and NBSP are text, not control characters."""
    app, auth = real_app
    names = [
        "José Ñúñez",
        "山田太郎",
        "محمد",
        "\u0645\u06cc\u200c\u062e\u0648\u0627\u0647\u0645",
        "👩\u200d💻 dev",
        "Tel\u00a0Aviv",
    ]
    body = {
        "products": [{**LINE, "name": name} for name in names],
        "customer": {"first_name": "Zoë", "city": "Kraków"},
    }
    response = app.test_client().post("/api/v1/links", json=body, headers=auth)
    assert response.status_code == 201, response.text
    assert [line["name"] for line in response.get_json()["lines"]] == names


def open_cart(app: Flask, auth: dict[str, str]) -> tuple[FlaskClient, str, str, str]:
    web = app.test_client()
    link = web.post("/api/v1/links", json={"products": [LINE]}, headers=auth).get_json()
    path = link_path(link["url"])
    return web, link["id"], path, csrf_of(web.get(path).get_data(as_text=True))


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("first_name", "Ana\x00Evil"),
        ("company", "\u202egnp.exe"),
        ("address", "Street\x1b[31m 1"),
        ("city", "Ber\u2066lin"),
        ("last_name", "\u200bRuiz"),
        ("address", "Street 1\u2028Floor 2"),
        ("company", "ACME\U000e0041"),
    ],
)
def test_checkout_form_refuses_the_character_and_places_no_order(
    real_app: tuple[Flask, dict[str, str]], field: str, value: str
) -> None:
    """The form answers 422 with the message at the field, and the link stays open."""
    app, auth = real_app
    web, link_id, path, csrf = open_cart(app, auth)
    form = {"csrf_token": csrf, "email": "ana@example.com", field: value}
    response = web.post(path, data=form)
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    # The customer reads a translated instruction at the field (docs/checkout.md).
    assert (
        f'<p class="error" id="e-{field}">Remove the control characters from this field</p>'
    ) in html
    assert f'id="f-{field}"' in html
    status = web.get(f"/api/v1/links/{link_id}", headers=auth).get_json()
    assert status["status"] == "open"


@pytest.fixture(scope="module")
def gunicorn_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, str]]:
    """gunicorn (deploy/gunicorn.conf.py) on a real redis-server, and a merchant's API key."""
    tmp = tmp_path_factory.mktemp("text-gunicorn")
    with RedisServer(tmp / "redis") as server:
        api_key = add_merchant(make_app(None, redis_url=server.url), "textrules")
        app = gunicorn_app(tmp, server.url, workers=1)
        with app:
            app.wait_http("/readyz", timeout=60)
            yield app.url, api_key


def test_nul_and_rtl_override_are_refused_by_the_real_server(gunicorn_url: tuple[str, str]) -> None:
    """Under gunicorn, a NUL in an API name and an RLO in the form's first name both answer 422."""
    url, api_key = gunicorn_url
    auth = {"Authorization": f"Bearer {api_key}"}
    with http_client(url) as web:
        api = web.post(
            "/api/v1/links", json={"products": [{**LINE, "name": "a\x00b"}]}, headers=auth
        )
        assert api.status_code == 422
        assert {"loc": ["body", "products", 0, "name"], "msg": text.MESSAGE} in api.json()["errors"]
        link = web.post("/api/v1/links", json={"products": [LINE]}, headers=auth).json()
        path = path_of(link["url"])
        form = {"csrf_token": csrf_of(web.get(path).text), "email": "ana@example.com"}
        page = web.post(
            path,
            content=urlencode(form) + "&first_name=%E2%80%AEgnp.exe",
            headers={"Content-Type": "application/x-www-form-urlencoded"},
        )
        assert page.status_code == 422
        assert '<p class="error" id="e-first_name">Remove the control characters' in page.text
        status = web.get(f"/api/v1/links/{link['id']}", headers=auth).json()
        assert status["status"] == "open"
