"""The gettext catalogs of customer-facing words, loaded once per process (no web framework).

Catalogs live in ``translations/<locale>/LC_MESSAGES/messages.{po,mo}`` (next to this module);
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

from checkout_links.core.i18n.locales import PARENTS, SUPPORTED
from checkout_links.core.i18n.translatable import Message

DIRECTORY = Path(__file__).resolve().parent / "translations"
DOMAIN = "messages"


def babel_name(tag: str) -> str:
    """``zh-Hans`` -> ``zh_Hans``: the catalog directory of a BCP 47 tag."""
    return tag.replace("-", "_")


@lru_cache(maxsize=len(SUPPORTED) + 1)
def catalog(words: str) -> gettext.NullTranslations:
    """The compiled catalog of ``words`` (one of ``SUPPORTED``), read once per process.

    English is the source language: its catalog is the identity. A regional
    catalog (``es-419``) holds only the words that differ from its parent's
    (``locales.PARENTS``): gettext falls back to the parent for the others. A
    catalog missing on disk shows its parent's words, or English.
    """
    parent = PARENTS.get(words)
    fallback = catalog(parent) if parent else gettext.NullTranslations()
    path = DIRECTORY / babel_name(words) / "LC_MESSAGES" / f"{DOMAIN}.mo"
    if words == "en" or not path.exists():
        return fallback
    with path.open("rb") as handle:
        translations = Translations(handle, domain=DOMAIN)
    if parent is not None:
        _drop_unwritten_plurals(translations)
    translations.add_fallback(fallback)
    return translations


def _drop_unwritten_plurals(translations: Translations) -> None:
    """Forget the plurals a regional catalog leaves to its parent.

    ``pybabel compile`` writes an untranslated plural entry with the English
    msgids as its forms (an untranslated singular it leaves out), which would
    hide the parent's translation behind English.
    """
    entries = translations._catalog
    english = {
        key[0]
        for key, text in entries.items()
        if isinstance(key, tuple) and key[1] == 0 and text == key[0]
    }
    for key in [key for key in entries if isinstance(key, tuple) and key[0] in english]:
        del entries[key]


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
