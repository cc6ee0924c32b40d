"""Validation failures as sentences for a person: the one place that words them.

Pydantic's own messages name regular expressions and Python types ("String
should match pattern '^[A-Za-z0-9]...'"). :func:`sentence` turns each error
of a :class:`pydantic.ValidationError` into what a merchant developer should
change; the API's ``errors[].msg`` and the CLI both use it. Input values are
never echoed (they may be personal data).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from pydantic_core import ErrorDetails

from checkout_links.core.primitives import text

#: The one ``detail`` of every 422 that lists what to change in ``errors``.
INVALID = "The request is invalid: errors lists what to change."

#: A tax rate's percent: 0 to 100 with at most 4 decimals, as a decimal string.
PERCENT_PATTERN = r"^(100(\.0{1,4})?|[0-9]{1,2}(\.[0-9]{1,4})?)$"

#: What each pattern of ``schemas.py`` asks for, in words.
_PATTERNS = {
    r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$": (
        "Use 1 to 64 characters: a letter or digit first, then letters, digits, '.', '_' or '-'."
    ),
    r"^[A-Z]{3}$": "Use a three-letter ISO 4217 currency code in capitals, such as EUR.",
    r"^\d{1,12}(\.\d{1,12})?$": 'Write the amount as a decimal string such as "19.99".',
    r"^[0-9+()./ -]*$": "Use only digits, spaces and + ( ) . / - in a phone number.",
    r"^[A-Za-z_-]*$": "Use a language code such as de or pt-BR.",
    r"^#[0-9a-fA-F]{6}$": (
        'Write the colour in the form #rrggbb: "#" and six hex digits, such as "#1b2a6b".'
    ),
    r"^\d{1,3}(\.\d{1,2})?$": (
        'Write the percentage as a decimal string such as "10" or "12.5", with at most 2 '
        "decimal places."
    ),
    # Promotion codes (core/links/choices.py: CODE_PATTERN); any case is accepted.
    r"^[A-Z0-9_-]{3,40}$": "Use 3 to 40 characters: letters, digits, '_' or '-'.",
    # A custom field's key (core/links/custom_fields.py).
    r"^[a-z0-9_]{1,40}$": "Use 1 to 40 characters: lower-case letters, digits or '_'.",
    text.PATTERN: text.MESSAGE,
    text.MULTILINE_PATTERN: text.MULTILINE_MESSAGE,
    PERCENT_PATTERN: 'Write the percent as a decimal string from 0 to 100, such as "19" or "7.25".',
}

_BY_TYPE = {
    "missing": "This field is required.",
    "extra_forbidden": "This field is not part of the API: remove it or check its spelling.",
    "string_type": "Send text, as a JSON string.",
    "int_type": "Send a whole number.",
    "int_from_float": "Send a whole number, without a fractional part.",
    "int_parsing": "Send a whole number.",
    "bool_type": "Send true or false.",
    "dict_type": "Send a JSON object.",
    "model_type": "Send a JSON object.",
    "model_attributes_type": "Send a JSON object.",
    "list_type": "Send a JSON array.",
    "none_required": "Send null.",
}


def _plural(n: Any, word: str) -> str:
    return f"{n} {word}" if n == 1 else f"{n} {word}s"


def _sentence_of_text(text: str) -> str:
    text = text.strip()
    if not text:
        return "This value is invalid."
    text = text[0].upper() + text[1:]
    return text if text.endswith((".", "!", "?")) else text + "."


def pattern_sentence(pattern: str) -> str:
    """What a value that does not match ``pattern`` should look like, in words (never the regex)."""
    return _PATTERNS.get(pattern, "This value is not in the expected form.")


def sentence(error: ErrorDetails | Mapping[str, Any]) -> str:
    """What to change, as one sentence, for one pydantic error."""
    kind = str(error.get("type", ""))
    ctx: Mapping[str, Any] = error.get("ctx") or {}
    if kind in _BY_TYPE:
        return _BY_TYPE[kind]
    if kind == "string_pattern_mismatch":
        return pattern_sentence(str(ctx.get("pattern")))
    if kind == "string_too_long":
        return f"Use at most {_plural(ctx.get('max_length'), 'character')}."
    if kind == "string_too_short":
        if ctx.get("min_length") == 1:
            return "Enter a value: it cannot be empty or only spaces."
        return f"Use at least {_plural(ctx.get('min_length'), 'character')}."
    if kind == "too_long":
        return f"Send at most {_plural(ctx.get('max_length'), 'item')}."
    if kind == "too_short":
        return f"Send at least {_plural(ctx.get('min_length'), 'item')}."
    if kind in ("greater_than_equal", "greater_than"):
        return f"Use a number of at least {ctx.get('ge', ctx.get('gt'))}."
    if kind in ("less_than_equal", "less_than"):
        return f"Use a number of at most {ctx.get('le', ctx.get('lt'))}."
    if kind == "literal_error":
        return f"Use one of {ctx.get('expected')}."
    if kind == "value_error":
        # Our own validators raise ValueError with a sentence of their own.
        cause = ctx.get("error")
        return _sentence_of_text(str(cause) if cause is not None else str(error.get("msg", "")))
    return _sentence_of_text(str(error.get("msg", "")).removeprefix("Value error, "))
