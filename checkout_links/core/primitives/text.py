"""The rule every free-text input follows: no control or bidirectional formatting characters.

A NUL or an escape in a name ends up in orders, webhooks, invoices and the
merchant's systems, and a right-to-left override (``U+202E``) makes
``gnp.exe`` read as ``exe.png``. Every text field of the API and of the
checkout form refuses the C0 and C1 controls (tab and newline included: no
field is multi-line) and the bidirectional override and isolate characters.

The rule is a pattern, so pydantic-core checks it in Rust at no measurable
cost and the OpenAPI document states it; ``i18n/messages.py`` turns pydantic's
"should match pattern" into :data:`MESSAGE`, words a merchant or a customer can act on.
"""

from __future__ import annotations

from pydantic import StringConstraints

#: C0 (U+0000-U+001F), DEL and C1 (U+007F-U+009F), LRE/RLE/PDF/LRO/RLO
#: (U+202A-U+202E), LRI/RLI/FSI/PDI (U+2066-U+2069): none of them anywhere.
PATTERN = r"^[^\x00-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]*$"

#: Add to a ``str`` field's ``Annotated`` metadata (a field without its own pattern).
NoControls = StringConstraints(pattern=PATTERN)

#: The same rule for the one multi-line text (a postal address): newline (U+000A) allowed.
MULTILINE_PATTERN = r"^[^\x00-\x09\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]*$"

MESSAGE = (
    "This text must not contain control characters (U+0000-U+001F, U+007F-U+009F) "
    "or bidirectional override and isolate characters (U+202A-U+202E, U+2066-U+2069)."
)

MULTILINE_MESSAGE = (
    "This text must not contain control characters other than line breaks, "
    "or bidirectional override and isolate characters (U+202A-U+202E, U+2066-U+2069)."
)
