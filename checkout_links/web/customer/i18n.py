"""The customer pages' words: gettext catalogs in Jinja.

The catalogs are loaded by :mod:`checkout_links.core.i18n.catalogs` (once per
process; after that a lookup is a dictionary hit). Templates call
``_()``/``ngettext()`` (Jinja's i18n extension, new-style: autoescaped,
``%(name)s`` placeholders), which read the page's catalog from the render
context.
"""

from __future__ import annotations

from flask import Flask
from jinja2 import pass_context
from jinja2.runtime import Context
from markupsafe import Markup

# The Flask-free loader is shared with the receipts (core/i18n/catalogs.py).
from checkout_links.core.i18n.catalogs import (
    DIRECTORY,
    DOMAIN,
    babel_name,
    catalog,
    load_all,
    translate,
)

__all__ = ["DIRECTORY", "DOMAIN", "babel_name", "catalog", "init_app", "load_all", "translate"]


# Jinja's new-style wrappers escape the result and fill the placeholders.
@pass_context
def _gettext(context: Context, msgid: str) -> str:
    return str(context["translations"].gettext(msgid))


@pass_context
def _ngettext(context: Context, singular: str, plural: str, num: int) -> str:
    return str(context["translations"].ngettext(singular, plural, num))


def isolate(text: str) -> Markup:
    """The seller's or the customer's ``text`` isolated for direction, for a sentence of ours.

    ``<bdi>`` takes the text's own direction without turning the sentence
    around it: in an Arabic page "Sold by Ruiz GmbH." keeps its full stop
    where Arabic ends a sentence.
    """
    return Markup('<bdi class="text">{}</bdi>').format(text)


def init_app(app: Flask) -> None:
    """Give the app's Jinja environment ``_``/``gettext``/``ngettext`` and load the catalogs."""
    app.jinja_env.add_extension("jinja2.ext.i18n")
    # newstyle: Jinja escapes the translated text and fills %(name)s itself.
    app.jinja_env.install_gettext_callables(  # type: ignore[attr-defined]
        _gettext, _ngettext, newstyle=True
    )
    app.jinja_env.filters["isolate"] = isolate
    load_all()
