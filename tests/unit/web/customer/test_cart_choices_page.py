"""The cart page of a link with choices, without JavaScript: update, apply, place."""

from __future__ import annotations

import re
from typing import Any

import pytest
from flask.testing import FlaskClient
from werkzeug.test import TestResponse

from checkout_links.testing import BERLIN, csrf_of, link_path

LINK: dict[str, Any] = {
    "products": [
        {
            "id": "pro-licence",
            "price": "100.00",
            "quantity": 2,
            "adjustable_quantity": {"enabled": True, "minimum": 0, "maximum": 10},
        },
        {"id": "support", "quantity": 1},
    ],
    "optional_items": [
        {"id": "kit", "adjustable_quantity": {"enabled": True, "minimum": 0, "maximum": 3}},
        {"id": "pro-licence", "name": "Pro+ licence", "price": "250.00", "replaces": 0},
    ],
    "discount": {"percent": "10", "label": "Launch offer"},
    "allow_promotion_codes": True,
}
# With a billing address: a kit (an optional item here) is physical and needs one.
CUSTOMER = {"email": "ana@example.com", **BERLIN}


@pytest.fixture
def link(client: FlaskClient, auth: dict[str, str]) -> dict[str, Any]:
    resp = client.post("/api/v1/links", json=LINK, headers=auth)
    assert resp.status_code == 201, resp.get_data(as_text=True)
    issued: dict[str, Any] = resp.get_json()
    return issued


def post(client: FlaskClient, link: dict[str, Any], **form: str) -> TestResponse:
    path = link_path(link["url"])
    csrf = csrf_of(client.get(path).get_data(as_text=True))
    return client.post(path, data={"csrf_token": csrf, **form})


def total_of(html: str) -> str:
    match = re.search(r'<dl class="total"><dt>[^<]*</dt><dd><bdi>([^<]+)<', html)
    assert match, "no total on the page"
    return match.group(1)


def status(client: FlaskClient, auth: dict[str, str], link: dict[str, Any]) -> dict[str, Any]:
    body: dict[str, Any] = client.get(f"/api/v1/links/{link['id']}", headers=auth).get_json()
    return body


def test_the_page_offers_the_choices_the_link_allows(
    client: FlaskClient, link: dict[str, Any]
) -> None:
    """Bounded quantity input, both offers, the discount row, the code field, Update."""
    html = client.get(link_path(link["url"])).get_data(as_text=True)
    assert re.search(r'name="qty_0"[^>]*min="0" max="10"[^>]*value="2"', html)
    assert 'name="qty_1"' not in html
    assert 'name="opt_0"' in html
    assert re.search(r'name="opt_1"[^>]*type="checkbox" value="1"', html)
    text = re.sub(r"<[^>]+>", "", html)
    assert "Upgrade to Pro+ licence instead of Pro licence" in text
    # 250.00 against 2 x 100.00, less the cart's 10 %: what the total changes by.
    assert "+€45.00" in text
    assert '<bdi class="text">Pro+ licence</bdi>' in html, "the seller's names are isolated"
    assert "Launch offer" in html
    assert 'name="promo_code"' in html
    assert 'value="update"' in html
    assert total_of(html) == "€265.50"  # (200 + 95) - 10 %


def test_a_plain_link_shows_no_choice_controls(client: FlaskClient, auth: dict[str, str]) -> None:
    """A link without choices renders as before: no inputs for quantities, offers or codes."""
    issued = client.post("/api/v1/links", json={"products": [{"id": "kit"}]}, headers=auth)
    html = client.get(link_path(issued.get_json()["url"])).get_data(as_text=True)
    for name in ('name="qty_', 'name="opt_', 'name="promo_code"', "Update totals"):
        assert name not in html


def test_update_reprices_and_places_nothing(
    client: FlaskClient, auth: dict[str, str], link: dict[str, Any]
) -> None:
    """action=update with 5 licences and 2 kits re-renders the server's totals; link stays open."""
    resp = post(client, link, action="update", qty_0="5", opt_0="2")
    assert resp.status_code == 200
    # 500 + 95 + 99.80 = 694.80, less 10 % (69.48)
    assert total_of(resp.get_data(as_text=True)) == "€625.32"
    assert status(client, auth, link)["status"] == "open"


@pytest.mark.parametrize(
    ("form", "field"),
    [({"qty_0": "11"}, "qty_0"), ({"qty_0": "two"}, "qty_0"), ({"opt_1": "2"}, "opt_1")],
)
def test_choices_outside_the_offer_are_refused_with_the_link_untouched(
    client: FlaskClient,
    auth: dict[str, str],
    link: dict[str, Any],
    form: dict[str, str],
    field: str,
) -> None:
    """Too many licences, a word, a forged offer quantity: 422 naming the field, nothing placed."""
    for action in ("update", "place"):
        resp = post(client, link, action=action, **CUSTOMER, **form)
        assert resp.status_code == 422
        assert f'id="e-{field}"' in resp.get_data(as_text=True)
    assert status(client, auth, link)["status"] == "open"


def test_removing_every_line_is_refused(client: FlaskClient, link: dict[str, Any]) -> None:
    """Quantity 0 on the last removable line with nothing else left would empty the cart."""
    resp = post(client, link, action="update", qty_0="0")
    assert resp.status_code == 200  # support still in the cart
    assert total_of(resp.get_data(as_text=True)) == "€85.50"


def test_a_code_is_applied_and_an_unknown_one_explained(
    client: FlaskClient, auth: dict[str, str], link: dict[str, Any]
) -> None:
    """apply with a known code (any case) adds its row; an unknown code is refused; nothing
    placed."""
    client.put("/api/v1/promotions/SAVE5", json={"amount": "5.00", "currency": "EUR"}, headers=auth)
    ok = post(client, link, action="apply", promo_code="save5")
    html = ok.get_data(as_text=True)
    assert ok.status_code == 200
    assert "SAVE5" in html
    assert total_of(html) == "€260.50"
    bad = post(client, link, action="apply", promo_code="NOPE")
    assert bad.status_code == 422
    assert "This code cannot be used. Check it and try again." in bad.get_data(as_text=True)
    assert total_of(bad.get_data(as_text=True)) == "€265.50"
    assert status(client, auth, link)["status"] == "open"


def test_the_order_holds_every_choice_and_counts_the_code(
    client: FlaskClient, auth: dict[str, str], link: dict[str, Any]
) -> None:
    """Placing with the upgrade, 3 kits and a code: lines, markers, discounts, totals, count."""
    client.put("/api/v1/promotions/SAVE5", json={"amount": "5.00", "currency": "EUR"}, headers=auth)
    resp = post(client, link, action="place", opt_0="3", opt_1="1", promo_code="Save5", **CUSTOMER)
    assert resp.status_code == 303, resp.get_data(as_text=True)
    order_id = status(client, auth, link)["order_id"]
    order = client.get(f"/api/v1/orders/{order_id}", headers=auth).get_json()
    assert [
        (line["product_id"], line["quantity"], line["amount"], line.get("optional"),
         line.get("replaced"))
        for line in order["lines"]
    ] == [
        ("pro-licence", 1, "250.00", True, "pro-licence"),
        ("support", 1, "95.00", False, None),
        ("kit", 3, "149.70", True, None),
    ]  # fmt: skip
    assert order["lines"][0]["name"] == "Pro+ licence"
    # 494.70 - 10 % (49.47) - 5.00
    assert (order["subtotal"], order["total"]) == ("494.70", "440.23")
    assert order["discounts"] == [
        {"label": "Launch offer", "amount": "49.47", "applies_to": "cart", "line": None},
        {"label": "SAVE5", "amount": "5.00", "applies_to": "promotion", "line": None},
    ]
    assert order["promotion_code"] == "SAVE5"
    promo = client.get("/api/v1/promotions/SAVE5", headers=auth).get_json()
    assert promo["redemptions"] == 1
    done = client.get(resp.headers["Location"]).get_data(as_text=True)
    assert "Launch offer" in done
    assert "\u2212€5.00" in done
    assert "€440.23" in done


def test_a_used_up_code_refuses_the_order_and_the_link_stays_usable(
    client: FlaskClient, auth: dict[str, str], link: dict[str, Any]
) -> None:
    """A code whose last redemption went meanwhile: 422 on the code; without it the order goes."""
    client.put(
        "/api/v1/promotions/ONCE", json={"percent": "50", "max_redemptions": 1}, headers=auth
    )
    other = client.post("/api/v1/links", json=LINK, headers=auth).get_json()
    page = client.get(link_path(link["url"])).get_data(as_text=True)
    assert post(client, other, promo_code="ONCE", **CUSTOMER).status_code == 303
    resp = client.post(
        link_path(link["url"]), data={"csrf_token": csrf_of(page), "promo_code": "ONCE", **CUSTOMER}
    )
    assert resp.status_code == 422
    # The words of every unusable code (a used-up one is not told apart).
    assert "This code cannot be used. Check it and try again." in resp.get_data(as_text=True)
    assert status(client, auth, link)["status"] == "open"
    assert post(client, link, **CUSTOMER).status_code == 303
    assert client.get("/api/v1/promotions/ONCE", headers=auth).get_json()["redemptions"] == 1


def test_a_plain_links_order_says_it_has_no_discounts(
    client: FlaskClient, auth: dict[str, str]
) -> None:
    """Every new order carries subtotal, discounts and promotion_code, even without choices."""
    issued = client.post("/api/v1/links", json={"products": [{"id": "kit"}]}, headers=auth)
    link = issued.get_json()
    assert post(client, link, **CUSTOMER).status_code == 303
    order_id = status(client, auth, link)["order_id"]
    order = client.get(f"/api/v1/orders/{order_id}", headers=auth).get_json()
    assert (order["subtotal"], order["total"], order["discounts"]) == ("49.90", "49.90", [])
    assert order["promotion_code"] is None


def test_the_same_form_sent_twice_counts_the_code_once(
    client: FlaskClient, auth: dict[str, str], link: dict[str, Any]
) -> None:
    """A browser's resend after a lost reply gets the same 303; the code is counted once."""
    client.put(
        "/api/v1/promotions/TWICE", json={"percent": "5", "max_redemptions": 2}, headers=auth
    )
    path = link_path(link["url"])
    form = {"csrf_token": csrf_of(client.get(path).get_data(as_text=True))}
    form.update(promo_code="TWICE", **CUSTOMER)
    first, again = client.post(path, data=form), client.post(path, data=form)
    assert (first.status_code, again.status_code) == (303, 303)
    assert first.headers["Location"] == again.headers["Location"]
    promo = client.get("/api/v1/promotions/TWICE", headers=auth).get_json()
    assert promo["redemptions"] == 1
    other = client.post("/api/v1/links", json=LINK, headers=auth).get_json()
    assert post(client, other, promo_code="TWICE", **CUSTOMER).status_code == 303
