"""The page a customer gets after too many attempts: the seller's, with a way back."""

from __future__ import annotations

import re

import fakeredis
from flask.testing import FlaskClient

from checkout_links.testing import add_merchant, link_path, make_app


def test_too_many_attempts_get_the_sellers_page_with_their_contact_and_a_way_back() -> None:
    """Over the checkout limit: a 429 in the link's language, in the seller's colours, naming
    them and how to reach them, with a link back to the order page (which still opens)."""
    app = make_app(
        fakeredis.FakeRedis(server=fakeredis.FakeServer(version=(7, 2))),
        rate_limits_enabled=True,
        rate_limit_checkout="2/minute",
    )
    auth = {"Authorization": f"Bearer {add_merchant(app)}"}
    client: FlaskClient = app.test_client()
    account = {
        "display_name": "Ruiz GmbH",
        "brand_color": "#1b2a6b",
        "support_email": "help@ruiz.example",
    }
    assert client.patch("/api/v1/account", json=account, headers=auth).status_code == 200
    body = {"products": [{"id": "kit"}], "locale": "de"}
    link = client.post("/api/v1/links", json=body, headers=auth).get_json()
    path = link_path(link["url"])
    answers = [client.post(path, data={"action": "update"}) for _ in range(3)]
    assert [a.status_code for a in answers] == [200, 200, 429]
    page = answers[-1].get_data(as_text=True)
    assert answers[-1].headers["Retry-After"]
    assert '<html lang="de"' in page
    assert "<h1>Zu viele Versuche</h1>" in page
    assert 'href="/brand/1b2a6b.css"' in page
    assert '<span class="seller-name" dir="auto">Ruiz GmbH</span>' in page
    assert 'href="mailto:help@ruiz.example"' in page
    back = re.search(r'<a class="button-link" href="([^"]+)">([^<]+)</a>', page)
    assert back, "a way back"
    assert back.group(1) == path
    assert back.group(2) == "Zurück zu Ihrer Bestellung"
    assert client.get(back.group(1)).status_code == 200


def test_a_rate_limited_unknown_token_gets_the_plain_page() -> None:
    """A token that does not decode gets the 429 page in the browser's language, no seller."""
    app = make_app(
        fakeredis.FakeRedis(server=fakeredis.FakeServer(version=(7, 2))),
        rate_limits_enabled=True,
        rate_limit_checkout="1/minute",
    )
    client = app.test_client()
    answers = [client.post("/c/" + "x" * 80) for _ in range(2)]
    assert [a.status_code for a in answers] == [404, 429]
    page = answers[-1].get_data(as_text=True)
    assert "Too many attempts" in page
    assert "seller-name" not in page
