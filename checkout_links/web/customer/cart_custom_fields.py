"""The cart page's custom fields: the seller's questions, in a fieldset of their own.

Drawn only for a link that has custom fields (a link without costs nothing
here). Each label is the seller's text in the page's locale
(:func:`~checkout_links.core.links.custom_fields.label_for`), isolated for
direction (``<bdi>``); a required field has the page's star and ``required``,
an optional one says so after its label. A text is an input, a number an
input with the decimal keypad, a dropdown a select that starts on "Choose…".
Values and errors come back on a re-rendered form, as for the other fields.
"""

from __future__ import annotations

import gettext
from collections.abc import Mapping, Sequence

from markupsafe import Markup

from checkout_links.core.checkout.custom_fields import form_name
from checkout_links.core.i18n.locales import PageLocale
from checkout_links.core.i18n.translatable import N_
from checkout_links.core.links.custom_fields import label_for
from checkout_links.core.links.token import CustomField
from checkout_links.web.customer.cart_page import escape

LEGEND = N_("Additional information")
# Translators: label of a field that may be left empty; %(label)s is its name, e.g. PO number.
OPTIONAL = N_("%(label)s (optional)")
# Translators: the first entry of a dropdown list, shown until the customer chooses.
CHOOSE = N_("Choose\u2026")


def _label(t: gettext.NullTranslations, name: str, text: str, optional: bool) -> str:
    isolated = f'<bdi class="text">{escape(text)}</bdi>'
    if optional:
        inner = escape(t.gettext(OPTIONAL)) % {"label": isolated}
    else:
        inner = f'{isolated} <span class="req" aria-hidden="true">*</span>'
    return f'<label for="f-{name}">{inner}</label>\n'


def _select(
    t: gettext.NullTranslations,
    field: CustomField,
    page: PageLocale,
    name: str,
    value: str,
    attrs: str,
) -> str:
    options = [f'<option value="">{escape(t.gettext(CHOOSE))}</option>']
    for option in field.options or ():
        chosen = " selected" if option.value == value else ""
        options.append(
            f'<option value="{escape(option.value)}" dir="auto"{chosen}>'
            f"{escape(label_for(option.label, page))}</option>"
        )
    return f'<select id="f-{name}" name="{name}"{attrs}>{"".join(options)}</select>\n'


def fieldset(
    t: gettext.NullTranslations,
    page: PageLocale,
    fields: Sequence[CustomField],
    values: Mapping[str, str],
    errors: Mapping[str, str],
) -> Markup:
    """The custom fields' fieldset, pre-filled with ``values``, each with its error if any."""
    parts = [f'<fieldset id="custom-fields">\n<legend>{escape(t.gettext(LEGEND))}</legend>\n']
    for field in fields:
        name = form_name(field)
        value, error = values.get(name, ""), errors.get(name)
        attrs = "" if field.optional else ' required aria-required="true"'
        if error:
            attrs += f' aria-invalid="true" aria-describedby="e-{name}"'
        err = f'<p class="error" id="e-{name}">{escape(error)}</p>\n' if error else ""
        parts.append(f'<div class="field{" invalid" if error else ""}">')
        parts.append(_label(t, name, label_for(field.label, page), field.optional))
        if field.type == "dropdown":
            # As the other lists of the form: the error between the label and the list.
            parts += [err, _select(t, field, page, name, value, attrs)]
        else:
            mode = (
                ' inputmode="decimal" spellcheck="false"'
                if field.type == "numeric"
                else ' dir="auto"'
            )
            parts.append(
                f'<input id="f-{name}" name="{name}" type="text" autocomplete="off"{mode}'
                f'{attrs} value="{escape(value)}">\n{err}'
            )
        parts.append("</div>\n")
    parts.append("</fieldset>\n")
    # S704: every seller's text, value and error went through escape().
    return Markup("".join(parts))  # noqa: S704
