"""The merchant account (API and CLI) and the seller as every customer page shows it."""

from __future__ import annotations

import json
import re
from typing import Any

import fakeredis
import pytest
from click.testing import CliRunner
from flask import Flask
from flask.testing import FlaskClient
from hypothesis import given
from hypothesis import strategies as st

from checkout_links.cli.main import cli
from checkout_links.core.merchants.account import contrast, text_on
from checkout_links.testing import csrf_of, link_path, make_app

BRAND = {
    "display_name": "Ruiz Software GmbH",
    "logo_url": "https://cdn.ruiz.example/logo.png",
    "brand_color": "#FFD400",
    "support_email": "help@ruiz.example",
    "support_url": "https://ruiz.example/help",
    "website_url": "https://ruiz.example/",
    "terms_url": "https://ruiz.example/terms",
    "privacy_url": "https://ruiz.example/privacy",
    "default_locale": "de",
}


def _patch(client: FlaskClient, auth: dict[str, str], body: Any) -> Any:
    return client.patch("/api/v1/account", json=body, headers=auth)


def test_the_account_starts_empty_and_takes_every_setting(
    client: FlaskClient, auth: dict[str, str]
) -> None:
    """GET shows nulls at first; PATCH sets all nine settings and GET then shows them."""
    first = client.get("/api/v1/account", headers=auth)
    assert first.status_code == 200
    assert first.get_json()["display_name"] is None
    assert first.get_json()["merchant_id"] == "acme"
    answer = _patch(client, auth, BRAND)
    assert answer.status_code == 200, answer.get_json()
    shown = client.get("/api/v1/account", headers=auth).get_json()
    assert shown == answer.get_json()
    assert shown | {"brand_color": "#FFD400"} == {
        "merchant_id": "acme",
        **BRAND,
        "brand_text_color": "#000000",
        "payment": shown["payment"],  # tests/unit/core/payments/test_settings.py
        "tax": {"prices_include_tax": False, "origin_country": None, "reverse_charge": False},
        "legal": None,
        "consent": {"terms": "none"},
    }
    assert shown["brand_color"] == "#ffd400"


def test_patch_merges_and_null_clears(client: FlaskClient, auth: dict[str, str]) -> None:
    """Fields not sent stay; a field sent as null is cleared (JSON merge patch)."""
    _patch(client, auth, BRAND)
    after = _patch(client, auth, {"support_url": None, "display_name": "Ruiz"}).get_json()
    assert after["support_url"] is None
    assert after["display_name"] == "Ruiz"
    assert after["terms_url"] == BRAND["terms_url"]


@pytest.mark.parametrize(
    "body",
    [
        {"display_name": ""},
        {"display_name": "x" * 81},
        {"logo_url": "http://ruiz.example/logo.png"},
        {"brand_color": "red"},
        {"brand_color": "#12345"},
        {"support_email": "help@"},
        {"terms_url": "javascript:alert(1)"},
        {"default_locale": "xx-!!"},
        {"unknown": "field"},
        {"display_name": 5},
    ],
)
def test_invalid_settings_are_refused_with_422_naming_the_field(
    client: FlaskClient, auth: dict[str, str], body: dict[str, Any]
) -> None:
    """Each invalid value is a 422 problem whose error names the field; nothing is stored."""
    answer = _patch(client, auth, body)
    assert answer.status_code == 422
    problem = answer.get_json()
    assert [e["loc"][1] for e in problem["errors"]] == list(body)
    assert client.get("/api/v1/account", headers=auth).get_json()["display_name"] is None


def test_the_account_needs_an_api_key(client: FlaskClient) -> None:
    """Without a key both endpoints are 401."""
    assert client.get("/api/v1/account").status_code == 401
    assert client.patch("/api/v1/account", json={}).status_code == 401


@given(st.from_regex(r"#[0-9a-f]{6}", fullmatch=True))
def test_any_brand_colour_gets_a_text_colour_that_reads_on_it(color: str) -> None:
    """Whatever the colour, the text put on it has a contrast of at least 4.5:1."""
    assert contrast(color, text_on(color)) >= 4.5


def test_the_brand_stylesheet_puts_readable_text_on_the_colour(client: FlaskClient) -> None:
    """/brand/<rrggbb>.css pairs the colour with its text colour; links use it only if it reads."""
    yellow = client.get("/brand/ffd400.css").get_data(as_text=True)
    assert "--brand:#ffd400;--on-brand:#000000;" in yellow
    assert "--brand-ink:var(--accent)" in yellow, "yellow text on white would not read"
    navy = client.get("/brand/1b2a6b.css").get_data(as_text=True)
    assert "--on-brand:#ffffff;--brand-ink:#1b2a6b;" in navy
    assert client.get("/brand/FFD400.css").status_code == 404
    assert client.get("/brand/ffd4.css").status_code == 404


def _issue(client: FlaskClient, auth: dict[str, str], **extra: Any) -> dict[str, Any]:
    body = {"products": [{"id": "pro-licence", "price": "20.00"}], **extra}
    answer = client.post("/api/v1/links", json=body, headers=auth)
    assert answer.status_code == 201, answer.get_json()
    link: dict[str, Any] = answer.get_json()
    return link


def _words(html: str) -> str:
    """The page's text without its tags (the seller's name is in a <bdi>)."""
    return re.sub(r"<[^>]+>", "", html)


def _link(client: FlaskClient, auth: dict[str, str], **extra: Any) -> str:
    return link_path(_issue(client, auth, **extra)["url"])


def test_every_customer_page_names_the_seller_and_links_their_pages(
    client: FlaskClient, auth: dict[str, str]
) -> None:
    """Cart, confirmation and 410 pages show the seller's name, logo, colour and links."""
    _patch(client, auth, BRAND)
    path = _link(client, auth, locale="en")
    cart = client.get(path).get_data(as_text=True)
    for needle in (
        '<span class="seller-name" dir="auto">Ruiz Software GmbH</span>',
        'src="https://cdn.ruiz.example/logo.png"',
        'href="/brand/ffd400.css"',
        'href="https://ruiz.example/terms"',
        'href="https://ruiz.example/privacy"',
        'href="mailto:help@ruiz.example"',
    ):
        assert needle in cart
    placed = client.post(path, data={"csrf_token": csrf_of(cart), "email": "ana@example.com"})
    done = client.get(placed.headers["Location"]).get_data(as_text=True)
    assert '<a class="button-link" href="https://ruiz.example/" rel="noopener">Back to <bdi' in done
    assert "How to reach Ruiz Software GmbH" in _words(done)
    gone = client.get(path)
    assert gone.status_code == 410
    text = gone.get_data(as_text=True)
    assert "If you placed this order and have a question, contact Ruiz Software GmbH." in _words(
        text
    )
    assert 'href="mailto:help@ruiz.example"' in text
    revoked = _issue(client, auth, locale="en")
    assert client.post(f"/api/v1/links/{revoked['id']}/revoke", headers=auth).status_code == 200
    withdrawn = client.get(link_path(revoked["url"])).get_data(as_text=True)
    withdrawn = _words(withdrawn)
    assert "Ruiz Software GmbH withdrew this link, so it can no longer be used to order." in (
        withdrawn
    )
    assert "Contact Ruiz Software GmbH if you need a new link." in withdrawn


def test_without_settings_the_pages_name_the_merchant_id_and_promise_no_email(
    client: FlaskClient, auth: dict[str, str]
) -> None:
    """No display name: the merchant's id is the seller; the confirmation promises no email."""
    path = _link(client, auth, locale="en")
    cart = client.get(path).get_data(as_text=True)
    assert '<span class="seller-name" dir="auto">acme</span>' in cart
    placed = client.post(path, data={"csrf_token": csrf_of(cart), "email": "ana@example.com"})
    done = client.get(placed.headers["Location"]).get_data(as_text=True)
    assert "acme has your order." in _words(done)
    assert "email" not in re.sub(r"<[^>]+>", " ", done).lower()


def test_the_merchant_default_locale_speaks_when_nothing_else_decides(
    client: FlaskClient, auth: dict[str, str]
) -> None:
    """With no link locale and no browser language, the page is in the merchant's default."""
    _patch(client, auth, {"default_locale": "de"})
    answer = client.post(
        "/api/v1/links", json={"products": [{"id": "pro-licence", "price": "20.00"}]}, headers=auth
    )
    assert answer.get_json()["locale"] == "de"
    page = client.get(link_path(answer.get_json()["url"])).get_data(as_text=True)
    assert '<html lang="de" dir="ltr">' in page
    assert "Ihre Bestellung" in page
    browser = client.get(link_path(answer.get_json()["url"]), headers={"Accept-Language": "ar"})
    assert '<html lang="ar" dir="rtl">' in browser.get_data(as_text=True)


TERMS = ["--terms-url", "https://r.example/t"]


def test_the_cli_sets_and_shows_the_account(fake_redis: fakeredis.FakeRedis) -> None:
    """set-account changes only the named settings and --clear empties one; show-account prints."""
    app: Flask = make_app(fake_redis)
    with app.app_context():
        from checkout_links.web.extensions import services

        obj = services()
        obj.merchants.create("ruiz")
    run = CliRunner()
    first = run.invoke(
        cli,
        ["merchant", "set-account", "ruiz", "--display-name", "Ruiz", "--brand-color", "#0A58CA"],
        obj=obj,
    )
    assert first.exit_code == 0, first.output
    assert json.loads(first.output)["brand_text_color"] == "#ffffff"
    second = run.invoke(
        cli,
        ["merchant", "set-account", "ruiz", "--clear", "brand_color", *TERMS],
        obj=obj,
    )
    shown = json.loads(run.invoke(cli, ["merchant", "show-account", "ruiz"], obj=obj).output)
    assert json.loads(second.output) == shown
    assert (shown["display_name"], shown["brand_color"]) == ("Ruiz", None)
    assert shown["terms_url"] == "https://r.example/t"
    bad = run.invoke(cli, ["merchant", "set-account", "ruiz", "--logo-url", "http://x"], obj=obj)
    assert bad.exit_code == 2
    assert bad.output == "Error: --logo-url: Must be an absolute https URL.\n"


@pytest.mark.parametrize(
    ("body", "loc"),
    [
        ({"display_name": " \u00a0 "}, ["body", "display_name"]),
        ({"legal": {"name": "\u00a0", "address": "Invalidenstr. 1"}}, ["body", "legal", "name"]),
        ({"legal": {"name": "Ruiz GmbH", "address": "\u00a0\n "}}, ["body", "legal", "address"]),
    ],
)
def test_a_text_of_white_space_alone_is_refused_as_blank(
    client: FlaskClient, auth: dict[str, str], body: dict[str, Any], loc: list[str]
) -> None:
    """Spaces alone (a no-break space too, which the schema's minLength lets through) are
    refused by name as blank, not as "too short" after stripping; the document says
    minLength 1."""
    answer = _patch(client, auth, body)
    assert answer.status_code == 422
    errors = answer.get_json()["errors"]
    assert [e["loc"] for e in errors] == [loc]
    assert "white space" in errors[0]["msg"]
    schema = client.get("/api/v1/openapi.json").get_json()["components"]["schemas"]
    assert schema["LegalPatch"]["properties"]["name"]["minLength"] == 1
