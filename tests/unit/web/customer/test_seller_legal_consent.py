"""The seller's legal identity, the terms checkbox and the button that obliges to pay."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
from babel.messages.pofile import read_po
from flask.testing import FlaskClient

from checkout_links.core.i18n.locales import PARENTS
from checkout_links.testing import csrf_of, link_path, problem_body

LEGAL = {
    "name": "Ruiz Software GmbH",
    "address": "Invalidenstr. 1\n10115 Berlin\nGermany",
    "vat_id": "DE136695976",
    "registration": "Amtsgericht Berlin HRB 12345",
}
TERMS = "https://ruiz.example/terms"
TRANSLATIONS = Path(__file__).resolve().parents[4] / "checkout_links/core/i18n/translations"


def _account(client: FlaskClient, auth: dict[str, str], **body: Any) -> Any:
    return client.patch("/api/v1/account", json=body, headers=auth)


def _link(client: FlaskClient, auth: dict[str, str], locale: str = "en") -> str:
    body = {"products": [{"id": "pro-licence", "price": "100.00"}], "locale": locale}
    answer = client.post("/api/v1/links", json=body, headers=auth)
    assert answer.status_code == 201
    return link_path(answer.get_json()["url"])


def test_the_legal_identity_is_set_replaced_whole_and_cleared(
    client: FlaskClient, auth: dict[str, str]
) -> None:
    """PATCH legal stores it (address lines kept), GET shows it, null clears it."""
    assert _account(client, auth, legal=LEGAL).status_code == 200
    assert client.get("/api/v1/account", headers=auth).get_json()["legal"] == LEGAL
    _account(client, auth, legal={"name": "Ruiz GmbH", "address": "Berlin"})
    shown = client.get("/api/v1/account", headers=auth).get_json()["legal"]
    assert shown == {"name": "Ruiz GmbH", "address": "Berlin", "vat_id": None, "registration": None}
    _account(client, auth, legal=None)
    assert client.get("/api/v1/account", headers=auth).get_json()["legal"] is None


def test_bad_legal_and_consent_settings_are_refused(
    client: FlaskClient, auth: dict[str, str]
) -> None:
    """No name, a tab in the address, or terms required without terms_url: 422 naming it."""
    no_name = problem_body(_account(client, auth, legal={"address": "Berlin"}), 422)
    assert no_name["errors"][0]["loc"] == ["body", "legal", "name"]
    tab = problem_body(_account(client, auth, legal={"name": "R", "address": "a\tb"}), 422)
    assert tab["errors"][0]["loc"] == ["body", "legal", "address"]
    no_terms = problem_body(_account(client, auth, consent={"terms": "required"}), 422)
    assert no_terms["errors"][0]["loc"] == ["body", "consent", "terms"]


def test_every_page_footer_shows_the_legal_identity(
    client: FlaskClient, auth: dict[str, str]
) -> None:
    """The cart page and the confirmation show name, address lines, VAT id and register entry."""
    _account(client, auth, legal=LEGAL)
    path = _link(client, auth, "de")
    html = client.get(path).get_data(as_text=True)
    footer = re.search(r'<address class="legal">(.*?)</address>', html, re.S)
    assert footer is not None
    lines = re.findall(r"<span[^>]*>([^<]*)</span>", footer.group(1))
    text = "|".join(lines)
    assert text == (
        "Ruiz Software GmbH|Invalidenstr. 1|10115 Berlin|Germany|USt-IdNr.: DE136695976|"
        "Amtsgericht Berlin HRB 12345"
    )
    form = {"csrf_token": csrf_of(html), "email": "ana@example.com"}
    done = client.get(client.post(path, data=form).headers["Location"]).get_data(as_text=True)
    assert '<address class="legal">' in done
    assert "Amtsgericht Berlin HRB 12345" in done


def test_an_order_without_the_ticked_box_is_refused_at_the_box_and_the_link_stays_open(
    client: FlaskClient, auth: dict[str, str]
) -> None:
    """Consent required: unticked -> 422 with the message at the box; ticked -> the order."""
    _account(client, auth, terms_url=TERMS, consent={"terms": "required"})
    path = _link(client, auth)
    html = client.get(path).get_data(as_text=True)
    box = re.search(r'<input type="checkbox" id="f-accept_terms"[^>]*>', html)
    assert box is not None
    assert "checked" not in box.group(0)
    assert f'<a href="{TERMS}" rel="noopener">Read the terms of service</a>' in html
    form = {"csrf_token": csrf_of(html), "email": "ana@example.com"}
    refused = client.post(path, data=form)
    assert refused.status_code == 422
    page = refused.get_data(as_text=True)
    assert (
        '<p class="error" id="e-accept_terms">Agree to the terms of service to place your order'
        in page
    )
    assert '<a href="#f-accept_terms">' in page  # the error summary links to the box
    assert client.get("/api/v1/orders", headers=auth).get_json()["items"] == []
    placed = client.post(path, data={**form, "accept_terms": "yes"})
    assert placed.status_code == 303
    order = client.get("/api/v1/orders", headers=auth).get_json()["items"][0]
    assert order["consent"]["terms_url"] == TERMS
    assert order["consent"]["terms_accepted_at"] == order["created_at"]


def test_without_consent_required_there_is_no_box_and_no_consent_on_the_order(
    client: FlaskClient, auth: dict[str, str]
) -> None:
    """A seller that asks nothing: no checkbox, and the order's consent is null."""
    _account(client, auth, terms_url=TERMS)
    path = _link(client, auth)
    html = client.get(path).get_data(as_text=True)
    assert "accept_terms" not in html
    form = {"csrf_token": csrf_of(html), "email": "ana@example.com"}
    assert client.post(path, data=form).status_code == 303
    assert client.get("/api/v1/orders", headers=auth).get_json()["items"][0]["consent"] is None


def test_the_german_button_reads_zahlungspflichtig_bestellen(
    client: FlaskClient, auth: dict[str, str]
) -> None:
    """§ 312j BGB: the German order button says exactly "Zahlungspflichtig bestellen"."""
    html = client.get(_link(client, auth, "de")).get_data(as_text=True)
    button = re.search(
        r'<button type="submit" name="action" value="place" class="primary">'
        r"([^<]*)</button>",
        html,
    )
    assert button is not None
    assert button.group(1) == "Zahlungspflichtig bestellen"
    assert "Mit der Bestellung verpflichten Sie sich, 100,00\xa0€ zu zahlen." in html


@pytest.mark.parametrize("locale", sorted(p.name for p in TRANSLATIONS.iterdir() if p.is_dir()))
def test_every_locale_says_the_click_commits_to_pay(locale: str) -> None:
    """Each catalog, or the parent a regional one inherits from (English's own words for
    en-GB), translates the button and the commitment sentence, the amount kept."""
    said: dict[str, str] = {}
    tag: str | None = locale.replace("_", "-")
    while tag is not None and tag != "en":
        with (TRANSLATIONS / tag.replace("-", "_") / "LC_MESSAGES" / "messages.po").open(
            "rb"
        ) as po:
            for message in read_po(po):
                if isinstance(message.id, str) and message.string and message.id not in said:
                    said[message.id] = str(message.string)
        tag = PARENTS.get(tag)
    if tag == "en":  # the template's own English
        said.setdefault(BUTTON, BUTTON)
        said.setdefault(SENTENCE, SENTENCE)
    assert said.get(BUTTON)
    assert "%(total)s" in said.get(SENTENCE, "")


BUTTON = "Place order with obligation to pay"
SENTENCE = "Placing this order commits you to pay %(total)s."
