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

from markupsafe import Markup

from checkout_links.core.checkout.cart import CartState
from checkout_links.core.pricing import Offered, PricedCart
from checkout_links.core.records import Line, Order
from checkout_links.web.customer.cart_page import escape

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
    name: str, label: str, value: str, low: int, high: int, errors: Mapping[str, str]
) -> str:
    invalid = f' aria-invalid="true" aria-describedby="e-{name}"' if name in errors else ""
    return (
        f'<input id="f-{name}" name="{name}" form="{FORM}" type="number" inputmode="numeric" '
        f'min="{low}" max="{high}" step="1" value="{escape(value)}" class="qty" '
        f'aria-label="{escape(label)}"{invalid}>' + _error_of(errors, name)
    )


def rows(
    state: CartState,
    lines: Sequence[Line],
    optional_lines: Sequence[Line],
    money: Money,
    values: Mapping[str, str],
    errors: Mapping[str, str],
    words: Words = _plain,
) -> Markup:
    """The cart's lines: every product line, a quantity input where it is adjustable.

    A line an up-sell replaced says so; the chosen offers follow.
    """
    out: list[str] = []
    chosen = {(p.source, p.index): p for p in state.priced.lines}
    replaced = {state.offer.optional[p.index].replaces for p in state.priced.lines if p.replaced}
    for i, (line, offered) in enumerate(zip(lines, state.offer.lines, strict=True)):
        if i in replaced:
            note = escape(words("Replaced by your upgrade"))
            out.append(
                f'<li class="line replaced"><div class="line-text"><p class="name">'
                f'{escape(line.name)}</p><p class="qty">{note}</p></div></li>\n'
            )
            continue
        name = f"qty_{i}"
        priced = chosen.get(("products", i))
        amount = money(priced.amount if priced is not None else Decimal(0))
        if offered.bounds is not None:
            label = words("Quantity of %(name)s") % {"name": line.name}
            value = values.get(name, str(state.choice.quantities[i]))
            low, high = offered.bounds.minimum, offered.bounds.maximum
            qty = _quantity_input(name, label, value, low, high, errors)
        else:
            qty = str(line.quantity)
        out.append(_row(line, qty, money(line.price), amount))
    for priced in state.priced.lines:
        if priced.optional:
            line = optional_lines[priced.index]
            out.append(_row(line, str(priced.quantity), money(line.price), money(priced.amount)))
    # S704: names and texts went through escape(); the rest are numbers and our markup.
    return Markup("".join(out))  # noqa: S704


def _row(line: Line, quantity: str, price: str, amount: str) -> str:
    return (
        f'<li class="line"><div class="line-text"><p class="name">{escape(line.name)}</p>'
        f'<p class="qty">{quantity} \u00d7 <bdi>{escape(price)}</bdi></p></div>'
        f'<p class="amount"><bdi>{escape(amount)}</bdi></p></li>\n'
    )


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
            f'<dt class="discount">{escape(label)}</dt>'
            f'<dd class="discount"><bdi>\u2212{escape(money(discount.amount))}</bdi></dd>\n'
        )
    out.append("</dl>\n")
    return Markup("".join(out))  # noqa: S704 - escaped above


def _offer(
    j: int,
    item: Offered,
    line: Line,
    state: CartState,
    lines: Sequence[Line],
    money: Money,
    values: Mapping[str, str],
    errors: Mapping[str, str],
    words: Words,
) -> str:
    name = f"opt_{j}"
    chosen = values.get(name, str(state.choice.optional[j]))
    if item.replaces is not None:
        replaced = lines[item.replaces]
        difference = item.price * item.quantity - replaced.price * replaced.quantity
        text = words("Upgrade to %(offer)s instead of %(line)s") % {
            "offer": line.name,
            "line": replaced.name,
        }
        sign = "+" if difference >= 0 else "\u2212"
        price = f"{sign}{money(abs(difference))}"
    else:
        text = line.name
        price = money(line.price)
    if item.bounds is not None:
        label = f'{escape(text)} <span class="price">{escape(price)}</span>'
        control = _quantity_input(name, text, chosen, 0, item.bounds.maximum, errors)
        return f'<li class="offer"><span>{label}</span>{control}</li>\n'
    checked = " checked" if chosen not in ("", "0") else ""
    return (
        f'<li class="offer"><input id="f-{name}" name="{name}" form="{FORM}" type="checkbox" '
        f'value="{item.quantity}"{checked}> <label for="f-{name}">{escape(text)} '
        f'<span class="price">{escape(price)}</span></label>{_error_of(errors, name)}</li>\n'
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
    """Below the cart: the offers, the promotion-code field and the Update button."""
    out: list[str] = []
    if state.offer.optional:
        heading = escape(words("You may also add"))
        out.append(f'<section class="offers"><h3>{heading}</h3><ul>\n')
        for j, (item, line) in enumerate(zip(state.offer.optional, optional_lines, strict=True)):
            out.append(_offer(j, item, line, state, lines, money, values, errors, words))
        out.append("</ul></section>\n")
    if promotion_codes:
        invalid = (
            ' aria-invalid="true" aria-describedby="e-promo_code"'
            if ("promo_code" in errors)
            else ""
        )
        label, apply = escape(words("Promotion code")), escape(words("Apply"))
        out.append(
            f'<div class="field promo"><label for="f-promo_code">{label}'
            f'</label><input id="f-promo_code" name="promo_code" form="{FORM}" type="text" '
            f'autocomplete="off" autocapitalize="characters" maxlength="40" '
            f'value="{escape(state.code)}"{invalid}>'
            f"{_error_of(errors, 'promo_code')}"
            f'<button type="submit" name="action" value="apply" form="{FORM}">'
            f"{apply}</button></div>\n"
        )
    update = escape(words("Update totals"))
    out.append(
        f'<button type="submit" name="action" value="update" form="{FORM}" class="secondary">'
        f"{update}</button>\n"
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
