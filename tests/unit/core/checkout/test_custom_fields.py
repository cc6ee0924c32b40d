"""The answers to a link's custom fields: numbers as the page's locale writes them, each
refusal with its translated message id, labels per locale with their fallback."""

from __future__ import annotations

import pytest

from checkout_links.core.checkout.custom_fields import (
    BAD_NUMBER,
    MISSING,
    MISSING_CHOICE,
    check,
    parse_number,
)
from checkout_links.core.checkout.form import CONTROL
from checkout_links.core.i18n.locales import negotiate
from checkout_links.core.links.custom_fields import label_for
from checkout_links.core.links.token import CustomField, FieldOption
from checkout_links.core.records import CustomFieldRow

HOLDER = CustomField("holder", {"en": "Licence holder", "de": "Lizenzinhaber"}, "text")
SEATS = CustomField("seats", "Seats", "numeric", optional=True)
REGION = CustomField(
    "region",
    "Region",
    "dropdown",
    options=[FieldOption("eu", {"en": "Europe", "de": "Europa"}), FieldOption("us", "USA")],
)
FIELDS = [HOLDER, SEATS, REGION]
DE = negotiate("de", None, None, None)
EN = negotiate("en", None, None, None)


@pytest.mark.parametrize(
    ("locale", "typed", "stored"),
    [
        ("de", "2,5", "2.5"),
        ("de", "1.234,5", "1234.5"),
        ("de", "2.500", "2500"),
        ("de", "2.5", "2.5"),
        ("en", "2.5", "2.5"),
        ("en", "1,234.50", "1234.50"),
        ("en", "2,5", "2.5"),
        ("fr", "1\u202f234,5", "1234.5"),
        ("de_CH", "1'234.5", "1234.5"),
        ("fa", "\u06f2\u066b\u06f5", "2.5"),
        ("ar_EG", "\u0662\u0665", "25"),
        ("en", "-3", "-3"),
        ("en", "+007", "7"),
        ("de", ",5", "0.5"),
    ],
)
def test_a_number_is_read_as_the_locale_writes_it_and_stored_plain(
    locale: str, typed: str, stored: str
) -> None:
    """Decimal separators, grouping and native digits of the locale give a plain decimal."""
    assert parse_number(typed, locale) == stored


@pytest.mark.parametrize("typed", ["", "-", "1e5", "2,5,0", "1.2.3,4", "12,34,567", "zwei", "2."])
def test_what_is_not_a_number_is_refused(typed: str) -> None:
    """Exponents, stray separators, bad grouping and words are not numbers."""
    assert parse_number(typed, "en") is None


def test_good_answers_are_kept_by_key_with_the_rows_the_customer_read() -> None:
    """German page: the number stored plain, the dropdown's value stored and its label shown;
    labels in German; an optional field left empty is "" and no row."""
    values = {"cf_holder": "Ana Ruiz", "cf_seats": "2,5", "cf_region": "eu"}
    answers, rows, errors = check(FIELDS, values, DE)
    assert errors == {}
    assert answers == {"holder": "Ana Ruiz", "seats": "2.5", "region": "eu"}
    assert rows == (
        CustomFieldRow(label="Lizenzinhaber", text="Ana Ruiz"),
        CustomFieldRow(label="Seats", text="2,5"),
        CustomFieldRow(label="Region", text="Europa"),
    )
    answers, rows, errors = check(FIELDS, {**values, "cf_seats": ""}, EN)
    assert (errors, answers["seats"]) == ({}, "")
    assert [row.label for row in rows] == ["Licence holder", "Region"]


def test_each_wrong_answer_is_refused_at_its_field_with_its_message() -> None:
    """Missing required text and choice, a value no option has, a number the locale cannot
    read (with its example in the locale), control characters, 201 characters."""
    _, _, errors = check(FIELDS, {}, DE)
    assert errors["cf_holder"].msgid == MISSING
    assert errors["cf_holder"].params == {"label": "\u2068Lizenzinhaber\u2069"}
    assert errors["cf_region"].msgid == MISSING_CHOICE
    assert "cf_seats" not in errors
    wrong = {"cf_holder": "Ana\x07", "cf_seats": "zwei", "cf_region": "mars"}
    _, rows, errors = check(FIELDS, wrong, DE)
    assert rows == ()
    assert errors["cf_holder"].msgid == CONTROL
    assert errors["cf_seats"].msgid == BAD_NUMBER
    assert errors["cf_seats"].params["example"] == "2,5"
    assert errors["cf_region"].msgid == MISSING_CHOICE
    _, _, errors = check(FIELDS, {"cf_holder": "x" * 201, "cf_region": "us"}, EN)
    assert errors["cf_holder"].plural is not None
    assert errors["cf_holder"].params["num"] == 200
    _, _, errors = check(FIELDS, {"cf_holder": "x" * 200, "cf_region": "us"}, EN)
    assert errors == {}


def test_a_label_falls_back_from_the_exact_locale_to_en_then_to_the_first() -> None:
    """de-AT finds de; a page with no matching key shows en, else the first locale given."""
    label = {"fr": "Titulaire", "de": "Lizenzinhaber", "en": "Licence holder"}
    assert label_for(label, negotiate("de-AT", None, None, None)) == "Lizenzinhaber"
    assert label_for(label, negotiate("ja", None, None, None)) == "Licence holder"
    assert label_for({"fr": "Titulaire", "de": "Inhaber"}, EN) == "Titulaire"
    assert label_for("Seats", DE) == "Seats"
