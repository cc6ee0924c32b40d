"""The free-text rule: controls, separators and invisible characters are refused, the
joiners that scripts need are not."""

from __future__ import annotations

import sys
import unicodedata
from typing import Annotated

import pytest
from pydantic import TypeAdapter, ValidationError

from checkout_links.core.primitives import text

FREE_TEXT = TypeAdapter(Annotated[str, text.NoControls])

#: What the adversary pasted into every field (issue 23, point 14), and the rest of the rule.
INVISIBLE = [
    "\u200b",  # zero-width space
    "\u200e",  # left-to-right mark
    "\u200f",  # right-to-left mark
    "\u061c",  # Arabic letter mark
    "\u2028",  # line separator
    "\u2029",  # paragraph separator
    "\ufeff",  # byte order mark
    "\u2060",  # word joiner
    "\u2064",  # invisible plus
    "\u206a",  # inhibit symmetric swapping
    "\u206f",  # nominal digit shapes
    "\U000e0001",  # language tag
    "\U000e0041",  # tag latin capital A
    "\U000e007f",  # cancel tag
    "\u00ad",  # soft hyphen
    "\u3164",  # Hangul filler
    "\ufff9",  # interlinear annotation anchor
]

#: Format characters a script needs: the joiners, and number signs that are drawn.
ALLOWED_FORMAT = {0x200C, 0x200D, *range(0x0600, 0x0606), 0x06DD, 0x070F, 0x0890, 0x0891}
ALLOWED_FORMAT |= {0x08E2, 0x110BD, 0x110CD}


@pytest.mark.parametrize("char", INVISIBLE, ids=lambda c: f"U+{ord(c):04X}")
def test_invisible_characters_are_refused_anywhere_in_a_text(char: str) -> None:
    """The pattern pydantic checks refuses the character at the start, inside and at the end."""
    for value in (f"{char}Ana", f"A{char}na", f"Ana{char}"):
        with pytest.raises(ValidationError, match="should match pattern"):
            FREE_TEXT.validate_python(value)
        assert not text.is_clean(value)


def test_every_format_character_but_the_script_ones_is_refused() -> None:
    """Each Unicode format (Cf) character is refused unless a script needs it to be written."""
    kept = []
    for code in range(sys.maxunicode + 1):
        char = chr(code)
        if unicodedata.category(char) != "Cf" or code in ALLOWED_FORMAT:
            continue
        try:
            FREE_TEXT.validate_python(f"a{char}b")
        except ValidationError:
            continue
        kept.append(f"U+{code:04X}")
    assert kept == []


@pytest.mark.parametrize(
    "value",
    [
        # Persian "mi-khaham": the zero-width non-joiner keeps the prefix apart
        "\u0645\u06cc\u200c\u062e\u0648\u0627\u0647\u0645",
        "क्\u200dष",  # Devanagari with a zero-width joiner
        "👩\u200d💻 dev",  # an emoji sequence joined by U+200D
        "\u0601\u0661\u0662",  # Arabic sign sanah before digits (drawn)
        "José Ñúñez 山田 محمد Tel\u00a0Aviv",
    ],
)
def test_joiners_scripts_need_and_visible_signs_are_accepted(value: str) -> None:
    """ZWNJ and ZWJ (Persian, Indic, emoji) and the drawn Arabic number signs pass."""
    assert FREE_TEXT.validate_python(value) == value
    assert text.is_clean(value)


def test_the_invisible_start_of_a_text_is_what_a_spreadsheet_drops() -> None:
    """strip_invisible_start drops leading spaces and refused characters, nothing after them."""
    assert text.strip_invisible_start("\u200b \ufeff=1+1") == "=1+1"
    assert text.strip_invisible_start("\U000e0041=A1 \u200b") == "=A1 \u200b"
    assert text.strip_invisible_start("Ana") == "Ana"
