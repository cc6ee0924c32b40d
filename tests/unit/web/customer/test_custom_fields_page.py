"""A link's custom fields through the customer pages and what the order carries them to:
the form, its refusals (link left open), the order, the confirmation, the webhook body,
the CSV export and the erasure."""

from __future__ import annotations

import csv
import io
import json
import re
from typing import Any

import pytest
from click.testing import CliRunner
from flask import Flask
from flask.testing import FlaskClient

from checkout_links.cli.main import cli
from checkout_links.core.outbox import events
from checkout_links.testing import csrf_of, link_path
from checkout_links.web.extensions import services

FIELDS = [
    {"key": "holder", "label": {"en": "Licence holder", "de": "Lizenzinhaber"}, "type": "text"},
    {"key": "seats", "label": {"en": "Seats", "de": "Plätze"}, "type": "numeric"},
    {
        "key": "region",
        "label": {"en": "Data region", "de": "Datenregion"},
        "type": "dropdown",
        "options": [
            {"value": "eu-west", "label": {"en": "Europe", "de": "Europa"}},
            {"value": "us-east", "label": "USA"},
        ],
    },
]
PO = {
    "key": "po",
    "label": {"en": "Cost centre", "de": "Kostenstelle"},
    "type": "text",
    "optional": True,
}


def _link(client: FlaskClient, auth: dict[str, str], locale: str = "en", **extra: Any) -> str:
    body = {"products": [{"id": "support"}], "locale": locale, **extra}
    answer = client.post("/api/v1/links", json=body, headers=auth)
    assert answer.status_code == 201, answer.get_json()
    return link_path(answer.get_json()["url"])


def _orders(client: FlaskClient, auth: dict[str, str]) -> list[dict[str, Any]]:
    items: list[dict[str, Any]] = client.get("/api/v1/orders", headers=auth).get_json()["items"]
    return items


def _form(client: FlaskClient, path: str) -> dict[str, str]:
    return {"csrf_token": csrf_of(client.get(path).get_data(as_text=True)), "email": "a@ex.com"}


def test_the_form_asks_each_field_labelled_in_the_pages_locale(
    client: FlaskClient, auth: dict[str, str]
) -> None:
    """German page: a fieldset of its own; required fields starred with required and
    aria-required; the number with the decimal keypad; the list starting on its placeholder;
    an optional field says so; labels isolated for direction."""
    page = client.get(_link(client, auth, "de", custom_fields=[*FIELDS[:2], PO])).get_data(
        as_text=True
    )
    assert '<fieldset id="custom-fields">\n<legend>Weitere Angaben</legend>' in page
    assert (
        '<label for="f-cf_holder"><bdi class="text">Lizenzinhaber</bdi> '
        '<span class="req" aria-hidden="true">*</span></label>'
    ) in page
    holder = re.search(r'<input id="f-cf_holder"[^>]*>', page)
    assert holder is not None
    assert ' required aria-required="true"' in holder.group(0)
    seats = re.search(r'<input id="f-cf_seats"[^>]*>', page)
    assert seats is not None
    assert 'inputmode="decimal"' in seats.group(0)
    assert '<label for="f-cf_po"><bdi class="text">Kostenstelle</bdi> (optional)</label>' in page
    po = re.search(r'<input id="f-cf_po"[^>]*>', page)
    assert po is not None
    assert "required" not in po.group(0)
    page = client.get(_link(client, auth, "de", custom_fields=[FIELDS[2]])).get_data(as_text=True)
    assert (
        '<select id="f-cf_region" name="cf_region" required aria-required="true">'
        '<option value="">Bitte auswählen…</option>'
        '<option value="eu-west" dir="auto">Europa</option>'
    ) in page
    plain = client.get(_link(client, auth)).get_data(as_text=True)
    assert "custom-fields" not in plain


def test_a_missing_required_field_is_a_422_at_the_field_and_the_link_stays_open(
    client: FlaskClient, auth: dict[str, str]
) -> None:
    """Nothing answered: the summary links to each required field, each field shows its
    translated error and points to it; the typed values come back; no order, link open."""
    path = _link(client, auth, "de", custom_fields=FIELDS)
    refused = client.post(path, data={**_form(client, path), "cf_seats": "zwei"})
    assert refused.status_code == 422
    page = refused.get_data(as_text=True)
    for name in ("cf_holder", "cf_seats", "cf_region"):
        assert f'<li><a href="#f-{name}">' in page, name
    assert '<a href="#f-cf_holder">Füllen Sie „\u2068Lizenzinhaber\u2069“ aus</a>' in page
    assert (
        '<p class="error" id="e-cf_seats">Geben Sie bei „\u2068Plätze\u2069“ eine Zahl ein, '
        "z. B. 2,5</p>"
    ) in page
    seats = re.search(r'<input id="f-cf_seats"[^>]*>', page)
    assert seats is not None
    assert 'value="zwei"' in seats.group(0)
    assert 'aria-describedby="e-cf_seats"' in seats.group(0)
    assert '<p class="error" id="e-cf_region">Wählen Sie eine Option für' in page
    assert _orders(client, auth) == []
    answers = {"cf_holder": "Ana", "cf_seats": "2,5", "cf_region": "eu-west"}
    again = client.post(path, data={**_form(client, path), **answers})
    assert again.status_code == 303, "the refused link was still open"


@pytest.mark.parametrize("choices", [{}, {"allow_promotion_codes": True}], ids=["plain", "choices"])
def test_the_update_action_keeps_the_answers(
    client: FlaskClient, auth: dict[str, str], choices: dict[str, Any]
) -> None:
    """Changing the country without JavaScript (or a choice, on a link with cart choices)
    re-renders the form with every answer kept and places nothing."""
    path = _link(client, auth, custom_fields=FIELDS, **choices)
    answers = {"cf_holder": "Ana <Ruiz>", "cf_seats": "3", "cf_region": "us-east"}
    data = {**_form(client, path), **answers, "country": "FR", "action": "update"}
    page = client.post(path, data=data).get_data(as_text=True)
    assert 'value="Ana &lt;Ruiz&gt;"' in page
    assert '<option value="us-east" dir="auto" selected>USA</option>' in page
    assert re.search(r'<input id="f-cf_seats"[^>]*value="3"', page)
    assert _orders(client, auth) == []


def test_the_answers_reach_the_order_confirmation_webhook_export_and_erasure(
    app: Flask, client: FlaskClient, auth: dict[str, str]
) -> None:
    """German answers: the order holds the plain number and the option value; the confirmation
    shows the German labels with the answers as read; the webhook body and the CSV column hold
    the answers; erasure empties them."""
    path = _link(client, auth, "de", custom_fields=[FIELDS[1], FIELDS[2], PO])
    data = {**_form(client, path), "cf_seats": "1.234,5", "cf_region": "eu-west"}
    placed = client.post(path, data=data)
    assert placed.status_code == 303
    [order] = _orders(client, auth)
    assert order["custom_fields"] == {"seats": "1234.5", "region": "eu-west", "po": ""}
    assert list(order["custom_fields"]) == ["seats", "region", "po"]
    done = client.get(placed.headers["Location"]).get_data(as_text=True)
    assert '<h2 id="answers-heading">Weitere Angaben</h2>' in done
    assert (
        '<dl class="answers"><div><dt><bdi>Plätze</bdi></dt><dd><bdi>1.234,5</bdi></dd></div>'
        "<div><dt><bdi>Datenregion</bdi></dt><dd><bdi>Europa</bdi></dd></div></dl>"
    ) in done
    assert "Kostenstelle" not in done  # left empty: nothing to show
    with app.app_context():
        svc = services()
        record = events.load(svc.redis, "evt_" + order["id"].removeprefix("ord_"))
        assert record is not None
        body = json.loads(events.body(svc.redis, svc.keyring, record))
    assert body["data"]["custom_fields"] == order["custom_fields"]
    assert "custom_field_rows" not in body["data"]
    exported = CliRunner().invoke(cli, ["orders", "export", "acme", "--format", "csv"], obj=svc)
    assert exported.exit_code == 0, exported.output
    [row] = list(csv.DictReader(io.StringIO(exported.stdout, newline="")))
    assert json.loads(row["custom_fields"]) == order["custom_fields"]
    erased = client.delete(f"/api/v1/orders/{order['id']}/personal_data", headers=auth)
    assert erased.get_json()["custom_fields"] == {}
    again = client.get(placed.headers["Location"]).get_data(as_text=True)
    assert "answers-heading" not in again


def test_an_order_of_a_link_without_custom_fields_has_none(
    client: FlaskClient, auth: dict[str, str]
) -> None:
    """No fields, no answers: custom_fields is {} and a stray cf_ field is ignored."""
    path = _link(client, auth)
    assert client.post(path, data={**_form(client, path), "cf_x": "1"}).status_code == 303
    assert _orders(client, auth)[0]["custom_fields"] == {}
