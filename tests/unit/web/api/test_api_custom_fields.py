"""Custom fields at issuance: what POST /api/v1/links accepts, and each refusal's pointer."""

from __future__ import annotations

from typing import Any

import pytest
from flask.testing import FlaskClient

from checkout_links.testing import link_path

LICENCE = {"key": "licence_holder", "label": {"en": "Licence holder"}, "type": "text"}
SEATS = {"key": "seats", "label": "Seats", "type": "numeric", "optional": True}
REGION = {
    "key": "region",
    "label": "Data region",
    "type": "dropdown",
    "options": [{"value": "eu", "label": "Europe"}, {"value": "us", "label": "USA"}],
}


def _issue(client: FlaskClient, auth: dict[str, str], fields: Any) -> Any:
    body = {"products": [{"id": "support"}], "custom_fields": fields}
    return client.post("/api/v1/links", json=body, headers=auth)


def _locs(answer: Any) -> list[list[Any]]:
    assert answer.status_code == 422, answer.get_json()
    assert answer.mimetype == "application/problem+json"
    return [error["loc"] for error in answer.get_json()["errors"]]


def test_three_fields_of_each_type_are_issued(client: FlaskClient, auth: dict[str, str]) -> None:
    """A text, a numeric and a dropdown field: 201."""
    assert _issue(client, auth, [LICENCE, SEATS, REGION]).status_code == 201


@pytest.mark.parametrize(
    ("fields", "loc"),
    [
        ([LICENCE, SEATS, REGION, {**LICENCE, "key": "fourth"}], ["body", "custom_fields"]),
        ([LICENCE, {**SEATS, "key": "licence_holder"}], ["body", "custom_fields", 1, "key"]),
        ([{**LICENCE, "key": "Licence-Holder"}], ["body", "custom_fields", 0, "key"]),
        ([{**REGION, "options": None}], ["body", "custom_fields", 0, "options"]),
        ([{**REGION, "options": []}], ["body", "custom_fields", 0, "options"]),
        ([{**SEATS, "options": REGION["options"]}], ["body", "custom_fields", 0, "options"]),
        (
            [{**REGION, "options": [{"value": "eu", "label": "A"}, {"value": "eu", "label": "B"}]}],
            ["body", "custom_fields", 0, "options", 1, "value"],
        ),
        ([{**LICENCE, "label": "x" * 81}], ["body", "custom_fields", 0, "label"]),
        ([{**LICENCE, "label": "   "}], ["body", "custom_fields", 0, "label"]),
        ([{**LICENCE, "label": "Licence\u200bholder"}], ["body", "custom_fields", 0, "label"]),
        ([{**LICENCE, "label": {"not-a-locale!": "A"}}], ["body", "custom_fields", 0, "label"]),
        ([{**LICENCE, "label": {"de": "A", "DE": "B"}}], ["body", "custom_fields", 0, "label"]),
        ([{**LICENCE, "label": {}}], ["body", "custom_fields", 0, "label"]),
        ([{**LICENCE, "label": 7}], ["body", "custom_fields", 0, "label"]),
        ([{**LICENCE, "type": "date"}], ["body", "custom_fields", 0, "type"]),
        (
            [{**REGION, "options": [{"value": "v" * 101, "label": "A"}]}],
            ["body", "custom_fields", 0, "options", 0, "value"],
        ),
        (
            [{**REGION, "options": [{"value": "eu", "label": {"de": "y" * 81}}]}],
            ["body", "custom_fields", 0, "options", 0, "label"],
        ),
    ],
    ids=[
        "four-fields",
        "duplicate-key",
        "key-pattern",
        "dropdown-without-options",
        "dropdown-empty-options",
        "options-on-numeric",
        "duplicate-option-value",
        "label-too-long",
        "label-blank",
        "label-invisible",
        "label-locale-unknown",
        "label-locale-twice",
        "label-no-locale",
        "label-number",
        "unknown-type",
        "option-value-too-long",
        "option-label-too-long",
    ],
)
def test_a_bad_custom_field_is_refused_at_its_pointer(
    client: FlaskClient, auth: dict[str, str], fields: list[Any], loc: list[Any]
) -> None:
    """Each rule's breach answers 422 with an error whose loc points at the offending member."""
    answer = _issue(client, auth, fields)
    assert loc in _locs(answer)
    for error in answer.get_json()["errors"]:
        assert "\u200b" not in error["msg"]  # a sentence, never the input echoed


def test_label_keys_are_stored_in_cldr_spelling(client: FlaskClient, auth: dict[str, str]) -> None:
    """A label for pt-br shows on a pt-BR page: the key is read as CLDR spells it."""
    field = {**LICENCE, "label": {"pt-br": "Titular da licença", "en": "Licence holder"}}
    body = {"products": [{"id": "support"}], "custom_fields": [field], "locale": "pt-BR"}
    link = client.post("/api/v1/links", json=body, headers=auth)
    assert link.status_code == 201
    page = client.get(link_path(link.get_json()["url"])).get_data(as_text=True)
    assert "Titular da licença" in page
    assert "Licence holder" not in page
