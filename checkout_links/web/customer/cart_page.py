"""The cart page's HTML parts: the order's lines and the customer form.

``templates/cart.html`` holds the page; the parts repeated per line and per
field are built here with ``str.join`` and a plain-string escape. Rendered by
Jinja they were most of the page's cost (one generator step and one
``Markup`` per expression, some 200 a page), and the cart page is the
service's most frequent request. The translated, per-country parts (labels,
the country list) are built once per (locale, country) and cached; only the
values and the errors differ between pages. Everything interpolated is
escaped here; the results are :class:`~markupsafe.Markup`.
"""

from __future__ import annotations

import gettext
from collections.abc import Iterable, Mapping
from functools import lru_cache

from markupsafe import Markup

from checkout_links.core.checkout.address import (
    CountryRules,
    country_names,
    reads_native,
    rules,
    sort_key,
)
from checkout_links.core.checkout.form import FIELD_NAMES, MISSING_COUNTRY, SAME_AS_BILLING
from checkout_links.core.i18n import line_words
from checkout_links.core.i18n.translatable import N_
from checkout_links.core.primitives import digits
from checkout_links.core.records import Line
from checkout_links.web.customer.i18n import catalog

__all__ = ["FIELD_NAMES", "consent", "error_list", "fields", "rows"]

#: (name, label, type, autocomplete, inputmode) of the fields every country has.
_CONTACT = (
    ("email", N_("Email address"), "email", "email", "email"),
    ("phone", N_("Phone number"), "tel", "tel", "tel"),
)
_NAMES = (
    ("first_name", N_("First name"), "text", "given-name", "text"),
    ("last_name", N_("Last name"), "text", "family-name", "text"),
    ("company", N_("Company"), "text", "organization", "text"),
)
_CONTACT_LEGEND = N_("Contact details")
_DELIVERY_LEGEND = N_("Delivery address")
_BILLING_LEGEND = N_("Billing address")
_COUNTRY_LABEL = N_("Country")
_ADDRESS_HINT = N_("If you enter an address, fill in every field marked with *.")
# Translators: above the billing address of an order with items that are shipped.
_ADDRESS_REQUIRED_HINT = N_("Fill in every field of your address marked with *.")
# Translators: the checkbox (ticked at first) that ships the order to the billing address.
_SAME_AS_BILLING = N_("Deliver to my billing address")
# Translators: above the fields of a separate delivery address.
_DELIVERY_HINT = N_("To deliver somewhere else, untick the box above and enter that address.")
_UPDATE = N_("Update the form for this country")
# Translators: the label of the checkbox accepting the seller's terms; %(seller)s is the shop.
_CONSENT = N_("I agree to the terms of service of %(seller)s")
# Translators: a link under the terms checkbox that opens the seller's terms.
_READ_TERMS = N_("Read the terms of service")


def escape(text: str) -> str:
    """Escape like Jinja's autoescape (markupsafe), without its ``Markup`` per call.

    The same entities as the rest of the site's pages, at a fifth of the cost.
    """
    return (
        text.replace("&", "&amp;")
        .replace("<", "&lt;")
        .replace(">", "&gt;")
        .replace('"', "&#34;")
        .replace("'", "&#39;")
    )


_ESCAPED: dict[tuple[int, str], str] = {}


def _escaped(t: gettext.NullTranslations, msgid: str) -> str:
    """``escape(t.gettext(msgid))``, once per catalog (catalogs live as long as the process)."""
    key = (id(t), msgid)
    text = _ESCAPED.get(key)
    if text is None:
        text = _ESCAPED[key] = escape(t.gettext(msgid))
    return text


def line_html(
    t: gettext.NullTranslations,
    line: Line,
    price: str,
    amount: str,
    quantity: str | None = None,
    name_id: str = "",
    *,
    babel: str = "en",
) -> str:
    """One order line as HTML; ``quantity`` (HTML) replaces the "2 x price" text when given.

    The seller's texts are isolated for direction (``dir="auto"``): in an
    Arabic page an English description keeps its full stop at its end, and a
    property's colon (the page's, after the isolated key) lands on the side
    the page reads from.
    """
    parts = ['<li class="line">\n']
    if line.image_url:
        parts += ['<img class="thumb" src="', escape(line.image_url), '" alt="" loading="lazy">\n']
    ident = f' id="{name_id}"' if name_id else ""
    parts += [f'<div class="line-text">\n<p class="name" dir="auto"{ident}>', escape(line.name)]
    parts.append("</p>\n")
    if line.description:
        parts += ['<p class="description" dir="auto">', escape(line.description), "</p>\n"]
    if line.properties:
        parts.append('<dl class="properties">\n')
        for key, value in line.properties.items():
            parts += ['<div><dt><bdi class="text">', escape(key), '</bdi></dt><dd dir="auto">']
            parts += [escape(value), "</dd></div>"]
        parts.append("\n</dl>\n")
    if line.subscription:
        count = line.subscription.interval_count
        forms = line_words.RENEWS.get(line.subscription.interval)
        if forms:
            text = digits.native(t.ngettext(forms[0], forms[1], count) % {"num": count}, babel)
            parts += ['<p class="subscription">', escape(text), "</p>\n"]
    if quantity is None:
        # The sentence is escaped first, then filled with escaped values: the
        # price is isolated (<bdi>) so that it reads whole in right-to-left text.
        quantity = _escaped(t, line_words.QTY_PRICE) % {
            "quantity": digits.native(str(int(line.quantity)), babel),
            "price": f"<bdi>{escape(price)}</bdi>",
        }
        parts += ['<p class="qty">', quantity, "</p>\n"]
    else:
        parts.append(quantity)
    parts += ['</div>\n<p class="amount"><bdi>', escape(amount), "</bdi></p>\n</li>\n"]
    return "".join(parts)


def rows(
    t: gettext.NullTranslations, lines: Iterable[tuple[Line, str, str]], *, babel: str
) -> Markup:
    """The order's lines, from (line, formatted unit price, formatted amount); counts in
    the digits of the ``babel`` locale (Persian for ``fa``), as its amounts are."""
    # S704: every text interpolated by line_html went through escape().
    return Markup("".join([line_html(t, *row, babel=babel) for row in lines]))  # noqa: S704


def _input(
    name: str, label: str, kind: str, autocomplete: str, inputmode: str, required: bool
) -> str:
    """A field's label and the opening of its input, up to the ``value``."""
    star = ' <span class="req" aria-hidden="true">*</span>' if required else ""
    extra = ' spellcheck="false"' if kind in ("email", "tel") or name == "tax_id" else ""
    # What the customer types shows in its own direction (an Arabic street in an English form).
    extra += ' dir="auto"' if kind == "text" else ""
    return (
        f'<label for="f-{name}">{escape(label)}{star}</label>\n'
        f'<input id="f-{name}" name="{name}" type="{kind}" autocomplete="{autocomplete}"'
        # Only the email is always required; the address's stars are
        # conditional (see the fieldset's hint), so no ``required`` there.
        f' inputmode="{inputmode}"{extra}{" required" if name == "email" else ""}'
    )


@lru_cache(maxsize=2048)
def country_options(words: str, babel_locale: str, selected: str) -> str:
    """The country select's options in the page's language, ``selected`` first."""
    names = country_names(babel_locale)
    parts: list[str] = []
    if selected:
        name = next((n for c, n in names if c == selected), selected)
        parts.append(f'<option value="{selected}" selected>{escape(name)}</option>')
    else:
        placeholder = escape(catalog(words).gettext(MISSING_COUNTRY))
        parts.append(f'<option value="" selected>{placeholder}</option>')
    parts += [f'<option value="{c}">{escape(n)}</option>' for c, n in names if c != selected]
    return "".join(parts)


#: A part of the form: literal HTML (``("", html)``), a text input (name, its label and
#: input up to the value), or a part drawn per value (name, ``""``): ``country``,
#: ``delivery_country``, ``<name>:check`` or ``<name>:select``.
Part = tuple[str, str]


def _address_parts(
    t: gettext.NullTranslations, spec: CountryRules, out: list[Part], prefix: str = ""
) -> None:
    """The name and address fields of ``spec``'s country; ``prefix`` names the delivery's."""

    def field(name: str, label: str, kind: str, ac: str, mode: str, required: bool) -> None:
        # The delivery's autocomplete tokens say "shipping" (browsers fill it apart).
        ac = f"shipping {ac}" if prefix else ac
        name = prefix + name
        out.append((name, _input(name, t.gettext(label), kind, ac, mode, required)))

    for name, label, kind, ac, mode in _NAMES:
        field(name, label, kind, ac, mode, False)
    lines: dict[int, list[str]] = {}
    for f in spec.fields:
        lines.setdefault(f.line, []).append(f.name)
    for f in spec.fields:
        if len(lines[f.line]) > 1 and lines[f.line][0] == f.name:
            out.append(("", '<div class="row">\n'))
        if f.choices:
            # A list: drawn per value by _select_html.
            out.append((f"{prefix}{f.name}:select", ""))
        else:
            field(f.name, f.label, "text", f.autocomplete, f.inputmode, f.required)
        if len(lines[f.line]) > 1 and lines[f.line][-1] == f.name:
            out.append(("", "</div>\n"))


@lru_cache(maxsize=2048)
def _layout(words: str, country: str, delivery: str | None) -> tuple[Part, ...]:
    """The form's parts for one (words, country, delivery country): built once, then reused.

    ``delivery`` is the delivery address's country (``""``: none chosen) when a chosen
    line is physical (the billing address is then required), else ``None`` (no
    delivery address asked).
    """
    t = catalog(words)
    spec: CountryRules = rules(country)
    out: list[Part] = []

    def field(name: str, label: str, kind: str, ac: str, mode: str, required: bool) -> None:
        out.append((name, _input(name, t.gettext(label), kind, ac, mode, required)))

    out.append(("", f"<fieldset>\n<legend>{escape(t.gettext(_CONTACT_LEGEND))}</legend>\n"))
    for name, label, kind, ac, mode in _CONTACT:
        field(name, label, kind, ac, mode, name == "email")
    legend = escape(t.gettext(_BILLING_LEGEND))
    out.append(("", f'</fieldset>\n<fieldset id="address">\n<legend>{legend}</legend>\n'))
    out.append(("country", ""))
    hint = _ADDRESS_HINT if delivery is None else _ADDRESS_REQUIRED_HINT
    out.append(("", f'<p class="hint">{escape(t.gettext(hint))}</p>\n'))
    _address_parts(t, spec, out)
    field("tax_id", spec.tax_label, "text", "off", "text", False)
    out.append(("", "</fieldset>\n"))
    if delivery is not None:
        legend = escape(t.gettext(_DELIVERY_LEGEND))
        out.append(("", f'<fieldset id="delivery">\n<legend>{legend}</legend>\n'))
        out.append((f"{SAME_AS_BILLING}:check", ""))
        out.append(("", '<div id="delivery-fields">\n'))
        out.append(("", f'<p class="hint">{escape(t.gettext(_DELIVERY_HINT))}</p>\n'))
        out.append(("delivery_country", ""))
        _address_parts(t, rules(delivery), out, "delivery_")
        out.append(("", "</div>\n</fieldset>\n"))
    return tuple(out)


@lru_cache(maxsize=64)
def _same_as_billing(t: gettext.NullTranslations, checked: bool) -> str:
    """The box that delivers to the billing address; the hidden "no" is sent when unticked."""
    label = escape(t.gettext(_SAME_AS_BILLING))
    return (
        f'<div class="field check"><input type="hidden" name="{SAME_AS_BILLING}" value="no">'
        f'<input type="checkbox" id="f-{SAME_AS_BILLING}" name="{SAME_AS_BILLING}" value="yes"'
        f' aria-controls="delivery-fields"{" checked" if checked else ""}>'
        f'<label for="f-{SAME_AS_BILLING}">{label}</label></div>\n'
    )


@lru_cache(maxsize=4096)
def _country_html(
    t: gettext.NullTranslations,
    babel_locale: str,
    words: str,
    value: str,
    error: str | None,
    required: bool,
    name: str = "country",
) -> str:
    label = escape(t.gettext(_COUNTRY_LABEL))
    star = ' <span class="req" aria-hidden="true">*</span>' if required else ""
    aria = f' aria-invalid="true" aria-describedby="e-{name}"' if error else ""
    err = f'<p class="error" id="e-{name}">{escape(error)}</p>\n' if error else ""
    ac = "shipping country" if name != "country" else "country"
    # The delivery country's own class: a page may hold both buttons.
    update = "update" if name == "country" else "update-delivery"
    return (
        f'<div class="field country{" invalid" if error else ""}">'
        f'<label for="f-{name}">{label}{star}</label>\n'
        f"{err}"
        f'<div class="country-row"><select id="f-{name}" name="{name}" autocomplete="{ac}"'
        f"{aria}>"
        f"{country_options(words, babel_locale, value)}</select>\n"
        f'<button type="submit" name="action" value="update" class="secondary {update}">'
        f"{escape(t.gettext(_UPDATE))}</button></div>\n</div>\n"
    )


@lru_cache(maxsize=4096)
def _select_html(
    words: str,
    babel_locale: str,
    country: str,
    name: str,
    value: str,
    error: str | None,
    prefix: str = "",
) -> str:
    """A listed address field (the Emirates' emirate, a US state): a select, sorted by name.

    Names in the country's own script when the page speaks its language (Arabic
    names of the emirates on an Arabic page), else in Latin letters. ``prefix``
    names the delivery address's field.
    """
    t = catalog(words)
    spec = rules(country).field(name)
    assert spec is not None
    native = reads_native(country, babel_locale)
    named = sorted(
        ((c.value, c.native if native else c.latin) for c in spec.choices),
        key=lambda pair: sort_key(pair[1]),
    )
    chosen = spec.choice(value) if value else None
    star = ' <span class="req" aria-hidden="true">*</span>' if spec.required else ""
    aria = f' aria-invalid="true" aria-describedby="e-{name}"' if error else ""
    ac = f"shipping {spec.autocomplete}" if prefix else spec.autocomplete
    name = prefix + name
    err = f'<p class="error" id="e-{name}">{escape(error)}</p>\n' if error else ""
    options = ['<option value=""></option>'] + [
        f'<option value="{escape(v)}"{" selected" if chosen and chosen.value == v else ""}>'
        f"{escape(label)}</option>"
        for v, label in named
    ]
    return (
        f'<div class="field{" invalid" if error else ""}">'
        f'<label for="f-{name}">{escape(t.gettext(spec.label))}{star}</label>\n{err}'
        f'<select id="f-{name}" name="{name}" autocomplete="{ac}"{aria}>'
        f"{''.join(options)}</select>\n</div>\n"
    )


def fields(
    words: str,
    babel_locale: str,
    country: str,
    delivery: str | None,
    values: Mapping[str, str],
    errors: Mapping[str, str],
) -> Markup:
    """The form's fieldsets, pre-filled with ``values``, each field with its error if any.

    ``delivery``: the delivery address's country when a chosen line is physical
    (``""``: none chosen), else ``None``.
    """
    t = catalog(words)
    parts: list[str] = []
    for name, head in _layout(words, country, delivery):
        if not name:
            parts.append(head)
            continue
        if head:
            # A text input (most of the form): its value, and its error if any.
            value = escape(values.get(name, ""))
            error = errors.get(name)
            if error:
                parts += [
                    f'<div class="field invalid">{head} value="{value}" aria-invalid="true" ',
                    f'aria-describedby="e-{name}">\n<p class="error" id="e-{name}">',
                    escape(error),
                    "</p>\n</div>\n",
                ]
            else:
                parts.append(f'<div class="field">{head} value="{value}">\n</div>\n')
            continue
        # The parts drawn per value: the country selects, the delivery box, listed regions.
        if name == "country":
            parts.append(
                _country_html(t, babel_locale, words, country, errors.get("country"), True)
            )
        elif name == "delivery_country":
            error, where = errors.get(name), delivery or ""
            parts.append(_country_html(t, babel_locale, words, where, error, True, name))
        elif name.endswith(":check"):
            parts.append(_same_as_billing(t, values.get(SAME_AS_BILLING, "yes") != "no"))
        else:
            name = name.removesuffix(":select")
            prefix = "delivery_" if name.startswith("delivery_") else ""
            value, error = values.get(name, ""), errors.get(name)
            where = (delivery or "") if prefix else country
            base = name.removeprefix(prefix)
            parts.append(_select_html(words, babel_locale, where, base, value, error, prefix))
    # S704: values and errors went through escape(); the heads are built from escaped text.
    return Markup("".join(parts))  # noqa: S704


@lru_cache(maxsize=2048)
def _order(words: str, country: str, delivery: str | None) -> tuple[str, ...]:
    """The field names in the order the form shows them."""
    return tuple(
        name.removesuffix(":select").removesuffix(":check")
        for name, _ in _layout(words, country, delivery)
        if name
    )


def error_list(
    words: str, country: str, delivery: str | None, errors: Mapping[str, str]
) -> list[tuple[str, str]]:
    """The error summary's (field, text) pairs, in the form's order; ``form`` first."""
    if not errors:
        return []
    ordered = [name for name in ("form", *_order(words, country, delivery)) if name in errors]
    ordered += [name for name in errors if name not in ordered]
    return [(name, errors[name]) for name in ordered]


def consent(
    t: gettext.NullTranslations, seller: str, terms_url: str, checked: bool, error: str | None
) -> Markup:
    """The unticked box accepting the seller's terms (``accept_terms``), its link, its error."""
    label = escape(t.gettext(_CONSENT) % {"seller": seller})
    read = escape(t.gettext(_READ_TERMS))
    aria = ' aria-invalid="true" aria-describedby="e-accept_terms"' if error else ""
    err = f'<p class="error" id="e-accept_terms">{escape(error)}</p>\n' if error else ""
    return Markup(  # noqa: S704 - every text went through escape()
        f'<div class="field consent{" invalid" if error else ""}">\n{err}'
        f'<div class="check"><input type="checkbox" id="f-accept_terms" name="accept_terms" '
        f'value="yes"{" checked" if checked else ""}{aria}>'
        f'<label for="f-accept_terms">{label}</label></div>\n'
        f'<p class="hint"><a href="{escape(terms_url)}" rel="noopener">{read}</a></p>\n</div>\n'
    )
