"""The checkout form's rules: what a customer must enter, and what is wrong, in words.

Each error is a short sentence for a person (a :class:`Message`), never a
library's text; it names what to do ("Enter an email address like
name@example.com"). The country decides the address fields (see
:mod:`checkout_links.core.checkout.address`). Only the email is always required; an
address is optional, but one that is started must be complete for its
country (its postal-code format included), and a phone number or tax id
that is given must be one.
"""

from __future__ import annotations

from collections.abc import Mapping

from checkout_links.core.checkout.address import (
    CountryRules,
    phone_e164,
    postal_code_ok,
    rules,
    tax_id_compact,
)
from checkout_links.core.i18n.countries import countries
from checkout_links.core.i18n.translatable import N_, Message, Nn_
from checkout_links.core.primitives.text import is_clean
from checkout_links.core.schemas import NonAsciiMailbox, check_email

__all__ = [
    "DELIVERY_NAMES",
    "FIELD_NAMES",
    "SAME_AS_BILLING",
    "countries",
    "country_rules",
    "validate",
    "validate_delivery",
]

#: The form's customer fields, the names of the JSON ``customer`` object.
FIELD_NAMES = (
    "email",
    "phone",
    "country",
    "first_name",
    "last_name",
    "company",
    "address",
    "postal_code",
    "city",
    "region",
    "tax_id",
)
#: The fields of an address (the country's rules say which it needs).
ADDRESS_FIELDS = ("address", "postal_code", "city", "region")
#: A delivery address's fields (:class:`~checkout_links.core.records.DeliveryAddress`);
#: the form names each ``delivery_<name>``.
DELIVERY_FIELDS = (
    "first_name",
    "last_name",
    "company",
    "country",
    "address",
    "postal_code",
    "city",
    "region",
)
DELIVERY_NAMES = tuple(f"delivery_{name}" for name in DELIVERY_FIELDS)
#: The box that delivers to the billing address: ``"yes"`` (ticked, the default) or ``"no"``.
SAME_AS_BILLING = "delivery_same_as_billing"
_MAX = {
    "email": 254,
    "first_name": 100,
    "last_name": 100,
    "company": 200,
    "phone": 40,
    "region": 100,
    "city": 100,
    "postal_code": 20,
    "address": 300,
    "tax_id": 40,
}

MISSING_EMAIL = N_("Enter your email address")
# Translators: name@example.com is an example address; keep it as it is.
BAD_EMAIL = N_("Enter an email address like name@example.com")
# Translators: receipts cannot reach an address with é, ñ, ß, Cyrillic, Chinese... before the @.
NON_ASCII_EMAIL = N_("Enter an email address without accented or non-Latin letters before the @")
MISSING_COUNTRY = N_("Select your country")
# Translators: %(example)s is a phone number of the chosen country, e.g. +49 1512 3456789.
BAD_PHONE = N_("Enter a phone number like %(example)s")
BAD_VAT = N_("Enter a valid VAT number, or leave this field empty")
BAD_TAX_ID = N_("Enter a valid tax ID, or leave this field empty")
CONTROL = N_("Remove the control characters from this field")
# Translators: the error at the terms checkbox when it was left unticked.
MISSING_CONSENT = N_("Agree to the terms of service to place your order")
STALE_FORM = N_("This form has expired or did not come from this page. Please send it again.")


def too_long(limit: int) -> Message:
    """The error of a text longer than ``limit`` characters."""
    return Nn_(
        "Enter no more than %(num)d character", "Enter no more than %(num)d characters", limit
    )


def _check_lengths(
    values: Mapping[str, str], names: tuple[str, ...], errors: dict[str, Message], prefix: str = ""
) -> None:
    for name in names:
        text = values.get(prefix + name, "")
        if not is_clean(text):
            errors[prefix + name] = Message(CONTROL)
        elif len(text) > _MAX[name]:
            errors[prefix + name] = too_long(_MAX[name])


def _check_address(
    values: Mapping[str, str],
    country: CountryRules,
    clean: dict[str, str],
    errors: dict[str, Message],
    *,
    required: bool,
    prefix: str = "",
) -> None:
    """An address's country and fields under ``prefix``: complete for its country when it is
    ``required`` or started, each field as the country writes it; ``clean`` takes the values."""
    address_given = required or any(values.get(prefix + name) for name in ADDRESS_FIELDS)
    country_code = values.get(prefix + "country", "")
    if (country_code or address_given) and country_code not in countries():
        errors[prefix + "country"] = Message(MISSING_COUNTRY)
    for spec in country.fields:
        name = prefix + spec.name
        text = values.get(name, "")
        if name in errors:
            continue
        if not text:
            if address_given and spec.required:
                errors[name] = Message(spec.missing)
        elif spec.name == "postal_code" and not postal_code_ok(country, text):
            errors[name] = Message(country.postal_invalid, {"example": country.postal_example})
        elif spec.choices:
            # A listed region (a select; the link's prefill may name it in any of its names).
            choice = spec.choice(text)
            if choice is None:
                errors[name] = Message(spec.missing)
            else:
                clean[name] = choice.value
    if prefix + "postal_code" not in errors and country.field("postal_code") is not None:
        clean[prefix + "postal_code"] = values.get(prefix + "postal_code", "").upper()
    # A field the country's address has no place for is not kept.
    for name in ADDRESS_FIELDS:
        if country.field(name) is None:
            clean[prefix + name] = ""


def validate(
    values: Mapping[str, str], country: CountryRules, *, address_required: bool = False
) -> tuple[dict[str, str], dict[str, Message]]:
    """The customer record to store (phone in E.164) and the errors by field.

    ``values`` are the form's stripped texts under :data:`FIELD_NAMES`.
    ``address_required``: an order with a physical line needs the whole address.
    """
    errors: dict[str, Message] = {}
    clean = dict(values)
    _check_lengths(values, tuple(_MAX), errors)
    email = values.get("email", "")
    if "email" not in errors:
        if not email:
            errors["email"] = Message(MISSING_EMAIL)
        else:
            try:
                clean["email"] = check_email(email)
            except NonAsciiMailbox:
                errors["email"] = Message(NON_ASCII_EMAIL)
            except ValueError:
                errors["email"] = Message(BAD_EMAIL)
    # An address is optional, but one that is started must be complete for its country.
    _check_address(values, country, clean, errors, required=address_required)
    phone = values.get("phone", "")
    if phone and "phone" not in errors:
        e164 = phone_e164(phone, country.code)
        if e164 is None:
            errors["phone"] = Message(BAD_PHONE, {"example": country.phone_example})
        else:
            clean["phone"] = e164
    tax_id = values.get("tax_id", "")
    if tax_id and "tax_id" not in errors:
        compact = tax_id_compact(country, tax_id)
        if compact is None:
            errors["tax_id"] = Message(BAD_VAT if country.tax_label == "VAT number" else BAD_TAX_ID)
        else:
            clean["tax_id"] = compact
    return clean, errors


def validate_delivery(
    values: Mapping[str, str], billing: Mapping[str, str]
) -> tuple[dict[str, str], dict[str, Message]]:
    """The delivery address (:data:`DELIVERY_FIELDS`) and its errors by form field.

    With :data:`SAME_AS_BILLING` ticked (anything but ``"no"``) it is the
    ``billing`` address as validated; else the ``delivery_*`` fields, complete
    for their country as the billing address would be.
    """
    if values.get(SAME_AS_BILLING, "yes") != "no":
        return {name: billing.get(name, "") for name in DELIVERY_FIELDS}, {}
    prefix = "delivery_"
    errors: dict[str, Message] = {}
    clean = {name: values.get(name, "") for name in DELIVERY_NAMES}
    _check_lengths(values, tuple(n for n in DELIVERY_FIELDS if n != "country"), errors, prefix)
    code = values.get(prefix + "country", "")
    country = rules(code if code in countries() else "")
    _check_address(values, country, clean, errors, required=True, prefix=prefix)
    return {name: clean[prefix + name] for name in DELIVERY_FIELDS}, errors


def country_rules(values: Mapping[str, str]) -> CountryRules:
    """The rules of the country the form names (generic ones for none or a bad one)."""
    code = values.get("country", "")
    return rules(code if code in countries() else "")
