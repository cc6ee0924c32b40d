"""The customer's answers to a link's custom fields, checked when an order is placed.

Each field is the form's ``cf_<key>``. A required one must be answered; a
text is at most :data:`MAX_TEXT` characters without control or invisible
characters; a number is a decimal number as the page's locale writes it ("2,5"
in German, "2.5" in English; grouping such as "1.234,5" and the locale's own
digits are read too) and is stored as a plain decimal ("2.5"); a dropdown's
answer is one of its option values. The order keeps the answers by key
(``""`` for an optional field left empty) and, for the confirmation page and
the receipt, each answer as the customer read it (:class:`CustomFieldRow`).
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Mapping, Sequence
from decimal import Decimal, InvalidOperation
from functools import lru_cache

from babel.numbers import format_decimal, get_decimal_symbol

from checkout_links.core.checkout.form import CONTROL, too_long
from checkout_links.core.i18n.locales import PageLocale
from checkout_links.core.i18n.translatable import N_, Message
from checkout_links.core.links.custom_fields import label_for
from checkout_links.core.links.token import CustomField
from checkout_links.core.primitives import digits
from checkout_links.core.primitives.text import is_clean
from checkout_links.core.records import CustomFieldRow

#: The longest text answer.
MAX_TEXT = 200
#: The longest number as typed.
MAX_NUMBER = 40
#: The form's name of a field's answer is this prefix and its key.
PREFIX = "cf_"

# Translators: error at a required field; %(label)s is the seller's name for it (use your quotes).
MISSING = N_("Fill in \u201c%(label)s\u201d")
# Translators: the error at a required dropdown left on "Choose…"; %(label)s is its name.
MISSING_CHOICE = N_("Choose an option for \u201c%(label)s\u201d")
# Translators: error at a number field; %(label)s is its name, %(example)s is 2.5 (de: 2,5).
BAD_NUMBER = N_("Enter a number in \u201c%(label)s\u201d, like %(example)s")

#: White space and the apostrophes some locales group digits with (de-CH: 1'234).
_SPACES = re.compile(r"[\s'\u2019]")
_INTEGER = re.compile(r"\d+")


def form_name(field: CustomField) -> str:
    """The form's name of ``field``'s answer."""
    return PREFIX + field.key


def form_names(fields: Sequence[CustomField]) -> tuple[str, ...]:
    """The form's names of the answers to ``fields``, in their order."""
    return tuple(PREFIX + field.key for field in fields)


def _isolated(text: str) -> str:
    """A seller's text isolated for direction inside a sentence of ours (FSI ... PDI)."""
    return f"\u2068{text}\u2069"


@lru_cache(maxsize=256)
def number_example(babel_locale: str) -> str:
    """2.5 as ``babel_locale`` writes it, in its own digits ("2,5" in German)."""
    text = format_decimal(Decimal("2.5"), locale=babel_locale, numbering_system="default")
    return digits.native(text, babel_locale)


@lru_cache(maxsize=256)
def _separators(babel_locale: str) -> tuple[str, str]:
    point = get_decimal_symbol(babel_locale)
    point = point if point in ".," else "."
    return point, "," if point == "." else "."


def _grouped(text: str, group: str) -> bool:
    """Whether ``text`` is digits grouped by three with ``group`` (``1.234.567``)."""
    head, *rest = text.split(group)
    return (
        bool(rest)
        and 1 <= len(head) <= 3
        and head.isdigit()
        and all(len(part) == 3 and part.isdigit() for part in rest)
    )


def parse_number(text: str, babel_locale: str) -> str | None:
    """``text`` as a plain decimal string ("2.5"), read as ``babel_locale`` writes numbers.

    The locale's decimal separator, its thousands grouping and its digits (Persian,
    Arabic-Indic, ...) are read; a lone point or comma that cannot be grouping is
    the decimal separator. ``None`` when it is not a number.
    """
    chars = []
    for char in _SPACES.sub("", text):
        if char.isdecimal():
            chars.append(str(unicodedata.decimal(char)))
        elif char == "\u2212":  # the minus sign
            chars.append("-")
        else:
            chars.append(char)
    point, group = _separators(babel_locale)
    plain = "".join(chars).replace("\u066b", point).replace("\u066c", group)
    sign = ""
    if plain and plain[0] in "+-":
        sign, plain = ("-" if plain[0] == "-" else ""), plain[1:]
    whole, fraction = plain, ""
    if point in plain:
        whole, _, fraction = plain.partition(point)
        if not _INTEGER.fullmatch(fraction):
            return None
    elif group in plain and not _grouped(plain, group) and plain.count(group) == 1:
        # "2.5" on a German page: no grouping, so the point is the decimal separator.
        whole, _, fraction = plain.partition(group)
        if not _INTEGER.fullmatch(fraction):
            return None
    if group in whole:
        if not _grouped(whole, group):
            return None
        whole = whole.replace(group, "")
    if not whole and fraction:  # ",5"
        whole = "0"
    if not _INTEGER.fullmatch(whole):
        return None
    try:
        number = Decimal(f"{sign}{whole}.{fraction}" if fraction else f"{sign}{whole}")
    except InvalidOperation:  # pragma: no cover - the pattern admits digits only
        return None
    return format(number, "f")


def check(
    fields: Sequence[CustomField], values: Mapping[str, str], page: PageLocale | None
) -> tuple[dict[str, str], tuple[CustomFieldRow, ...], dict[str, Message]]:
    """The answers by key, the rows the customer read, and the errors by form field.

    ``values`` are the form's stripped texts; ``page`` the locale the page spoke
    (labels and numbers are read in it; ``None``: English).
    """
    babel_locale = page.babel if page is not None else "en"
    answers: dict[str, str] = {}
    rows: list[CustomFieldRow] = []
    errors: dict[str, Message] = {}
    for field in fields:
        name = form_name(field)
        label = label_for(field.label, page)
        text = values.get(name, "")
        answers[field.key] = ""
        if not text:
            if not field.optional:
                missing = MISSING_CHOICE if field.type == "dropdown" else MISSING
                errors[name] = Message(missing, {"label": _isolated(label)})
            continue
        shown = text
        if field.type == "dropdown":
            option = next((o for o in field.options or () if o.value == text), None)
            if option is None:
                errors[name] = Message(MISSING_CHOICE, {"label": _isolated(label)})
                continue
            shown = label_for(option.label, page)
        elif field.type == "numeric":
            if len(text) > MAX_NUMBER:
                errors[name] = too_long(MAX_NUMBER)
                continue
            number = parse_number(text, babel_locale) if is_clean(text) else None
            if number is None:
                example = number_example(babel_locale)
                errors[name] = Message(BAD_NUMBER, {"label": _isolated(label), "example": example})
                continue
            text = number
        elif not is_clean(text):
            errors[name] = Message(CONTROL)
            continue
        elif len(text) > MAX_TEXT:
            errors[name] = too_long(MAX_TEXT)
            continue
        answers[field.key] = text
        rows.append(CustomFieldRow(label=label, text=shown))
    return answers, tuple(rows), errors
