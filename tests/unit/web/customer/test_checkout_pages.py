"""The customer side over the WSGI app on fakeredis: cart, errors, placing orders, orders API."""

from __future__ import annotations

import re
import time
from html.parser import HTMLParser
from typing import Any
from urllib.parse import parse_qsl, urlsplit

import fakeredis
import pytest
from flask import Flask
from flask.testing import FlaskClient
from markupsafe import escape
from werkzeug.test import TestResponse

from checkout_links.core.links.token import CartLine, LinkPayload
from checkout_links.core.storage.redis_keys import new_link_rand
from checkout_links.testing import SECRET_A, SECRET_B, add_merchant, csrf_of, link_path, make_app
from checkout_links.web.extensions import services

CUSTOMER = {
    "email": "ana@example.com",
    "first_name": "Ana",
    "last_name": "Ruiz",
    "company": "Ruiz GmbH",
    "phone": "+49 30 1234567",
    "country": "DE",
    "city": "Berlin",
    "postal_code": "10115",
    "address": "Invalidenstr. 1",
    "tax_id": "DE136695976",
}
FORM_FIELDS = (
    "email",
    "first_name",
    "last_name",
    "company",
    "phone",
    "address",
    "postal_code",
    "city",
    "region",
    "country",
    "tax_id",
)
SCRIPT = "<script>alert(1)</script>"
ATTR_BREAK = '"><img src=x onerror=alert(1)>'
CUSTOMER_PAGE_HEADERS = {"Cache-Control": "no-store", "Referrer-Policy": "no-referrer"}


def link_body(**overrides: Any) -> dict[str, Any]:
    """A link request with two lines (one with properties), a customer and hidden data."""
    body: dict[str, Any] = {
        "products": [
            {
                "id": "pro-licence",
                "name": "Pro licence, 25 seats",
                "price": "1249.00",
                "properties": {"seats": "25", "term": "12 months"},
            },
            {"id": "support", "quantity": 3},
        ],
        "customer": CUSTOMER,
        "additional_data": {"crm_deal": "8812"},
        "external_ref": "quote-2026-118",
        "locale": "de",
    }
    body.update(overrides)
    return body


def issue(client: FlaskClient, auth: dict[str, str], **overrides: Any) -> dict[str, Any]:
    """Issue a link through the merchant API and return its 201 body."""
    response = client.post("/api/v1/links", json=link_body(**overrides), headers=auth)
    assert response.status_code == 201, response.get_data(as_text=True)
    body: dict[str, Any] = response.get_json()
    return body


def status_of(client: FlaskClient, auth: dict[str, str], link: dict[str, Any]) -> dict[str, Any]:
    response = client.get(f"/api/v1/links/{link['id']}", headers=auth)
    assert response.status_code == 200
    body: dict[str, Any] = response.get_json()
    return body


def form_of(page: TestResponse, **edits: str) -> dict[str, str]:
    """The form as a browser would send it: every input's current value, then ``edits``."""
    html = page.get_data(as_text=True)
    parser = _Inputs()
    parser.feed(html)
    values = {name: parser.inputs[name].get("value") or "" for name in parser.inputs}
    return {**values, "csrf_token": csrf_of(html), **edits}


def input_value(html: str, name: str) -> str:
    """The unescaped ``value`` of the input called ``name``."""
    parser = _Inputs()
    parser.feed(html)
    return parser.inputs[name].get("value") or ""


class _Inputs(HTMLParser):
    """Collects every element's attributes, and the inputs (and selects) by name.

    A select is recorded with its attributes and the ``value`` of its selected option.
    """

    def __init__(self) -> None:
        super().__init__()
        self.inputs: dict[str, dict[str, str | None]] = {}
        self.tags: list[tuple[str, dict[str, str | None]]] = []
        self._select: str | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        attributes = dict(attrs)
        self.tags.append((tag, attributes))
        if tag == "input" and attributes.get("name"):
            self.inputs[str(attributes["name"])] = attributes
        elif tag == "select" and attributes.get("name"):
            self._select = str(attributes["name"])
            self.inputs[self._select] = {**attributes, "value": ""}
        elif tag == "option" and self._select and "selected" in attributes:
            self.inputs[self._select]["value"] = attributes.get("value")

    def handle_endtag(self, tag: str) -> None:
        if tag == "select":
            self._select = None


def place(client: FlaskClient, link: dict[str, Any], **edits: str) -> TestResponse:
    """Load the cart page and send its form (with ``edits``) back."""
    path = link_path(link["url"])
    page = client.get(path)
    assert page.status_code == 200
    return client.post(path, data=form_of(page, **edits))


def assert_customer_headers(response: TestResponse) -> None:
    for name, value in CUSTOMER_PAGE_HEADERS.items():
        assert response.headers.get(name) == value, (response.status_code, name)
    assert "frame-ancestors 'none'" in response.headers.get("Content-Security-Policy", "")


def text_of(response: TestResponse) -> str:
    return response.get_data(as_text=True)


# --- the cart page --------------------------------------------------------------------------


def test_cart_page_shows_every_line_and_the_total_in_the_link_locale(
    client: FlaskClient, auth: dict[str, str]
) -> None:
    """The cart shows each line's name, properties, quantity, unit price and amount in "de"."""
    link = issue(client, auth)
    page = client.get(link_path(link["url"]))
    assert page.status_code == 200
    html = text_of(page)
    rows = re.findall(r'<li class="line">(.*?)</li>', html, re.S)
    assert len(rows) == 2
    pro, support = rows
    assert "Pro licence, 25 seats" in pro
    assert '<dt><bdi class="text">seats</bdi></dt><dd dir="auto">25</dd>' in pro
    assert '<dt><bdi class="text">term</bdi></dt><dd dir="auto">12 months</dd>' in pro
    assert '<p class="qty">1 \u00d7 <bdi>1.249,00\xa0€</bdi></p>' in pro
    assert '<p class="amount"><bdi>1.249,00\xa0€</bdi></p>' in pro
    assert "Support hours" in support
    assert '<p class="qty">3 \u00d7 <bdi>95,00\xa0€</bdi></p>' in support
    assert '<p class="amount"><bdi>285,00\xa0€</bdi></p>' in support
    assert '<dl class="total"><dt>Gesamt</dt><dd><bdi>1.534,00\xa0€</bdi></dd></dl>' in html
    assert link["total"] == "1534.00"


def test_cart_form_is_prefilled_with_the_link_customer_and_editable(
    client: FlaskClient, auth: dict[str, str]
) -> None:
    """Every customer field the link carries is pre-filled in an input the customer can change."""
    link = issue(client, auth)
    parser = _Inputs()
    parser.feed(text_of(client.get(link_path(link["url"]))))
    for name in FORM_FIELDS:
        if name == "region":
            assert name not in parser.inputs, "Germany's addresses have no region"
            continue
        field = parser.inputs[name]
        assert (field.get("value") or "") == CUSTOMER.get(name, ""), name
        for locked in ("readonly", "disabled"):
            assert locked not in field, (name, locked)
        assert field.get("type") in ("text", "email", "tel", None), name


def test_get_and_head_never_change_state(
    client: FlaskClient, auth: dict[str, str], fake_redis: fakeredis.FakeRedis
) -> None:
    """Loading the cart page, with GET or HEAD, any number of times writes nothing."""
    link = issue(client, auth)
    path = link_path(link["url"])
    before = {key: fake_redis.dump(key) for key in fake_redis.keys("*")}
    for _ in range(3):
        assert client.get(path).status_code == 200
        head = client.head(path)
        assert head.status_code == 200
        assert head.get_data() == b""
    assert {key: fake_redis.dump(key) for key in fake_redis.keys("*")} == before
    assert status_of(client, auth, link) == {"id": link["id"], "status": "open"}


# --- pages for links that cannot be used ---------------------------------------------------


def _tampered(token: str) -> str:
    middle = len(token) // 2
    return token[:middle] + ("B" if token[middle] != "B" else "C") + token[middle + 1 :]


def _other_key(app: Flask, token: str) -> str:
    """The same payload sealed under a secret this app does not know."""
    with app.app_context():
        payload = services().codec.decode(token)
    other = make_app(fakeredis.FakeRedis(), secret_keys="z" * 40)
    with other.app_context():
        return services().codec.encode(payload)


@pytest.mark.parametrize("kind", ["tampered", "garbage", "other-key"])
def test_a_token_that_does_not_verify_gets_a_bare_404(
    app: Flask, client: FlaskClient, auth: dict[str, str], kind: str
) -> None:
    """Tampered, garbage and foreign-key tokens get one identical 404 page saying nothing more."""
    token = link_path(issue(client, auth)["url"]).removeprefix("/c/")
    bad = {
        "tampered": lambda: _tampered(token),
        "garbage": lambda: "x" * 80,
        "other-key": lambda: _other_key(app, token),
    }[kind]()
    assert bad != token
    for response in (client.get(f"/c/{bad}"), client.post(f"/c/{bad}", data={"email": "a@b.de"})):
        assert response.status_code == 404
        assert_customer_headers(response)
        html = text_of(response)
        assert "Link not found" in html
        assert text_of(client.get("/c/" + "y" * 90)) == html, "every bad token gets the same page"
        for why in ("signature", "decrypt", "key", "tamper", "expired", "forged", "revoked"):
            assert why not in html.lower()


def _expire(client: FlaskClient, auth: dict[str, str]) -> dict[str, Any]:
    link = issue(client, auth, expires_in=1)
    time.sleep(1.1)
    return link


def _revoke(client: FlaskClient, auth: dict[str, str]) -> dict[str, Any]:
    link = issue(client, auth)
    assert client.post(f"/api/v1/links/{link['id']}/revoke", headers=auth).status_code == 200
    return link


def _complete(client: FlaskClient, auth: dict[str, str]) -> dict[str, Any]:
    link = issue(client, auth)
    assert place(client, link).status_code == 303
    return link


@pytest.mark.parametrize(
    ("make", "heading"),
    [
        (_expire, "Dieser Link ist abgelaufen"),
        (_revoke, "Dieser Link wurde zurückgezogen"),
        (_complete, "Dieser Link wurde bereits verwendet"),
    ],
    ids=["expired", "revoked", "completed"],
)
def test_a_link_that_can_no_longer_be_used_gets_a_410_page_saying_why(
    client: FlaskClient, auth: dict[str, str], make: Any, heading: str
) -> None:
    """Expired, revoked and completed links each get a 410 page with their own message, in "de"."""
    link = make(client, auth)
    response = client.get(link_path(link["url"]))
    assert response.status_code == 410
    assert_customer_headers(response)
    html = text_of(response)
    assert f"<h1>{heading}</h1>" in html
    others = {
        "Dieser Link ist abgelaufen",
        "Dieser Link wurde zurückgezogen",
        "Dieser Link wurde bereits verwendet",
    }
    for other in others - {heading}:
        assert other not in html
    assert "<form" not in html


# --- posting the form ----------------------------------------------------------------------


def test_invalid_input_rerenders_the_form_with_errors_and_the_values_sent(
    client: FlaskClient, auth: dict[str, str]
) -> None:
    """A bad email and postal code give 422, the form shown again with errors and the values."""
    link = issue(client, auth, locale="en")
    response = place(
        client, link, email="not-an-email", postal_code="1011", first_name="Anabel", city="Köln"
    )
    assert response.status_code == 422
    assert_customer_headers(response)
    html = text_of(response)
    parser = _Inputs()
    parser.feed(html)
    for name, sent in {
        "email": "not-an-email",
        "postal_code": "1011",
        "first_name": "Anabel",
        "city": "Köln",
    }.items():
        assert parser.inputs[name].get("value") == sent, name
    assert parser.inputs["email"].get("aria-invalid") == "true"
    assert parser.inputs["postal_code"].get("aria-invalid") == "true"
    assert "aria-invalid" not in parser.inputs["first_name"]
    assert '<p class="error" id="e-email">Enter an email address like name@example.com</p>' in html
    assert '<p class="error" id="e-postal_code">Enter a postal code like ' in html
    assert status_of(client, auth, link)["status"] == "open"
    fixed = client.post(
        link_path(link["url"]), data=form_of(response, email="a@b.de", postal_code="10115")
    )
    assert fixed.status_code == 303, "the re-rendered form, corrected, places the order"


@pytest.mark.parametrize("csrf", ["missing", "wrong", "other-link"])
def test_a_form_without_this_links_csrf_token_is_refused_and_the_link_stays_open(
    client: FlaskClient, auth: dict[str, str], csrf: str
) -> None:
    """No, a forged or another link's CSRF token gives 422 and leaves the link unspent."""
    link, other = issue(client, auth), issue(client, auth)
    path = link_path(link["url"])
    data = form_of(client.get(path))
    if csrf == "missing":
        del data["csrf_token"]
    elif csrf == "wrong":
        data["csrf_token"] = data["csrf_token"][:-4] + "AAAA"
    else:
        data["csrf_token"] = csrf_of(text_of(client.get(link_path(other["url"]))))
    response = client.post(path, data=data)
    assert response.status_code == 422
    assert_customer_headers(response)
    assert "stammt nicht von dieser Seite" in text_of(response), "said in the link's language"
    assert csrf_of(text_of(response)) != data.get("csrf_token"), "a fresh token is offered"
    assert status_of(client, auth, link)["status"] == "open"
    assert status_of(client, auth, other)["status"] == "open"


def test_placing_the_order_redirects_to_a_confirmation_with_number_and_cart(
    client: FlaskClient, auth: dict[str, str]
) -> None:
    """A valid form answers 303 to /done/..., which shows the order number and the cart."""
    link = issue(client, auth)
    response = place(client, link)
    assert response.status_code == 303
    assert_customer_headers(response)
    location = response.headers["Location"]
    assert location.startswith("/done/")
    status = status_of(client, auth, link)
    assert status["status"] == "completed"
    done = client.get(location)
    assert done.status_code == 200
    assert_customer_headers(done)
    html = text_of(done)
    order = client.get(f"/api/v1/orders/{status['order_id']}", headers=auth).get_json()
    assert f"<strong>{order['number']}</strong>" in html
    assert status["order_id"] not in html
    assert "Pro licence, 25 seats" in html
    assert "Support hours" in html
    assert "1.534,00\xa0€" in html


def test_with_a_return_url_the_order_id_is_added_to_its_own_query(
    client: FlaskClient, auth: dict[str, str]
) -> None:
    """With a return_url the 303 goes there, its own query kept as sent, plus order_id."""
    return_url = "https://shop.example/thanks?src=mail&empty=&q=a%20b#top"
    link = issue(client, auth, return_url=return_url)
    cart_csp = client.get(link_path(link["url"])).headers["Content-Security-Policy"]
    assert "form-action 'self' https://shop.example;" in cart_csp, "browsers check the redirect"
    response = place(client, link)
    assert response.status_code == 303
    order_id = status_of(client, auth, link)["order_id"]
    location = urlsplit(response.headers["Location"])
    assert (location.scheme, location.netloc, location.path) == ("https", "shop.example", "/thanks")
    assert location.query == f"src=mail&empty=&q=a%20b&order_id={order_id}"
    assert location.fragment == "top"
    assert parse_qsl(location.query, keep_blank_values=True)[-1] == ("order_id", order_id)


def test_a_replayed_form_gets_the_same_confirmation_and_another_form_a_409(
    client: FlaskClient, auth: dict[str, str]
) -> None:
    """The same form sent again is recognised as its own order; a second page load's form is 409."""
    link = issue(client, auth)
    path = link_path(link["url"])
    first, second = form_of(client.get(path)), form_of(client.get(path))
    assert first["csrf_token"] != second["csrf_token"]
    placed = client.post(path, data=first)
    assert placed.status_code == 303
    replay = client.post(path, data=first)
    assert replay.status_code == 303
    order_id = status_of(client, auth, link)["order_id"]
    number = client.get(f"/api/v1/orders/{order_id}", headers=auth).get_json()["number"]
    for response in (placed, replay):
        assert f"<strong>{number}</strong>" in text_of(client.get(response.headers["Location"]))
    other = client.post(path, data=second)
    assert other.status_code == 409
    assert_customer_headers(other)
    assert "Dieser Link wurde bereits verwendet" in text_of(other)
    assert (
        client.get(f"/api/v1/orders/{order_id}", headers=auth).get_json()["customer"]["email"]
        == (first["email"])
    )


def test_a_replay_with_a_return_url_gets_the_identical_redirect(
    client: FlaskClient, auth: dict[str, str]
) -> None:
    """When the first reply was lost, the same form again gets exactly the same Location."""
    link = issue(client, auth, return_url="https://shop.example/thanks")
    path = link_path(link["url"])
    form = form_of(client.get(path))
    first, again = client.post(path, data=form), client.post(path, data=form)
    assert first.status_code == again.status_code == 303
    assert first.headers["Location"] == again.headers["Location"]


# --- escaping ------------------------------------------------------------------------------


def _assert_inert(html: str) -> None:
    """Neither payload made it into the page as markup."""
    assert SCRIPT not in html
    assert ATTR_BREAK not in html
    parser = _Inputs()
    parser.feed(html)
    assert [tag for tag, _ in parser.tags if tag == "img"] == []
    scripts = [attrs.get("src") for tag, attrs in parser.tags if tag == "script"]
    assert [str(src).split("?v=")[0] for src in scripts] == ["/static/checkout.js"], (
        "only the page's own script file"
    )
    assert [attrs for _, attrs in parser.tags if "onerror" in attrs] == []


def test_markup_in_lines_properties_and_customer_data_is_escaped(
    client: FlaskClient, auth: dict[str, str]
) -> None:
    """Script and attribute-breaking text in names, properties and customer fields stays text."""
    products = [
        {
            "id": "pro-licence",
            "name": SCRIPT,
            "price": "10.00",
            "properties": {SCRIPT: ATTR_BREAK, ATTR_BREAK: SCRIPT},
        },
        {"id": "pro-licence", "name": ATTR_BREAK, "price": "20.00"},
    ]
    customer = {**CUSTOMER, "first_name": SCRIPT, "company": ATTR_BREAK, "city": ATTR_BREAK}
    link = issue(client, auth, products=products, customer=customer)
    path = link_path(link["url"])
    page = client.get(path)
    html = text_of(page)
    _assert_inert(html)
    assert html.count(str(escape(SCRIPT))) >= 3
    assert html.count(str(escape(ATTR_BREAK))) >= 4
    assert input_value(html, "first_name") == SCRIPT
    assert input_value(html, "company") == ATTR_BREAK

    invalid = client.post(path, data=form_of(page, last_name=ATTR_BREAK, email="bad"))
    assert invalid.status_code == 422
    _assert_inert(text_of(invalid))
    assert input_value(text_of(invalid), "last_name") == ATTR_BREAK

    placed = client.post(path, data=form_of(page, last_name=ATTR_BREAK, address=SCRIPT))
    assert placed.status_code == 303
    done = text_of(client.get(placed.headers["Location"]))
    _assert_inert(done)
    assert str(escape(SCRIPT)) in done
    assert str(escape(ATTR_BREAK)) in done
    order_id = status_of(client, auth, link)["order_id"]
    order = client.get(f"/api/v1/orders/{order_id}", headers=auth).get_json()
    assert order["customer"]["last_name"] == ATTR_BREAK, "escaping is for pages, data stays as sent"
    assert order["customer"]["address"] == SCRIPT


# --- headers -------------------------------------------------------------------------------


def test_every_customer_page_forbids_caching_referrers_and_framing(
    client: FlaskClient, auth: dict[str, str]
) -> None:
    """Cart, 404, 410, 422, 303, 409 and confirmation answers all carry the three headers."""
    link = issue(client, auth)
    path = link_path(link["url"])
    cart = client.get(path)
    form = form_of(cart)
    answers = {
        "cart": cart,
        "head": client.head(path),
        "404": client.get("/c/" + "x" * 60),
        "422": client.post(path, data={**form, "email": "nope"}),
    }
    late_form = form_of(client.get(path))
    answers["303"] = client.post(path, data=form)
    answers["done"] = client.get(answers["303"].headers["Location"])
    answers["409"] = client.post(path, data=late_form)
    answers["410"] = client.get(path)
    expected = {"cart": 200, "head": 200, "404": 404, "422": 422, "303": 303, "done": 200}
    expected |= {"409": 409, "410": 410}
    assert {name: r.status_code for name, r in answers.items()} == expected
    for response in answers.values():
        assert_customer_headers(response)


# --- the orders API ------------------------------------------------------------------------


def test_an_order_holds_merged_lines_the_submitted_customer_and_the_link_data(
    client: FlaskClient, auth: dict[str, str]
) -> None:
    """GET /orders/{id} has the lines as shown, the customer as edited, hidden data and total."""
    link = issue(client, auth)
    edits = {"last_name": "Ruiz-Zabaleta", "city": "Hamburg", "postal_code": "20095"}
    response = place(client, link, **edits)
    assert response.status_code == 303
    order_id = status_of(client, auth, link)["order_id"]
    got = client.get(f"/api/v1/orders/{order_id}", headers=auth)
    assert got.status_code == 200
    order = got.get_json()
    assert order["id"] == order_id
    assert order["link_id"] == link["id"]
    assert order["status"] == "placed"
    assert order["currency"] == "EUR"
    assert order["total"] == "1534.00"
    assert order["lines"] == link["lines"]
    assert order["lines"][0]["sku"] == "PRO", "catalog properties are merged in"
    assert order["lines"][0]["description"] == "Seat licence"
    # The phone is kept in E.164, the page's locale as the language; Germany has no region.
    expected = dict.fromkeys(FORM_FIELDS, "") | CUSTOMER | edits
    expected |= {"phone": "+49301234567", "language": "de"}
    assert order["customer"] == expected
    assert order["additional_data"] == {"crm_deal": "8812"}
    assert order["external_ref"] == "quote-2026-118"
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z", order["created_at"])
    assert "merchant_id" not in order


def test_another_merchant_cannot_see_an_order_or_its_link(
    app: Flask, client: FlaskClient, auth: dict[str, str]
) -> None:
    """Another merchant's key gets 404 for the order and the link, and an empty order list."""
    link = issue(client, auth)
    assert place(client, link).status_code == 303
    order_id = status_of(client, auth, link)["order_id"]
    other = {"Authorization": f"Bearer {add_merchant(app, 'globex')}"}
    assert client.get(f"/api/v1/orders/{order_id}", headers=other).status_code == 404
    assert client.get(f"/api/v1/links/{link['id']}", headers=other).status_code == 404
    assert client.get("/api/v1/orders", headers=other).get_json()["items"] == []
    assert client.get(f"/api/v1/orders/{order_id}", headers=auth).status_code == 200


def test_orders_are_listed_newest_first_each_exactly_once_across_pages(
    client: FlaskClient, auth: dict[str, str]
) -> None:
    """Seven orders paged three at a time come back newest first, each exactly once."""
    placed = []
    for i in range(7):
        link = issue(client, auth, external_ref=f"ref-{i}")
        assert place(client, link).status_code == 303
        placed.append(status_of(client, auth, link)["order_id"])
        time.sleep(0.002)  # distinct creation milliseconds make "newest first" one order
    seen: list[dict[str, Any]] = []
    pages = []
    cursor = None
    while True:
        query = {"limit": "3"} | ({"cursor": cursor} if cursor else {})
        body = client.get("/api/v1/orders", headers=auth, query_string=query).get_json()
        pages.append(len(body["items"]))
        seen.extend(body["items"])
        cursor = body["next_cursor"]
        if cursor is None:
            break
        assert len(pages) < 10, "pagination does not end"
    assert pages == [3, 3, 1]
    assert [o["id"] for o in seen] == placed[::-1]
    assert [o["external_ref"] for o in seen] == [f"ref-{i}" for i in reversed(range(7))]


# --- keys and clocks -----------------------------------------------------------------------


def test_links_survive_key_rotation_and_die_with_their_key(
    fake_redis: fakeredis.FakeRedis,
) -> None:
    """A link signed under A opens under "A,B" and is 404 once only B is configured."""
    old = make_app(fake_redis, secret_keys=SECRET_A)
    auth = {"Authorization": f"Bearer {add_merchant(old)}"}
    link = issue(old.test_client(), auth)
    path = link_path(link["url"])
    rotated = make_app(fake_redis, secret_keys=f"{SECRET_A},{SECRET_B}")
    only_new = make_app(fake_redis, secret_keys=SECRET_B)
    assert old.test_client().get(path).status_code == 200
    assert only_new.test_client().get(path).status_code == 404
    rotated_client = rotated.test_client()
    assert rotated_client.get(path).status_code == 200
    assert place(rotated_client, link).status_code == 303, "the rotated app can place it too"
    assert old.test_client().get(path).status_code == 410

    fresh = issue(rotated_client, auth)
    fresh_path = link_path(fresh["url"])
    assert only_new.test_client().get(fresh_path).status_code == 200, "the newest key signs"
    assert old.test_client().get(fresh_path).status_code == 404


def test_confirmation_pages_are_signed_with_the_newest_key_during_a_rotation(
    fake_redis: fakeredis.FakeRedis,
) -> None:
    """A confirmation made under "A,B" opens on an instance that already dropped A."""
    rotated = make_app(fake_redis, secret_keys=f"{SECRET_A},{SECRET_B}")
    auth = {"Authorization": f"Bearer {add_merchant(rotated)}"}
    rotated_client = rotated.test_client()
    response = place(rotated_client, issue(rotated_client, auth))
    assert response.status_code == 303
    location = response.headers["Location"]
    assert location.startswith("/done/")
    only_new = make_app(fake_redis, secret_keys=SECRET_B)
    only_old = make_app(fake_redis, secret_keys=SECRET_A)
    assert only_new.test_client().get(location).status_code == 200
    assert only_old.test_client().get(location).status_code == 404, "A no longer signs"
    assert rotated_client.get(location).status_code == 200


def _token_issued_in(app: Flask, auth: dict[str, str], seconds_ahead: int) -> str:
    client = app.test_client()
    rev = client.get("/api/v1/products/kit", headers=auth).get_json()["rev"]
    now = int(time.time())
    payload = LinkPayload(
        link_rand=new_link_rand(16),
        merchant_id="acme",
        issued_at=now + seconds_ahead,
        expires_at=now + seconds_ahead + 3600,
        currency="EUR",
        lines=[CartLine(product_id="kit", rev=rev)],
    )
    with app.app_context():
        return services().codec.encode(payload)


def test_tokens_from_a_clock_slightly_ahead_are_accepted_and_far_ahead_refused(
    app: Flask, client: FlaskClient, auth: dict[str, str]
) -> None:
    """A token issued 60 s in the future opens; one issued a day in the future is 404."""
    near = client.get("/c/" + _token_issued_in(app, auth, 60))
    assert near.status_code == 200
    assert "Setup kit" in text_of(near)
    assert client.get("/c/" + _token_issued_in(app, auth, 86400)).status_code == 404
