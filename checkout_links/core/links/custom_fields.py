"""A link's custom fields: the seller's questions on the checkout form (``custom_fields``).

Up to three per link, each a ``text``, ``numeric`` or ``dropdown`` field with
a label (one text, or texts per locale) and, for a dropdown, its options. This
module holds what ``POST /api/v1/links`` accepts (:class:`CustomFieldIn`), the
rules the schema cannot state (:func:`field_errors`: unique keys, options for
dropdowns only, unique option values), the token's form of them
(:func:`token_fields`) and the label a page in a locale shows (:func:`label_for`).
The answers are checked where an order is placed
(:mod:`checkout_links.core.checkout.custom_fields`).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Annotated, Literal

from pydantic import ConfigDict, Field, PlainValidator, StringConstraints, WithJsonSchema

from checkout_links.core.errors import FieldError
from checkout_links.core.i18n.locales import PageLocale, canonical_tag, text_tags
from checkout_links.core.links.token import CustomField, FieldOption, Label
from checkout_links.core.primitives.text import MESSAGE as CONTROL_MESSAGE
from checkout_links.core.primitives.text import PATTERN as NO_CONTROLS_PATTERN
from checkout_links.core.primitives.text import NoControls, is_clean
from checkout_links.core.schemas import Strict

#: The most custom fields a link may have.
MAX_FIELDS = 3
#: The most options a dropdown may have.
MAX_OPTIONS = 50
#: The longest label (of a field or an option), per locale.
MAX_LABEL = 80
#: The longest option value.
MAX_VALUE = 100
#: A field's key; the form's field is ``cf_<key>``.
KEY_PATTERN = r"^[a-z0-9_]{1,40}$"
#: The most locales a label may have (as product translations).
MAX_LOCALES = 60

FieldType = Literal["text", "numeric", "dropdown"]


def _text(value: object, what: str) -> str:
    if not isinstance(value, str):
        raise ValueError(f"Send {what} as text, or as an object of texts per locale.")
    text = value.strip()
    if not text:
        raise ValueError(f"Enter {what}: it cannot be empty or only spaces.")
    if len(text) > MAX_LABEL:
        raise ValueError(f"Keep {what} at most {MAX_LABEL} characters long.")
    if not is_clean(text):
        raise ValueError(CONTROL_MESSAGE)
    return text


def _check_label(value: object) -> Label:
    """A label as text, or per locale with keys in CLDR's spelling (``pt-br`` -> ``pt-BR``)."""
    if not isinstance(value, dict):
        return _text(value, "the label")
    if not value:
        raise ValueError("Give the label in at least one locale.")
    if len(value) > MAX_LOCALES:
        raise ValueError(f"Give the label in at most {MAX_LOCALES} locales.")
    out: dict[str, str] = {}
    for key, text in value.items():
        tag = canonical_tag(key) if len(key) <= 35 else None
        if tag is None:
            raise ValueError(f"{key[:40]!r} is not a locale such as de, pt-BR or zh-Hans.")
        if tag in out:
            raise ValueError(f"{key[:40]!r} names the same locale as another key.")
        out[tag] = _text(text, f"the label in {tag!r}")
    return out


_TEXT_SCHEMA = {
    "type": "string",
    "minLength": 1,
    "maxLength": MAX_LABEL,
    "pattern": NO_CONTROLS_PATTERN,
}
#: A seller's text on the page: one for every locale, or per locale.
LabelIn = Annotated[
    str | dict[str, str],
    PlainValidator(_check_label),
    WithJsonSchema(
        {
            "oneOf": [
                _TEXT_SCHEMA,
                {
                    "type": "object",
                    "minProperties": 1,
                    "maxProperties": MAX_LOCALES,
                    "propertyNames": {"pattern": r"^[A-Za-z]{2,8}([_-][A-Za-z0-9]{1,8})*$"},
                    "additionalProperties": _TEXT_SCHEMA,
                },
            ]
        }
    ),
]
OptionValue = Annotated[
    str, StringConstraints(strip_whitespace=True, min_length=1, max_length=MAX_VALUE), NoControls
]


class FieldOptionIn(Strict):
    """One choice of a dropdown."""

    value: OptionValue = Field(
        description="What the order records when it is chosen (1..100 characters).",
        examples=["eu-west"],
    )
    label: LabelIn = Field(
        description="What the customer reads: text, or texts per locale (1..80 characters).",
        examples=[{"en": "Europe (Frankfurt)", "de": "Europa (Frankfurt)"}],
    )


class CustomFieldIn(Strict):
    """A question the checkout form asks; the order holds the answer under ``key``."""

    # A dropdown needs its options, and only a dropdown has any: stated for the readers of
    # the document (field_errors() says it with a pointer).
    model_config = ConfigDict(
        json_schema_extra={
            "if": {"properties": {"type": {"const": "dropdown"}}, "required": ["type"]},
            "then": {"required": ["options"], "properties": {"options": {"type": "array"}}},
            "else": {"properties": {"options": {"type": "null"}}},
        }
    )

    key: Annotated[str, StringConstraints(pattern=KEY_PATTERN)] = Field(
        description="Names the answer in the order's custom_fields; the form field is cf_<key>.",
        examples=["licence_holder"],
    )
    label: LabelIn = Field(
        description=(
            "The field's label: text, or texts per locale (de, pt-BR, ...; 1..80 characters "
            "each), chosen as product translations are, else en, else the first."
        ),
        examples=[{"en": "Licence holder", "de": "Lizenzinhaber"}],
    )
    type: FieldType = Field(
        description="text (up to 200 characters), numeric (a decimal number) or dropdown.",
        examples=["text"],
    )
    optional: bool = Field(
        False, description="true: the customer may leave it empty.", examples=[False]
    )
    options: list[FieldOptionIn] | None = Field(
        None,
        min_length=1,
        max_length=MAX_OPTIONS,
        description="A dropdown's choices (1..50, unique values); only for a dropdown.",
        examples=[None],
    )


CustomFieldsIn = Annotated[list[CustomFieldIn], Field(max_length=MAX_FIELDS)]


def field_errors(fields: Sequence[CustomFieldIn]) -> list[FieldError]:
    """What the schema cannot say: unique keys, options exactly for dropdowns, unique values."""
    errors: list[FieldError] = []
    seen: dict[str, int] = {}
    for i, spec in enumerate(fields):
        loc: tuple[str | int, ...] = ("body", "custom_fields", i)
        if spec.key in seen:
            msg = f"Use each key once: custom_fields[{seen[spec.key]}] has this key too."
            errors.append(FieldError((*loc, "key"), msg))
        seen.setdefault(spec.key, i)
        if spec.type == "dropdown" and not spec.options:
            errors.append(
                FieldError((*loc, "options"), f"Give a dropdown 1 to {MAX_OPTIONS} options.")
            )
        elif spec.type != "dropdown" and spec.options is not None:
            msg = "Only a dropdown takes options: remove them, or make the field a dropdown."
            errors.append(FieldError((*loc, "options"), msg))
        values: dict[str, int] = {}
        for k, option in enumerate(spec.options or ()):
            if option.value in values:
                msg = f"Use each value once: option {values[option.value]} has this value too."
                errors.append(FieldError((*loc, "options", k, "value"), msg))
            values.setdefault(option.value, k)
    return errors


def token_fields(fields: Sequence[CustomFieldIn] | None) -> list[CustomField] | None:
    """The token's form of validated ``fields`` (``None`` for none)."""
    if not fields:
        return None
    return [
        CustomField(
            key=spec.key,
            label=spec.label,
            type=spec.type,
            optional=spec.optional,
            options=(
                [FieldOption(option.value, option.label) for option in spec.options]
                if spec.options
                else None
            ),
        )
        for spec in fields
    ]


def label_for(label: Label, page: PageLocale | None) -> str:
    """The text of ``label`` for a page in ``page``'s locale.

    Per locale, it is looked up as product translations are (``de-CH``, then
    ``de``, then the page's words), then in ``en``, then the first one given.
    """
    if isinstance(label, str):
        return label
    if page is not None:
        for tag in text_tags(page):
            text = label.get(tag)
            if text is not None:
                return text
    return label.get("en") or next(iter(label.values()), "")
