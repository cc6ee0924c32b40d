"""The gettext catalogs of customer-facing words, loaded once per process (no web framework).

Catalogs live in ``web/translations/<locale>/LC_MESSAGES/messages.{po,mo}``;
the ``.mo`` files are committed (``pybabel compile``, see docs/checkout.md) and
a test checks they match the ``.po``, so a fresh ``pip install`` has them. The
pages (``web/customer/i18n.py``) and the receipts (``receipts/``) read them through
here, so an email speaks exactly the words of the page the customer saw.
"""

from __future__ import annotations

import gettext
from functools import lru_cache
from pathlib import Path

from babel.support import Translations

from checkout_links.core.i18n.locales import SUPPORTED
from checkout_links.core.i18n.translatable import Message

DIRECTORY = Path(__file__).resolve().parent / "translations"
DOMAIN = "messages"


def babel_name(tag: str) -> str:
    """``zh-Hans`` -> ``zh_Hans``: the catalog directory of a BCP 47 tag."""
    return tag.replace("-", "_")


@lru_cache(maxsize=len(SUPPORTED) + 1)
def catalog(words: str) -> gettext.NullTranslations:
    """The compiled catalog of ``words`` (one of ``SUPPORTED``), read once per process.

    English is the source language: its catalog is the identity. A catalog that
    is missing on disk (a locale not yet translated) shows English words.
    """
    path = DIRECTORY / babel_name(words) / "LC_MESSAGES" / f"{DOMAIN}.mo"
    if words == "en" or not path.exists():
        return gettext.NullTranslations()
    with path.open("rb") as handle:
        return Translations(handle, domain=DOMAIN)


def load_all() -> None:
    """Read every shipped catalog now (at start-up), not on a first request."""
    for tag in SUPPORTED:
        catalog(tag)


def translate(translations: gettext.NullTranslations, message: Message) -> str:
    """A core :class:`Message` in the catalog's words, its placeholders filled."""
    if message.plural is not None:
        num = int(message.params["num"])
        text = translations.ngettext(message.msgid, message.plural, num)
    else:
        text = translations.gettext(message.msgid)
    return text % message.params if message.params else text
