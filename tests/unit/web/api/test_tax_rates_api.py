"""The merchant API's tax: /api/v1/tax_rates/{rate_id}, the list, and the account's tax settings."""

from __future__ import annotations

from flask import Flask
from flask.testing import FlaskClient

from checkout_links.testing import add_merchant, problem_body

BASE = "/api/v1/tax_rates"
TVA = {"country": "FR", "percent": "20", "display_name": "TVA"}


def test_a_rate_is_created_then_replaced_and_read_back(
    client: FlaskClient, auth: dict[str, str]
) -> None:
    """PUT answers 201 then 200 (created_at kept); GET shows the rate as stored."""
    first = client.put(f"{BASE}/fr-tva", json=TVA, headers=auth)
    assert first.status_code == 201
    again = client.put(f"{BASE}/fr-tva", json={**TVA, "percent": "5.5"}, headers=auth)
    assert again.status_code == 200
    got = client.get(f"{BASE}/fr-tva", headers=auth).get_json()
    assert {k: got[k] for k in ("id", "country", "region", "tax_code", "percent", "active")} == {
        "id": "fr-tva",
        "country": "FR",
        "region": None,
        "tax_code": None,
        "percent": "5.5",
        "active": True,
    }
    assert got["created_at"] == first.get_json()["created_at"]


def test_delete_deactivates_and_the_list_pages_in_id_order(
    client: FlaskClient, auth: dict[str, str]
) -> None:
    """DELETE keeps the rate, inactive; the list pages through every rate once, in id order."""
    for rate_id in ("c", "a", "b"):
        client.put(f"{BASE}/{rate_id}", json=TVA, headers=auth)
    assert client.delete(f"{BASE}/b", headers=auth).get_json()["active"] is False
    first = client.get(f"{BASE}?limit=2", headers=auth).get_json()
    second = client.get(f"{BASE}?limit=2&cursor={first['next_cursor']}", headers=auth).get_json()
    assert [r["id"] for r in first["items"] + second["items"]] == ["a", "b", "c"]
    assert [r["active"] for r in first["items"]] == [True, False]
    assert second["next_cursor"] is None


def test_bad_rates_are_refused_naming_the_field(client: FlaskClient, auth: dict[str, str]) -> None:
    """A bad id, country, percent (over 100, five decimals, a number) or name is a 422."""
    bad_id = problem_body(client.put(f"{BASE}/FR_TVA", json=TVA, headers=auth), 422)
    assert bad_id["errors"][0]["loc"] == ["path", "rate_id"]
    for field, value in (
        ("country", "XX"),
        ("percent", "100.5"),
        ("percent", "7.12345"),
        ("percent", 20),
        ("display_name", ""),
    ):
        body = problem_body(client.put(f"{BASE}/x", json={**TVA, field: value}, headers=auth), 422)
        assert body["errors"][0]["loc"][:2] == ["body", field], (field, value)


def test_a_rate_of_another_merchant_is_not_found(
    client: FlaskClient, auth: dict[str, str], app: Flask
) -> None:
    """Rates are per merchant: another merchant's id answers 404."""
    client.put(f"{BASE}/fr-tva", json=TVA, headers=auth)
    other = {"Authorization": f"Bearer {add_merchant(app, 'other')}"}
    problem_body(client.get(f"{BASE}/fr-tva", headers=other), 404)
    problem_body(client.delete(f"{BASE}/fr-tva", headers=other), 404)


def test_the_account_tax_settings_merge_field_by_field(
    client: FlaskClient, auth: dict[str, str]
) -> None:
    """PATCH tax merges its fields; null resets one; reverse charge needs an EU origin."""
    url = "/api/v1/account"
    client.patch(url, json={"tax": {"origin_country": "de", "reverse_charge": True}}, headers=auth)
    client.patch(url, json={"tax": {"prices_include_tax": True}}, headers=auth)
    assert client.get(url, headers=auth).get_json()["tax"] == {
        "prices_include_tax": True,
        "origin_country": "DE",
        "reverse_charge": True,
    }
    outside = client.patch(url, json={"tax": {"origin_country": "CH"}}, headers=auth)
    assert problem_body(outside, 422)["errors"][0]["loc"] == ["body", "tax", "origin_country"]
    client.patch(url, json={"tax": {"reverse_charge": None}}, headers=auth)
    assert client.get(url, headers=auth).get_json()["tax"]["reverse_charge"] is False
    client.patch(url, json={"tax": None}, headers=auth)
    assert client.get(url, headers=auth).get_json()["tax"] == {
        "prices_include_tax": False,
        "origin_country": None,
        "reverse_charge": False,
    }
