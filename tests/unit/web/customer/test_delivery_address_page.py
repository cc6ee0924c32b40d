"""Physical items through the customer pages: the billing address, a delivery address, erasure."""

from __future__ import annotations

import re
from typing import Any

from flask.testing import FlaskClient

from checkout_links.testing import BERLIN, csrf_of, link_path

HAMBURG = {
    "delivery_first_name": "Bea",
    "delivery_last_name": "Ruiz",
    "delivery_company": "Lager Nord",
    "delivery_country": "DE",
    "delivery_address": "Mönckebergstr. 7",
    "delivery_postal_code": "20095",
    "delivery_city": "Hamburg",
}


def _link(client: FlaskClient, auth: dict[str, str], product: str = "kit") -> str:
    body = {"products": [{"id": product}], "locale": "en"}
    answer = client.post("/api/v1/links", json=body, headers=auth)
    assert answer.status_code == 201
    return link_path(answer.get_json()["url"])


def _order(client: FlaskClient, auth: dict[str, str]) -> dict[str, Any]:
    order: dict[str, Any] = client.get("/api/v1/orders", headers=auth).get_json()["items"][0]
    return order


def test_the_form_of_a_physical_item_asks_where_to_deliver_with_the_box_ticked(
    client: FlaskClient, auth: dict[str, str]
) -> None:
    """A kit's page has the delivery fieldset, its box ticked, and shipping autocomplete."""
    html = client.get(_link(client, auth)).get_data(as_text=True)
    box = re.search(r'<input type="checkbox" id="f-delivery_same_as_billing"[^>]*>', html)
    assert box is not None
    assert " checked" in box.group(0)
    assert '<input type="hidden" name="delivery_same_as_billing" value="no">' in html
    assert 'autocomplete="shipping street-address"' in html
    assert "Fill in every field of your address marked with *." in html
    digital = client.get(_link(client, auth, "support")).get_data(as_text=True)
    assert 'id="delivery"' not in digital


def test_a_physical_order_without_an_address_is_refused_and_the_link_stays_open(
    client: FlaskClient, auth: dict[str, str]
) -> None:
    """Only an email: 422 naming country, street and city; nothing placed."""
    path = _link(client, auth)
    form = {"csrf_token": csrf_of(client.get(path).get_data(as_text=True))}
    refused = client.post(path, data={**form, "email": "ana@example.com"})
    assert refused.status_code == 422
    page = refused.get_data(as_text=True)
    for field in ("country", "address", "city"):
        assert f'<a href="#f-{field}">' in page, field
    assert client.get("/api/v1/orders", headers=auth).get_json()["items"] == []


def test_the_box_ticked_delivers_to_the_billing_address_shown_on_the_confirmation(
    client: FlaskClient, auth: dict[str, str]
) -> None:
    """Ticked: the order's delivery_address is the billing address; the confirmation shows it."""
    path = _link(client, auth)
    form = {"csrf_token": csrf_of(client.get(path).get_data(as_text=True))}
    data = {**form, "email": "ana@example.com", "last_name": "Ruiz", **BERLIN}
    placed = client.post(path, data={**data, "delivery_same_as_billing": ["no", "yes"]})
    assert placed.status_code == 303
    order = _order(client, auth)
    assert order["delivery_address"] == {
        "first_name": "",
        "last_name": "Ruiz",
        "company": "",
        "country": "DE",
        "region": "",
        "city": "Berlin",
        "postal_code": "10115",
        "address": "Invalidenstr. 1",
    }
    done = client.get(placed.headers["Location"]).get_data(as_text=True)
    assert re.search(r"<h2 id=\"delivery-heading\">Delivery address</h2>\s*<address", done)
    # As Germany writes an address (Google's format: the city upper-case).
    lines = ("Ruiz", "Invalidenstr. 1", "10115 BERLIN", "Germany")
    assert "<br>".join(f"<bdi>{line}</bdi>" for line in lines) + "</address>" in done


def test_an_unticked_box_takes_a_separate_address_checked_for_its_country(
    client: FlaskClient, auth: dict[str, str]
) -> None:
    """Unticked with no delivery city: 422 at it, box still unticked; then Hamburg is stored."""
    path = _link(client, auth)
    form = {"csrf_token": csrf_of(client.get(path).get_data(as_text=True))}
    data = {**form, "email": "ana@example.com", **BERLIN, "delivery_same_as_billing": "no"}
    refused = client.post(path, data={**data, **HAMBURG, "delivery_city": ""})
    assert refused.status_code == 422
    page = refused.get_data(as_text=True)
    assert '<p class="error" id="e-delivery_city">Enter your city</p>' in page
    box = re.search(r'<input type="checkbox" id="f-delivery_same_as_billing"[^>]*>', page)
    assert box is not None
    assert "checked" not in box.group(0)
    placed = client.post(path, data={**data, **HAMBURG})
    assert placed.status_code == 303
    order = _order(client, auth)
    assert order["customer"]["city"] == "Berlin"
    assert order["delivery_address"]["city"] == "Hamburg"
    assert order["delivery_address"]["company"] == "Lager Nord"
    done = client.get(placed.headers["Location"]).get_data(as_text=True)
    lines = ("Bea Ruiz", "Lager Nord", "Mönckebergstr. 7", "20095 HAMBURG", "Germany")
    assert "<br>".join(f"<bdi>{line}</bdi>" for line in lines) in done


def test_a_digital_order_has_no_delivery_address_and_erasure_empties_a_physical_ones(
    client: FlaskClient, auth: dict[str, str]
) -> None:
    """Digital: delivery_address null; erasing a kit order's personal data empties its address."""
    path = _link(client, auth, "support")
    form = {"csrf_token": csrf_of(client.get(path).get_data(as_text=True))}
    assert client.post(path, data={**form, "email": "ana@example.com"}).status_code == 303
    assert _order(client, auth)["delivery_address"] is None
    path = _link(client, auth)
    form = {"csrf_token": csrf_of(client.get(path).get_data(as_text=True))}
    data = {**form, "email": "ana@example.com", **BERLIN, "delivery_same_as_billing": "no"}
    assert client.post(path, data={**data, **HAMBURG}).status_code == 303
    order = _order(client, auth)
    erased = client.delete(f"/api/v1/orders/{order['id']}/personal_data", headers=auth)
    assert erased.status_code == 200
    assert set(erased.get_json()["delivery_address"].values()) == {""}
