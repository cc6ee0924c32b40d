"""What ticking an optional item changes the total by (the label the cart page shows)."""

from __future__ import annotations

from decimal import Decimal

from checkout_links.core.checkout.cart import CartState, offer_changes
from checkout_links.core.pricing import Bounds, Choice, Discount, Offer, Offered, price

LICENCE = Offered("pro", Decimal("100.00"), quantity=2, bounds=Bounds(1, 10))
KIT = Offered("kit", Decimal("49.90"))
UPGRADE = Offered("enterprise", Decimal("300.00"), replaces=0)
SPARES = Offered("spare", Decimal("5.00"), bounds=Bounds(0, 9))


def _state(offer: Offer, quantities: tuple[int, ...], optional: tuple[int, ...]) -> CartState:
    choice = Choice(quantities, optional)
    return CartState(offer, choice, price(offer, choice), None, "")


def test_an_upsell_is_labelled_with_the_change_for_the_quantity_chosen_now() -> None:
    """Two licences at 100.00: the 300.00 upgrade replacing them adds 100.00, not 200.00."""
    offer = Offer("EUR", (LICENCE,), (KIT, UPGRADE))
    assert offer_changes(_state(offer, (2,), (0, 0))) == (Decimal("49.90"), Decimal("100.00"))
    # Five licences: the one upgrade costs less than they do.
    assert offer_changes(_state(offer, (5,), (0, 0)))[1] == Decimal("-200.00")


def test_a_ticked_item_shows_the_same_change_as_before_it_was_ticked() -> None:
    """The figure is total with the item less total without it, whichever is shown."""
    offer = Offer("EUR", (LICENCE,), (KIT, UPGRADE))
    before = offer_changes(_state(offer, (3,), (0, 0)))
    after = offer_changes(_state(offer, (3,), (1, 1)))
    assert before == after == (Decimal("49.90"), Decimal("0.00"))


def test_the_change_counts_the_cart_discount() -> None:
    """Under 10 % off the cart, the kit adds 90 % of its price (rounded once, like the total)."""
    offer = Offer("EUR", (LICENCE,), (KIT,), discount=Discount(percent=Decimal(10)))
    assert offer_changes(_state(offer, (2,), (0,))) == (Decimal("44.91"),)


def test_an_item_chosen_by_quantity_has_no_single_change() -> None:
    """An optional item with a quantity field shows its unit price instead (None here)."""
    offer = Offer("EUR", (LICENCE,), (SPARES,))
    assert offer_changes(_state(offer, (2,), (0,))) == (None,)
