"""The rule every free-text input follows: no control, separator or invisible characters.

A NUL or an escape in a name ends up in orders, webhooks, invoices and the
merchant's systems; a right-to-left override (``U+202E``) makes ``gnp.exe``
read as ``exe.png``; a line separator (``U+2028``) breaks an email header; a
zero-width space or a tag character makes two names that look the same
compare different, hides text from a reviewer, and puts a spreadsheet formula
behind what looks like an empty start. Every text field of the API and of the
checkout form refuses all of :data:`REFUSED`.

The rule, in one sentence: every Unicode *format* character (category Cf) is
refused except the ones a script needs to be written correctly, plus the
controls, the line and paragraph separators and the invisible fillers.
Allowed are :data:`SCRIPT_FORMAT_CHARACTERS`: the zero-width non-joiner and
joiner (``U+200C``/``U+200D``, needed by Persian, the Indic scripts and emoji
sequences such as 👩‍💻) and the *visible* prepended concatenation marks of
Arabic, Syriac and Kaithi (number signs drawn around the digits that follow).
Lost on purpose: the subdivision flags (🏴 plus tag characters), which would
otherwise let any text carry an invisible message.

The rule is a pattern, so pydantic-core checks it in Rust at no measurable
cost and the OpenAPI document states it; ``i18n/messages.py`` turns pydantic's
"should match pattern" into :data:`MESSAGE`, words a merchant or a customer can act on.
"""

from __future__ import annotations

import re

from pydantic import AfterValidator, Field, StringConstraints

#: Every refused character, as inclusive code point ranges.
REFUSED: tuple[tuple[int, int], ...] = (
    (0x0000, 0x001F),  # C0 controls, tab and newline included: no field is multi-line
    (0x007F, 0x009F),  # DEL and the C1 controls (NEL U+0085 among them)
    (0x00AD, 0x00AD),  # soft hyphen: invisible except at a line break
    (0x061C, 0x061C),  # Arabic letter mark (a bidirectional mark)
    (0x115F, 0x1160),  # Hangul choseong and jungseong fillers: blank
    (0x180E, 0x180E),  # Mongolian vowel separator (was a space; modern fonts draw nothing)
    (0x200B, 0x200B),  # zero-width space
    (0x200E, 0x200F),  # left-to-right and right-to-left marks
    (0x2028, 0x202E),  # line and paragraph separators; LRE, RLE, PDF, LRO, RLO
    (0x2060, 0x206F),  # word joiner, invisible operators, LRI..PDI, deprecated format
    (0x3164, 0x3164),  # Hangul filler: blank
    (0xFEFF, 0xFEFF),  # zero-width no-break space (byte order mark)
    (0xFFA0, 0xFFA0),  # halfwidth Hangul filler: blank
    (0xFFF9, 0xFFFB),  # interlinear annotation controls
    (0x13430, 0x1343F),  # Egyptian hieroglyph format controls
    (0x1BCA0, 0x1BCA3),  # shorthand format controls
    (0x1D173, 0x1D17A),  # musical symbol format controls
    (0xE0000, 0xE007F),  # tag characters: an invisible copy of ASCII
)

#: Format characters (Cf) that stay allowed, because a script needs them and
#: they either join letters or are drawn.
SCRIPT_FORMAT_CHARACTERS = frozenset(
    {0x200C, 0x200D}  # zero-width non-joiner and joiner
    | set(range(0x0600, 0x0606))  # Arabic number signs (visible)
    | {0x06DD, 0x070F, 0x0890, 0x0891, 0x08E2}  # end of ayah, Syriac, pound and piastre marks
    | {0x110BD, 0x110CD}  # Kaithi number signs (visible)
)


def _escape(code: int) -> str:
    # \xNN and \uNNNN read the same in Python's re, Rust's regex (pydantic-core)
    # and ECMA-262 (JSON Schema validators of the OpenAPI document). No escape
    # beyond the BMP reads the same in all three, so those stay literal
    # characters, which all three (ECMA-262 with its "u" flag) take as they are.
    if code < 0x100:
        return f"\\x{code:02x}"
    if code < 0x10000:
        return f"\\u{code:04x}"
    return chr(code)


_CLASS = "".join(
    _escape(first) if first == last else f"{_escape(first)}-{_escape(last)}"
    for first, last in REFUSED
)

#: A whole text without any refused character (for pydantic and JSON Schema).
PATTERN = f"^[^{_CLASS}]*$"

#: Finds a refused character anywhere in a text.
FORBIDDEN = re.compile(f"[{_CLASS}]")

#: Add to a ``str`` field's ``Annotated`` metadata (a field without its own pattern).
NoControls = StringConstraints(pattern=PATTERN)


def _not_blank(value: str) -> str:
    if not value:
        raise ValueError("must not be empty or only white space")
    return value


#: A text field that must hold more than white space, for a model that strips white
#: space (``str_strip_whitespace``): the document states ``minLength: 1``, and a
#: text of spaces alone (U+00A0 too, which the schema cannot tell) is refused by
#: this check rather than as "too short" after the model stripped it.
NotBlank = (Field(json_schema_extra={"minLength": 1}), AfterValidator(_not_blank))

#: The same rule for the one multi-line text (a postal address): newline (U+000A) allowed.
MULTILINE_PATTERN = "^[^{}]*$".format(
    "".join(
        part
        for first, last in REFUSED
        for lo, hi in (((first, 0x09), (0x0B, last)) if first <= 0x0A <= last else ((first, last),))
        if lo <= hi
        for part in ([_escape(lo)] if lo == hi else [f"{_escape(lo)}-{_escape(hi)}"])
    )
)

MESSAGE = (
    "This text must not contain control characters (U+0000-U+001F, U+007F-U+009F), "
    "line or paragraph separators (U+2028, U+2029), bidirectional marks and overrides "
    "(U+061C, U+200E, U+200F, U+202A-U+202E, U+2066-U+2069) or invisible characters "
    "(such as U+00AD, U+200B, U+2060, U+FEFF and the tags U+E0000-U+E007F)."
)

MULTILINE_MESSAGE = MESSAGE.replace(
    "control characters (U+0000-U+001F, U+007F-U+009F)",
    "control characters other than line breaks (U+0000-U+001F, U+007F-U+009F)",
)


def is_clean(text: str) -> bool:
    """Whether ``text`` holds none of the refused characters."""
    return FORBIDDEN.search(text) is None


def strip_invisible_start(text: str) -> str:
    """``text`` without the refused characters and white space it starts with.

    A spreadsheet reads ``\\u200b=HYPERLINK(...)`` or `` =1+1`` as the formula
    once it drops what it cannot show; the CSV guard looks at what follows.
    """
    start = 0
    while start < len(text) and (text[start].isspace() or FORBIDDEN.match(text, start)):
        start += 1
    return text[start:]
