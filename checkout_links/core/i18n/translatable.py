"""Customer-facing messages of the core, as message ids the web side translates.

The core never translates (it knows no request and no catalog): it returns
:class:`Message` values whose ``msgid`` ``pybabel extract`` finds through the
``N_``/``Nn_`` markers, and ``web/customer/i18n.py`` turns them into the page's words.
"""

from __future__ import annotations

from dataclasses import dataclass, field


def N_(msgid: str) -> str:
    """Mark ``msgid`` for extraction; translated later, where the locale is known."""
    return msgid


@dataclass(frozen=True, slots=True)
class Message:
    """A sentence for a person: ``msgid`` with named ``%(...)s`` placeholders.

    With ``plural`` set it is a plural message chosen by ``params["num"]``.
    """

    msgid: str
    params: dict[str, str | int] = field(default_factory=dict)
    plural: str | None = None


def Nn_(singular: str, plural: str, num: int, **params: str | int) -> Message:
    """A plural message, marked for extraction (``num`` picks the form)."""
    return Message(singular, {"num": num, **params}, plural)


def N_plural(singular: str, plural: str) -> tuple[str, str]:
    """Mark a plural pair for extraction; the count comes where it is translated."""
    return singular, plural
