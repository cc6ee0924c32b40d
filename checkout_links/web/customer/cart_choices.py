"""The cart page's parts for links with cart choices: quantity inputs, offers, discounts, code.

Only links whose token carries choices use this module, so the page of a
plain link costs what it did. Every control belongs to the checkout form
(``form="checkout-form"``), and the form's buttons say what to do
(``action=update|apply|place``), so everything works without JavaScript: the
server prices each submission with :mod:`checkout_links.core.pricing`, and the
page shows exactly the figures an order would be charged.
"""

from __future__ import annotations

import gettext
from collections.abc import Callable, Mapping, Sequence
from decimal import Decimal

import msgspec
from markupsafe import Markup

from checkout_links.core.checkout.cart import CartState, offer_changes
from checkout_links.core.pricing import Offered, PricedCart
from checkout_links.core.records import Line, Order
from checkout_links.web.customer.cart_page import escape, line_html

FORM = "checkout-form"
Money = Callable[[Decimal], str]
Words = Callable[[str], str]


def _plain(text: str) -> str:
    return text


def _error_of(errors: Mapping[str, str], name: str) -> str:
    message = errors.get(name)
    if not message:
        return ""
    return f'<p class="error" id="e-{name}">{escape(message)}</p>'


def _quantity_input(
    name: str, labelled_by: str, value: str, low: int, high: int, errors: Mapping[str, str]
) -> str:
    invalid = ' aria-invalid="true"' if name in errors else ""
    described = f' aria-describedby="e-{name}"' if name in errors else ""
    return (
        f'<input id="f-{name}" name="{name}" form="{FORM}" type="number" inputmode="numeric" '
        f'min="{low}" max="{high}" step="1" value="{escape(value)}" class="qty-input" '
        f'aria-labelledby="{labelled_by}"{invalid}{described}>'
    )


def _quantity_field(
    name: str, value: str, low: int, high: int, price: str, errors: Mapping[str, str], words: Words
) -> str:
    """A line's quantity: a labelled number input, the unit price beside it, its error below.

    Its accessible name is the visible "Quantity" and the line's name
    (``aria-labelledby``), so several lines' fields are told apart.
    """
    label = escape(words("Quantity"))
    control = _quantity_input(name, f"l-{name} n-{name}", value, low, high, errors)
    return (
        f'<div class="qty-field"><label id="l-{name}" for="f-{name}">{label}</label>'
        f'{control}<span class="each">\u00d7 <bdi>{escape(price)}</bdi></span></div>'
        f"{_error_of(errors, name)}\n"
    )


def rows(
    state: CartState,
    lines: Sequence[Line],
    optional_lines: Sequence[Line],
    money: Money,
    values: Mapping[str, str],
    errors: Mapping[str, str],
    t: gettext.NullTranslations,
    *,
    babel: str = "en",
) -> Markup:
    """The cart's lines as the plain page shows them, a quantity field where it is adjustable
    (counts in the digits of the ``babel`` locale, as on the plain page).

    A line an up-sell replaced says so; the chosen offers follow.
    """
    words = t.gettext
    out: list[str] = []
    chosen = {(p.source, p.index): p for p in state.priced.lines}
    replaced = {state.offer.optional[p.index].replaces for p in state.priced.lines if p.replaced}
    for i, (line, offered) in enumerate(zip(lines, state.offer.lines, strict=True)):
        if i in replaced:
            note = escape(words("Replaced by your upgrade"))
            out.append(
                f'<li class="line replaced"><div class="line-text"><p class="name" dir="auto">'
                f'{escape(line.name)}</p><p class="qty">{note}</p></div></li>\n'
            )
            continue
        name = f"qty_{i}"
        priced = chosen.get(("products", i))
        amount = money(priced.amount if priced is not None else Decimal(0))
        price = money(line.price)
        if offered.bounds is None:
            out.append(line_html(t, line, price, amount, babel=babel))
            continue
        value = values.get(name, str(state.choice.quantities[i]))
        low, high = offered.bounds.minimum, offered.bounds.maximum
        field = _quantity_field(name, value, low, high, price, errors, words)
        out.append(line_html(t, line, price, amount, field, f"n-{name}", babel=babel))
    for priced in state.priced.lines:
        if priced.optional:
            line = optional_lines[priced.index]
            shown = msgspec.structs.replace(line, quantity=priced.quantity)
            out.append(line_html(t, shown, money(line.price), money(priced.amount), babel=babel))
    # S704: names and texts went through escape(); the rest are numbers and our markup.
    return Markup("".join(out))  # noqa: S704


def summary(state: CartState, money: Money, words: Words = _plain) -> Markup:
    """Above the total: the subtotal and one row per discount (nothing without discounts)."""
    return discount_rows(state.priced, money, words)


def discount_rows(cart: PricedCart | Order, money: Money, words: Words = _plain) -> Markup:
    """The subtotal and each discount of a priced cart or a placed order, or nothing."""
    if not cart.discounts or cart.subtotal is None:
        return Markup("")  # none: a cart without discounts
    subtotal = escape(words("Subtotal"))
    out = [
        f'<dl class="discounts"><dt>{subtotal}</dt>'
        f"<dd><bdi>{escape(money(cart.subtotal))}</bdi></dd>\n"
    ]
    for discount in cart.discounts:
        label = discount.label or words("Discount")
        out.append(
            f'<dt class="discount"><bdi class="text">{escape(label)}</bdi></dt>'
            f'<dd class="discount"><bdi>\u2212{escape(money(discount.amount))}</bdi></dd>\n'
        )
    out.append("</dl>\n")
    return Markup("".join(out))  # noqa: S704 - escaped above


def _offer(
    j: int,
    item: Offered,
    line: Line,
    change: Decimal | None,
    lines: Sequence[Line],
    money: Money,
    chosen: str,
    errors: Mapping[str, str],
    words: Words,
) -> str:
    name = f"opt_{j}"
    offer_name = f'<bdi class="text">{escape(line.name)}</bdi>'
    if item.replaces is not None:
        # The sentence is escaped, then filled with the escaped, isolated names.
        text = escape(words("Upgrade to %(offer)s instead of %(line)s")) % {
            "offer": offer_name,
            "line": f'<bdi class="text">{escape(lines[item.replaces].name)}</bdi>',
        }
    else:
        text = offer_name
    if item.bounds is not None:
        price = escape(money(line.price))
        control = _quantity_input(name, f"t-{name}", chosen, 0, item.bounds.maximum, errors)
        return (
            f'<li class="offer offer-quantity"><span class="offer-text" id="t-{name}">{text}'
            f'</span><span class="price"><bdi>{price}</bdi></span>{control}'
            f"{_error_of(errors, name)}</li>\n"
        )
    if change is None:
        change = item.price * item.quantity
    sign = "+" if change >= 0 else "\u2212"
    price = f"{sign}{escape(money(abs(change)))}"
    checked = " checked" if chosen not in ("", "0") else ""
    invalid = f' aria-invalid="true" aria-describedby="e-{name}"' if name in errors else ""
    return (
        f'<li class="offer"><input id="f-{name}" name="{name}" form="{FORM}" type="checkbox" '
        f'value="{item.quantity}"{checked}{invalid}><label for="f-{name}">'
        f'<span class="offer-text">{text}</span> <span class="price"><bdi>{price}</bdi></span>'
        f"</label>{_error_of(errors, name)}</li>\n"
    )


def controls(
    state: CartState,
    lines: Sequence[Line],
    optional_lines: Sequence[Line],
    money: Money,
    values: Mapping[str, str],
    errors: Mapping[str, str],
    promotion_codes: bool,
    words: Words = _plain,
) -> Markup:
    """Below the cart: the offers, the promotion-code field and the Update button.

    A ticked offer's price is what it changes the total by now
    (:func:`~checkout_links.core.checkout.cart.offer_changes`).
    """
    out: list[str] = []
    if state.offer.optional:
        heading = escape(words("You may also add"))
        out.append(
            '<section class="offers" aria-labelledby="offers-heading">'
            f'<h3 id="offers-heading">{heading}</h3><ul>\n'
        )
        changes = offer_changes(state)
        for j, (item, line) in enumerate(zip(state.offer.optional, optional_lines, strict=True)):
            chosen = values.get(f"opt_{j}", str(state.choice.optional[j]))
            out.append(_offer(j, item, line, changes[j], lines, money, chosen, errors, words))
        out.append("</ul></section>\n")
    if promotion_codes:
        invalid = (
            ' aria-invalid="true" aria-describedby="e-promo_code"'
            if ("promo_code" in errors)
            else ""
        )
        label, apply = escape(words("Promotion code")), escape(words("Apply"))
        out.append(
            f'<div class="field promo"><label for="f-promo_code">{label}</label>'
            f"{_error_of(errors, 'promo_code')}"
            f'<div class="promo-row"><input id="f-promo_code" name="promo_code" form="{FORM}" '
            f'type="text" autocomplete="off" autocapitalize="characters" maxlength="40" '
            f'spellcheck="false" value="{escape(state.code)}"{invalid}>'
            f'<button type="submit" name="action" value="apply" form="{FORM}" class="secondary">'
            f"{apply}</button></div></div>\n"
        )
    update = escape(words("Update totals"))
    out.append(
        f'<button type="submit" name="action" value="update" form="{FORM}" '
        f'class="secondary choices-update">{update}</button>\n'
    )
    return Markup("".join(out))  # noqa: S704 - escaped above


def form_errors(state: CartState, t: gettext.NullTranslations) -> dict[str, str]:
    """The choices' errors by form field (``form`` for the whole cart), in the page's words."""
    out: dict[str, str] = {}
    for error in state.errors:
        field = str(error.loc[1]) if len(error.loc) > 1 else "form"
        text = t.gettext(error.msgid or error.msg)
        out.setdefault(field, text % error.params if error.params else text)
    return out
