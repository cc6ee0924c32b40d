"""The cart page's tax: rows per rate with incl./plus wording, the update action, the order."""

from __future__ import annotations

import re
from typing import Any

from flask import Flask
from flask.testing import FlaskClient

from checkout_links.testing import csrf_of, link_path

FR_VAT = "FR40303265045"


def _setup(client: FlaskClient, auth: dict[str, str], **tax: Any) -> None:
    rates = {
        "de-mwst": {"country": "DE", "percent": "19", "display_name": "MwSt."},
        "fr-tva": {"country": "FR", "percent": "20", "display_name": "TVA"},
    }
    for rate_id, body in rates.items():
        assert (
            client.put(f"/api/v1/tax_rates/{rate_id}", json=body, headers=auth).status_code == 201
        )
    settings = {"origin_country": "DE", "reverse_charge": True, **tax}
    assert client.patch("/api/v1/account", json={"tax": settings}, headers=auth).status_code == 200


def _link(client: FlaskClient, auth: dict[str, str], country: str, locale: str = "en") -> str:
    body = {
        "currency": "EUR",
        "products": [{"id": "pro-licence", "price": "100.00"}],
        "customer": {"email": "ana@example.com", "country": country},
        "locale": locale,
    }
    answer = client.post("/api/v1/links", json=body, headers=auth)
    assert answer.status_code == 201, answer.get_json()
    return link_path(answer.get_json()["url"])


def _tax(html: str) -> list[str]:
    """The words of the page's tax part (split at plain spaces only: amounts keep theirs)."""
    found = re.search(r'<div id="tax".*?</div>', html, re.S)
    assert found is not None
    return [w for w in re.sub(r"<[^>]+>|\n", " ", found.group(0)).split(" ") if w]


def _total(html: str) -> str:
    found = re.search(r'<dl class="total"><dt>[^<]*</dt><dd><bdi>([^<]*)</bdi>', html)
    assert found is not None
    return found.group(1)


def test_a_page_shows_the_tax_added_for_the_customers_country(
    client: FlaskClient, auth: dict[str, str]
) -> None:
    """Prices without tax: "plus TVA 20%" and its amount, and the total includes it."""
    _setup(client, auth)
    html = client.get(_link(client, auth, "FR")).get_data(as_text=True)
    assert _tax(html) == ["plus", "TVA", "20%", "€20.00"]
    assert _total(html) == "€120.00"
    assert "Placing this order commits you to pay €120.00." in html


def test_prices_that_include_tax_keep_the_total_and_say_incl(
    client: FlaskClient, auth: dict[str, str]
) -> None:
    """Prices with tax, in German: "inkl. MwSt. 19 %" of 100 is 15,97; the total stays."""
    _setup(client, auth, prices_include_tax=True)
    html = client.get(_link(client, auth, "DE", "de")).get_data(as_text=True)
    assert " ".join(_tax(html)) == "inkl. MwSt. 19\xa0% 15,97\xa0€"
    assert _total(html) == "100,00\xa0€"


def test_update_with_another_country_recomputes_the_tax(
    client: FlaskClient, auth: dict[str, str]
) -> None:
    """The form's update action (no JavaScript) shows the new country's tax, places nothing."""
    _setup(client, auth)
    path = _link(client, auth, "FR")
    html = client.get(path).get_data(as_text=True)
    form = {"csrf_token": csrf_of(html), "email": "ana@example.com", "country": "DE"}
    updated = client.post(path, data={**form, "action": "update"})
    assert updated.status_code == 200
    page = updated.get_data(as_text=True)
    assert _tax(page) == ["plus", "MwSt.", "19%", "€19.00"]
    assert _total(page) == "€119.00"
    no_rate = client.post(path, data={**form, "country": "US", "action": "update"})
    assert _tax(no_rate.get_data(as_text=True)) == []


def test_a_french_business_with_a_valid_vat_id_gets_the_reverse_charge(
    client: FlaskClient, auth: dict[str, str]
) -> None:
    """With a valid French VAT number the page says reverse charge and the order has no tax."""
    _setup(client, auth)
    path = _link(client, auth, "FR")
    html = client.get(path).get_data(as_text=True)
    form = {"csrf_token": csrf_of(html), "email": "ana@example.com", "country": "FR"}
    page = client.post(path, data={**form, "tax_id": FR_VAT, "action": "update"})
    text = " ".join(_tax(page.get_data(as_text=True)))
    assert text.startswith("Reverse charge: no VAT is charged.")
    assert _total(page.get_data(as_text=True)) == "€100.00"
    placed = client.post(path, data={**form, "tax_id": FR_VAT, "action": "place"})
    assert placed.status_code == 303
    order = client.get("/api/v1/orders", headers=auth).get_json()["items"][0]
    assert (order["reverse_charge"], order["tax"], order["tax_total"], order["total"]) == (
        True,
        [],
        "0.00",
        "100.00",
    )


def test_the_placed_order_carries_the_tax_the_page_showed(
    client: FlaskClient, auth: dict[str, str]
) -> None:
    """A French consumer's order: tax row, line tax, tax_total and total as on the page."""
    _setup(client, auth)
    path = _link(client, auth, "FR")
    html = client.get(path).get_data(as_text=True)
    form = {"csrf_token": csrf_of(html), "email": "ana@example.com", "country": "FR"}
    assert client.post(path, data=form).status_code == 303
    order = client.get("/api/v1/orders", headers=auth).get_json()["items"][0]
    assert order["tax"] == [
        {"rate_id": "fr-tva", "display_name": "TVA", "percent": "20", "amount": "20.00"}
    ]
    assert (order["tax_total"], order["total"], order["prices_include_tax"]) == (
        "20.00",
        "120.00",
        False,
    )
    line = order["lines"][0]
    assert (line["amount_after_discounts"], line["tax_rate_id"], line["tax_amount"]) == (
        "100.00",
        "fr-tva",
        "20.00",
    )


def test_a_merchant_without_rates_gets_the_page_and_order_as_before(
    client: FlaskClient, auth: dict[str, str], app: Flask
) -> None:
    """No active rate: no tax part on the page, no tax figures on the lines, tax_total 0."""
    path = _link(client, auth, "FR")
    html = client.get(path).get_data(as_text=True)
    assert 'id="tax"' not in html
    form = {"csrf_token": csrf_of(html), "email": "ana@example.com", "country": "FR"}
    assert client.post(path, data=form).status_code == 303
    order = client.get("/api/v1/orders", headers=auth).get_json()["items"][0]
    assert (order["tax"], order["tax_total"], order["total"]) == ([], "0.00", "100.00")
    assert "tax_amount" not in order["lines"][0]
