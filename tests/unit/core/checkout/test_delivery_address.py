"""The delivery address of an order with a physical line: the billing one, or its own."""

from __future__ import annotations

from checkout_links.core.checkout.form import country_rules, validate, validate_delivery

BILLING = {
    "email": "ana@example.com",
    "first_name": "Ana",
    "last_name": "Ruiz",
    "country": "DE",
    "address": "Invalidenstr. 1",
    "postal_code": "10115",
    "city": "Berlin",
}


def test_a_physical_order_needs_the_billing_address_even_when_none_was_started() -> None:
    """With nothing but an email, a physical order lacks country, street and city; in Germany
    also the postal code."""
    form = {"email": "ana@example.com"}
    _, errors = validate(form, country_rules(form), address_required=True)
    assert set(errors) == {"country", "address", "city"}
    german = {**form, "country": "DE"}
    _, errors = validate(german, country_rules(german), address_required=True)
    assert set(errors) == {"address", "postal_code", "city"}
    _, errors = validate(form, country_rules(form))
    assert errors == {}, "without a physical line the address stays optional"


def test_the_box_ticked_delivers_to_the_billing_address_as_validated() -> None:
    """Ticked (or not sent at all): the delivery address is the billing one, no delivery_* read."""
    clean, errors = validate(BILLING, country_rules(BILLING), address_required=True)
    assert errors == {}
    for same in ({"delivery_same_as_billing": "yes"}, {}):
        where, wrong = validate_delivery({**BILLING, **same, "delivery_city": "Paris"}, clean)
        assert wrong == {}
        assert (where["city"], where["last_name"], where["country"]) == ("Berlin", "Ruiz", "DE")


def test_a_separate_address_follows_its_own_countrys_rules() -> None:
    """Unticked: the delivery_* fields, complete for their country (postal code, state)."""
    values = {"delivery_same_as_billing": "no"}
    _, errors = validate_delivery(values, BILLING)
    assert set(errors) == {"delivery_country", "delivery_address", "delivery_city"}
    us = {
        **values,
        "delivery_country": "US",
        "delivery_address": "1 Main St",
        "delivery_city": "Springfield",
        "delivery_postal_code": "6270",
    }
    _, errors = validate_delivery(us, BILLING)
    assert set(errors) == {"delivery_region", "delivery_postal_code"}
    assert errors["delivery_region"].msgid == "Enter your state"
    assert errors["delivery_postal_code"].params == {"example": "95014"}
    where, errors = validate_delivery(
        {**us, "delivery_postal_code": "62701", "delivery_region": "Illinois"}, BILLING
    )
    assert errors == {}
    assert (where["region"], where["postal_code"], where["country"]) == ("IL", "62701", "US")


def test_a_separate_address_refuses_control_characters_and_overlong_names() -> None:
    """The delivery fields have the billing fields' limits and plain-text rule."""
    values = {
        "delivery_same_as_billing": "no",
        "delivery_country": "DE",
        "delivery_address": "Mönckebergstr. 7",
        "delivery_postal_code": "20095",
        "delivery_city": "Ham\x00burg",
        "delivery_last_name": "R" * 101,
    }
    _, errors = validate_delivery(values, BILLING)
    assert set(errors) == {"delivery_city", "delivery_last_name"}
