"""The checkout form's rules: per-country address checks, E.164 phones, tax ids, plain errors."""

from __future__ import annotations

import pytest

from checkout_links.core.checkout.form import country_rules, validate
from checkout_links.core.i18n.translatable import Message
from checkout_links.web.customer.i18n import catalog, translate


def _check(**values: str) -> tuple[dict[str, str], dict[str, Message]]:
    form = {"email": "ana@example.com", **values}
    return validate(form, country_rules(form))


def test_only_the_email_is_always_required() -> None:
    """An empty form lacks only the email; an email alone places the order."""
    _, errors = validate({}, country_rules({}))
    assert set(errors) == {"email"}
    clean, errors = _check()
    assert errors == {}
    assert clean["email"] == "ana@example.com"


def test_a_started_address_must_be_complete_for_its_country() -> None:
    """Germany needs street, postal code and city; the US also a state; a bad code is named."""
    _, errors = _check(country="DE", city="Berlin")
    assert set(errors) == {"address", "postal_code"}
    _, errors = _check(country="US", address="1 Main St", city="Springfield", postal_code="62701")
    assert set(errors) == {"region"}
    assert errors["region"].msgid == "Enter your state"
    _, errors = _check(country="DE", address="Invalidenstr. 1", city="Berlin", postal_code="1011")
    assert errors["postal_code"] == Message(
        "Enter a postal code like %(example)s", {"example": "26133"}
    )
    _, errors = _check(address="Somewhere 1")
    assert set(errors) >= {"country"}


def test_fields_a_country_has_no_place_for_are_not_kept() -> None:
    """A region sent for Germany (whose addresses have none) is dropped from the order."""
    clean, errors = _check(
        country="DE", address="Invalidenstr. 1", city="Berlin", postal_code="10115", region="BE"
    )
    assert errors == {}
    assert clean["region"] == ""


@pytest.mark.parametrize(
    ("country", "typed", "stored"),
    [("DE", "030 1234567", "+49301234567"), ("US", "(201) 555-0123", "+12015550123")],
)
def test_phone_numbers_are_read_in_the_country_and_stored_in_e164(
    country: str, typed: str, stored: str
) -> None:
    """A national number is read in the chosen country and kept in E.164."""
    clean, errors = _check(country=country, phone=typed)
    assert errors == {}
    assert clean["phone"] == stored


def test_a_phone_that_is_not_a_number_gets_an_example_of_the_country() -> None:
    """An invalid phone number is refused with the country's own example."""
    _, errors = _check(country="DE", phone="12")
    assert errors["phone"].msgid == "Enter a phone number like %(example)s"
    assert str(errors["phone"].params["example"]).startswith("+49 ")


def test_a_vat_number_is_checked_where_the_country_has_a_format() -> None:
    """A German VAT id with a wrong check digit is refused; a good one is kept compact."""
    _, errors = _check(country="DE", tax_id="DE123456789")
    assert errors["tax_id"].msgid == "Enter a valid VAT number, or leave this field empty"
    clean, errors = _check(country="DE", tax_id="DE 136 695 976")
    assert errors == {}
    assert clean["tax_id"] == "DE136695976"
    clean, errors = _check(country="US", tax_id="anything 12")
    assert errors == {}, "no format known: accepted as typed"


def test_errors_are_sentences_for_a_person_in_the_pages_language() -> None:
    """Errors read as plain instructions in English, German and Arabic, never as library text."""
    _, errors = _check(email="ana@", company="x" * 201, first_name="a\u202eb")
    english = {name: translate(catalog("en"), m) for name, m in errors.items()}
    assert english == {
        "email": "Enter an email address like name@example.com",
        "company": "Enter no more than 200 characters",
        "first_name": "Remove the control characters from this field",
    }
    german = translate(catalog("de"), errors["company"])
    assert german == "Geben Sie höchstens 200 Zeichen ein"
    arabic = translate(catalog("ar"), errors["company"])
    assert arabic == "أدخل 200 حرف على الأكثر"
    for text in english.values():
        for jargon in ("String", "pattern", "value_error", "Value error", "^"):
            assert jargon not in text
