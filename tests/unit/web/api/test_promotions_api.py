"""The merchant API's promotion codes: PUT/GET/DELETE /api/v1/promotions/{code}, the list."""

from __future__ import annotations

from flask import Flask
from flask.testing import FlaskClient

from checkout_links.testing import add_merchant, problem_body

BASE = "/api/v1/promotions"


def test_a_code_is_created_then_replaced_and_read_back(
    client: FlaskClient, auth: dict[str, str]
) -> None:
    """PUT answers 201 then 200; GET shows the terms, the window in UTC and 0 redemptions."""
    body = {
        "percent": "15",
        "starts_at": "2026-01-01T00:00:00+01:00",
        "expires_at": "2027-01-01T00:00:00Z",
        "max_redemptions": 50,
        "products": ["kit"],
    }
    assert client.put(f"{BASE}/SPRING-15", json=body, headers=auth).status_code == 201
    again = client.put(f"{BASE}/SPRING-15", json={**body, "label": "Spring"}, headers=auth)
    assert again.status_code == 200
    got = client.get(f"{BASE}/spring-15", headers=auth).get_json()
    assert {k: got[k] for k in ("code", "percent", "amount", "label", "starts_at")} == {
        "code": "SPRING-15",
        "percent": "15",
        "amount": None,
        "label": "Spring",
        "starts_at": "2025-12-31T23:00:00Z",
    }
    assert (got["max_redemptions"], got["products"], got["redemptions"]) == (50, ["kit"], 0)
    assert got["active"] is True


def test_delete_deactivates_and_the_list_pages_in_code_order(
    client: FlaskClient, auth: dict[str, str]
) -> None:
    """DELETE keeps the code but inactive; the list pages through every code once."""
    for code in ("CCC", "AAA", "BBB"):
        client.put(f"{BASE}/{code}", json={"amount": "5.00", "currency": "EUR"}, headers=auth)
    assert client.delete(f"{BASE}/bbb", headers=auth).get_json()["active"] is False
    first = client.get(f"{BASE}?limit=2", headers=auth).get_json()
    second = client.get(f"{BASE}?limit=2&cursor={first['next_cursor']}", headers=auth).get_json()
    assert [p["code"] for p in first["items"] + second["items"]] == ["AAA", "BBB", "CCC"]
    assert [p["active"] for p in first["items"]] == [True, False]
    assert second["next_cursor"] is None


def test_invalid_bodies_and_codes_are_problems(client: FlaskClient, auth: dict[str, str]) -> None:
    """Both kinds, no kind, amount without currency, too many decimals, a bad code: 422."""
    cases = [
        ({"percent": "10", "amount": "1.00", "currency": "EUR"}, ["body"]),
        ({"max_redemptions": 5}, ["body"]),
        ({"amount": "1.00"}, ["body"]),
        ({"amount": "1.001", "currency": "EUR"}, ["body", "amount"]),
        ({"percent": "101"}, ["body", "percent"]),
        ({"percent": "10", "expires_at": "2026-01-01T00:00:00"}, ["body", "expires_at"]),
    ]
    for body, loc in cases:
        problem = problem_body(client.put(f"{BASE}/CODE", json=body, headers=auth), 422)
        assert problem["errors"][0]["loc"] == loc, body
    problem = problem_body(client.put(f"{BASE}/no", json={"percent": "1"}, headers=auth), 422)
    assert problem["errors"][0]["loc"] == ["path", "code"]


def test_unknown_codes_are_404_and_other_merchants_codes_unknown(
    client: FlaskClient, auth: dict[str, str], app: Flask
) -> None:
    """GET/DELETE of a code the merchant does not have is 404, even if another merchant has it."""
    other = {"Authorization": f"Bearer {add_merchant(app, 'other')}"}
    client.put(f"{BASE}/THEIRS", json={"percent": "5"}, headers=other)
    problem_body(client.get(f"{BASE}/THEIRS", headers=auth), 404)
    problem_body(client.delete(f"{BASE}/THEIRS", headers=auth), 404)
    problem_body(client.get(f"{BASE}/x", headers=auth), 404)


def test_promotions_need_an_api_key(client: FlaskClient) -> None:
    """Without a key the promotions API answers 401 like the rest of the merchant API."""
    problem_body(client.get(BASE), 401)
    problem_body(client.put(f"{BASE}/CODE", json={"percent": "5"}), 401)
