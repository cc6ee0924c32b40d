"""An email address the receipt could not reach is refused where it is typed: a mailbox
(the part before the @) beyond ASCII, on the form in the customer's language and in the
API; an internationalised domain stays welcome."""

from __future__ import annotations

import html

import pytest
from flask.testing import FlaskClient

from checkout_links.testing import csrf_of, link_path, problem_body

MAILBOXES = ["josé@example.com", "андрей@example.com", "用户@example.com"]


def _link(client: FlaskClient, auth: dict[str, str], locale: str = "en") -> tuple[str, str]:
    body = {"products": [{"id": "pro-licence", "price": "1249.00"}], "locale": locale}
    link = client.post("/api/v1/links", json=body, headers=auth).get_json()
    return link["id"], link_path(link["url"])


@pytest.mark.parametrize("address", MAILBOXES)
def test_the_form_refuses_a_non_ascii_mailbox_with_a_plain_message(
    client: FlaskClient, auth: dict[str, str], address: str
) -> None:
    """The form answers 422 with the message at the email field, and the link stays open."""
    link_id, path = _link(client, auth)
    form = {"csrf_token": csrf_of(client.get(path).get_data(as_text=True)), "email": address}
    page = client.post(path, data=form)
    assert page.status_code == 422
    text = html.unescape(page.get_data(as_text=True))
    assert (
        '<p class="error" id="e-email">Enter an email address without accented or non-Latin '
        "letters before the @</p>"
    ) in text
    status = client.get(f"/api/v1/links/{link_id}", headers=auth).get_json()
    assert status["status"] == "open"


def test_the_message_is_in_the_customers_language(
    client: FlaskClient, auth: dict[str, str]
) -> None:
    """On a German page the customer reads the German sentence."""
    _, path = _link(client, auth, "de")
    form = {"csrf_token": csrf_of(client.get(path).get_data(as_text=True)), "email": MAILBOXES[0]}
    text = html.unescape(client.post(path, data=form).get_data(as_text=True))
    assert "ohne Akzente oder nicht lateinische Buchstaben vor dem @" in text


def test_an_internationalised_domain_places_the_order(
    client: FlaskClient, auth: dict[str, str]
) -> None:
    """ana@bücher.de is an address a receipt reaches (its domain goes as xn--)."""
    _, path = _link(client, auth)
    form = {
        "csrf_token": csrf_of(client.get(path).get_data(as_text=True)),
        "email": "ana@bücher.de",
    }
    assert client.post(path, data=form).status_code == 303


@pytest.mark.parametrize("address", MAILBOXES)
def test_the_api_refuses_a_non_ascii_mailbox(
    client: FlaskClient, auth: dict[str, str], address: str
) -> None:
    """POST /api/v1/links answers 422 naming customer.email, and PATCH /api/v1/account
    refuses it as the support address."""
    body = {"products": [{"id": "pro-licence", "price": "1.00"}], "customer": {"email": address}}
    errors = problem_body(client.post("/api/v1/links", json=body, headers=auth), 422)["errors"]
    assert [e["loc"] for e in errors] == [["body", "customer", "email"]]
    assert "ASCII" in errors[0]["msg"]
    patch = client.patch("/api/v1/account", json={"support_email": address}, headers=auth)
    assert [e["loc"] for e in problem_body(patch, 422)["errors"]] == [["body", "support_email"]]


def test_the_api_refuses_a_display_name_with_a_line_separator(
    client: FlaskClient, auth: dict[str, str]
) -> None:
    """PATCH /api/v1/account answers 422 for a display name with U+2028 and keeps the old one."""
    before = client.get("/api/v1/account", headers=auth).get_json()["display_name"]
    patch = {"display_name": "Ruiz\u2028Software"}
    answer = client.patch("/api/v1/account", json=patch, headers=auth)
    assert [e["loc"] for e in problem_body(answer, 422)["errors"]] == [["body", "display_name"]]
    assert client.get("/api/v1/account", headers=auth).get_json()["display_name"] == before
