"""The cart page's HTML: the cart's rows and the customer form.

``templates/cart.html`` holds the page; the parts repeated per line and per
field are built here with ``str.join`` and a plain-string escape. Rendered by
Jinja they were most of the page's cost (one generator step and one
``Markup`` per expression, some 200 a page), and the cart page is the
service's most frequent request. Everything interpolated is escaped here;
the results are :class:`~markupsafe.Markup` so the template does not escape
them again.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from markupsafe import Markup

from checkout_links.core.records import Line

#: The customer form: (name, label, input type, autocomplete token).
FIELDS = (
    ("email", "Email", "email", "email"),
    ("first_name", "First name", "text", "given-name"),
    ("last_name", "Last name", "text", "family-name"),
    ("company", "Company", "text", "organization"),
    ("phone", "Phone", "tel", "tel"),
    ("address", "Address", "text", "street-address"),
    ("postal_code", "Postal code", "text", "postal-code"),
    ("city", "City", "text", "address-level2"),
    ("region", "Region", "text", "address-level1"),
    ("country", "Country (ISO code, e.g. DE)", "text", "country"),
    ("tax_id", "Tax ID", "text", "off"),
    ("language", "Language", "text", "language"),
)
FIELD_NAMES = tuple(field[0] for field in FIELDS)


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


def _field_head(name: str, label: str, kind: str, autocomplete: str) -> str:
    """A field's label and the opening of its input, up to the ``value``."""
    required = name == "email"
    star = ' <span aria-hidden="true">*</span>' if required else ""
    return (
        f'<label for="f-{name}">{escape(label)}{star}</label>\n'
        f'<input id="f-{name}" name="{name}" type="{kind}" autocomplete="{autocomplete}"'
        f"{' required' if required else ''}"
    )


#: Built once at import: only the value and the error differ between pages.
_HEADS = tuple((field[0], _field_head(*field)) for field in FIELDS)


def _line_html(line: Line, price: str, amount: str) -> str:
    parts = ['<tr>\n<td>\n<span class="name">', escape(line.name), "</span>\n"]
    if line.description:
        parts += ['<p class="description">', escape(line.description), "</p>\n"]
    if line.properties:
        parts.append('<dl class="properties">\n')
        for key, value in line.properties.items():
            parts += ["<dt>", escape(key), "</dt><dd>", escape(value), "</dd>"]
        parts.append("\n</dl>\n")
    if line.subscription:
        count = line.subscription.interval_count
        interval = escape(line.subscription.interval)
        every = interval if count == 1 else f"{count} {interval}s"
        parts += ['<p class="subscription">Renews every ', every, "</p>\n"]
    parts += [
        '</td>\n<td class="num">',
        str(int(line.quantity)),
        '</td>\n<td class="num">',
        escape(price),
        '</td>\n<td class="num">',
        escape(amount),
        "</td>\n</tr>\n",
    ]
    return "".join(parts)


def rows(lines: Iterable[tuple[Line, str, str]]) -> Markup:
    """The cart table's body rows, from (line, formatted unit price, formatted amount)."""
    # S704: every text interpolated by _line_html went through escape().
    return Markup("".join([_line_html(*row) for row in lines]))  # noqa: S704


def fields(values: Mapping[str, str], errors: Mapping[str, str]) -> Markup:
    """The form's fields, pre-filled with ``values``, each with its error if any."""
    parts: list[str] = []
    for name, head in _HEADS:
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
    # S704: values and errors went through escape(); the heads are our constants.
    return Markup("".join(parts))  # noqa: S704
