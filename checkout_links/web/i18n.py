"""The customer pages' words: gettext catalogs, loaded once per process.

Catalogs live in ``translations/<locale>/LC_MESSAGES/messages.{po,mo}``; the
``.mo`` files are committed (``pybabel compile``, see docs/checkout.md) and a
test checks they match the ``.po``, so a fresh ``pip install`` has them. Each
catalog is read from disk once; after that a lookup is a dictionary hit.
Templates call ``_()``/``ngettext()`` (Jinja's i18n extension, new-style:
autoescaped, ``%(name)s`` placeholders), which read the page's catalog from
the render context.
"""

from __future__ import annotations

import gettext
from functools import lru_cache
from pathlib import Path

from babel.support import Translations
from flask import Flask
from jinja2 import pass_context
from jinja2.runtime import Context

from checkout_links.core.locales import SUPPORTED
from checkout_links.core.translatable import Message

DIRECTORY = Path(__file__).parent / "translations"
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
    """Read every shipped catalog now (at app start), not on a first request."""
    for tag in SUPPORTED:
        catalog(tag)


def translate(translations: gettext.NullTranslations, message: Message) -> str:
    """A core :class:`Message` in the page's words, its placeholders filled."""
    if message.plural is not None:
        num = int(message.params["num"])
        text = translations.ngettext(message.msgid, message.plural, num)
    else:
        text = translations.gettext(message.msgid)
    return text % message.params if message.params else text


# Jinja's new-style wrappers escape the result and fill the placeholders.
@pass_context
def _gettext(context: Context, msgid: str) -> str:
    return str(context["translations"].gettext(msgid))


@pass_context
def _ngettext(context: Context, singular: str, plural: str, num: int) -> str:
    return str(context["translations"].ngettext(singular, plural, num))


def init_app(app: Flask) -> None:
    """Give the app's Jinja environment ``_``/``gettext``/``ngettext`` and load the catalogs."""
    app.jinja_env.add_extension("jinja2.ext.i18n")
    # newstyle: Jinja escapes the translated text and fills %(name)s itself.
    app.jinja_env.install_gettext_callables(  # type: ignore[attr-defined]
        _gettext, _ngettext, newstyle=True
    )
    load_all()
