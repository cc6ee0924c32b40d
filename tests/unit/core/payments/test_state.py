"""The payment state machine (core/payments/state.py): transitions, repeats, refusals."""

from __future__ import annotations

from decimal import Decimal

import msgspec
import pytest

from checkout_links.core.errors import (
    Conflict,
    DuplicatePayment,
    PaymentMismatch,
    ValidationFailed,
)
from checkout_links.core.payments import state
from checkout_links.core.records import Customer, Order, ProviderName

T0 = 1_764_000_000_000
DAY = 86_400_000


def _order(
    provider: ProviderName = "manual", total: str = "100.00", currency: str = "EUR"
) -> Order:
    amount = Decimal(total)
    return Order(
        id="ord_x",
        link_id="lnk_x",
        merchant_id="acme",
        created_at="2025-11-24T16:00:00.000Z",
        currency=currency,
        total=amount,
        lines=(),
        customer=Customer(),
        payment=state.initial_payment(provider, amount, currency, T0, DAY),
    )


def _paid(order: Order, reference: str = "pay-1") -> Order:
    change = state.paid(order, order.total, order.currency, reference, T0 + 1)
    assert change is not None
    return change.order


def test_a_new_order_of_none_needs_no_payment_and_others_await_it_within_the_window() -> None:
    """Provider none places not_required orders; manual and stripe ones are pending, due a
    window after placing, with nothing paid in the currency's minor units."""
    none = _order("none")
    assert none.payment is not None
    assert none.payment.status == "not_required"
    manual = _order("manual", "1500", "JPY")
    assert manual.payment is not None
    assert (manual.payment.status, str(manual.payment.amount_paid)) == ("pending", "0")
    assert manual.payment.due_by == "2025-11-25T16:00:00.000Z"


def test_a_free_order_is_paid_at_placement() -> None:
    """An order whose total is zero needs no payment to be complete: it is paid at once."""
    order = _order("stripe", "0.00")
    assert order.payment is not None
    assert order.payment.status == "paid"


def test_paid_with_the_exact_amount_marks_it_paid_once() -> None:
    """The exact total and currency mark a pending order paid (order.paid, settled); the same
    report again changes nothing."""
    order = _order()
    change = state.paid(order, Decimal("100.00"), "eur", "pay-1", T0 + 5)
    assert change is not None
    assert (change.event, change.settled, change.mail) == ("order.paid", True, False)
    payment = change.order.payment
    assert payment is not None
    assert (payment.status, payment.amount_paid, payment.reference) == (
        "paid",
        Decimal("100.00"),
        "pay-1",
    )
    assert state.paid(change.order, Decimal("100.00"), "EUR", "pay-1", T0 + 9) is None


def test_a_card_payment_emails_the_receipt_when_paid() -> None:
    """The order.paid change of a stripe order carries the mail flag (its receipt goes then)."""
    change = state.paid(_order("stripe"), Decimal("100.00"), "EUR", "pi_1", T0)
    assert change is not None
    assert change.mail


@pytest.mark.parametrize(
    ("amount", "currency"), [("99.99", "EUR"), ("100.01", "EUR"), ("100.00", "USD"), ("0", "EUR")]
)
def test_another_amount_or_currency_never_marks_it_paid(amount: str, currency: str) -> None:
    """A report whose amount or currency differ from the order's is refused and pays nothing."""
    with pytest.raises(PaymentMismatch):
        state.paid(_order(), Decimal(amount), currency, "pay-1", T0)


def test_a_second_payment_of_a_paid_order_is_refused_as_a_duplicate() -> None:
    """Paid by one payment, a success report of another is DuplicatePayment naming the first."""
    order = _paid(_order(), "pay-1")
    with pytest.raises(DuplicatePayment) as caught:
        state.paid(order, Decimal("100.00"), "EUR", "pay-2", T0)
    assert caught.value.reference == "pay-1"


def test_a_payment_after_the_cancellation_is_not_lost() -> None:
    """A canceled order that receives its exact payment becomes paid (order.paid)."""
    canceled = state.canceled(_order(), "merchant", T0)
    assert canceled is not None
    change = state.paid(canceled.order, Decimal("100.00"), "EUR", "pay-1", T0 + 1)
    assert change is not None
    assert change.order.payment is not None
    assert change.order.payment.status == "paid"


def test_failed_attempts_keep_it_pending_once_each() -> None:
    """Each new failed attempt emits order.payment_failed and leaves the order pending; one
    already recorded, or one reported after payment, changes nothing."""
    order = _order()
    first = state.failed(order, "ch_1", T0)
    assert first is not None
    assert first.event == "order.payment_failed"
    assert not first.settled
    assert first.order.payment is not None
    assert first.order.payment.status == "pending"
    assert state.failed(first.order, "ch_1", T0) is None
    second = state.failed(first.order, "ch_2", T0)
    assert second is not None
    assert second.order.payment is not None
    assert second.order.payment.failed_attempts == ("ch_1", "ch_2")
    assert state.failed(_paid(second.order), "ch_3", T0) is None


def test_only_the_last_failed_attempts_are_kept() -> None:
    """An order keeps the references of its last KEEP_FAILURES failed attempts, not more."""
    order = _order()
    for n in range(state.KEEP_FAILURES + 5):
        change = state.failed(order, f"ch_{n}", T0)
        assert change is not None
        order = change.order
    assert order.payment is not None
    assert len(order.payment.failed_attempts) == state.KEEP_FAILURES
    assert order.payment.failed_attempts[-1] == f"ch_{state.KEEP_FAILURES + 4}"


def test_a_partial_refund_then_the_rest() -> None:
    """A part refunds to partially_refunded, then the rest (no amount) to refunded; each refund
    is recorded once by its reference."""
    order = _paid(_order())
    part = state.refunded(order, Decimal("30.00"), "rf_1", T0)
    assert part is not None
    assert part.order.payment is not None
    assert (part.order.payment.status, part.order.payment.amount_refunded) == (
        "partially_refunded",
        Decimal("30.00"),
    )
    assert state.refunded(part.order, Decimal("30.00"), "rf_1", T0) is None
    rest = state.refunded(part.order, None, "rf_2", T0)
    assert rest is not None
    assert rest.order.payment is not None
    assert (rest.order.payment.status, rest.order.payment.amount_refunded) == (
        "refunded",
        Decimal("100.00"),
    )
    assert [r.amount for r in rest.order.payment.refunds] == [Decimal("30.00"), Decimal("70.00")]


@pytest.mark.parametrize("amount", ["100.01", "0", "-1"])
def test_refunding_more_than_is_left_or_nothing_is_refused(amount: str) -> None:
    """A refund over what is left, or of zero or less, is a validation failure naming amount."""
    with pytest.raises(ValidationFailed) as caught:
        state.refunded(_paid(_order()), Decimal(amount), "rf", T0)
    assert caught.value.errors is not None
    assert caught.value.errors[0].loc == ("body", "amount")


def test_an_unpaid_or_fully_refunded_order_has_nothing_to_refund() -> None:
    """A pending order, or one refunded in full (asked for the rest), is a conflict."""
    with pytest.raises(Conflict):
        state.refunded(_order(), None, "rf", T0)
    refunded = state.refunded(_paid(_order()), None, "rf_1", T0)
    assert refunded is not None
    with pytest.raises(Conflict):
        state.refunded(refunded.order, None, "rf_2", T0)


def test_cancel_takes_pending_orders_only() -> None:
    """Cancel turns pending into canceled (settled) once; a paid order is a conflict."""
    change = state.canceled(_order(), "merchant", T0)
    assert change is not None
    assert change.settled
    assert change.event == "order.canceled"
    assert change.order.payment is not None
    assert change.order.payment.cancel_reason == "merchant"
    assert state.canceled(change.order, "merchant", T0) is None
    with pytest.raises(Conflict):
        state.canceled(_paid(_order()), "merchant", T0)


def test_the_window_cancels_only_after_it_ended() -> None:
    """An expiry before the order's due time changes nothing; at it, the order is canceled."""
    order = _order()
    assert state.canceled(order, "expired", T0 + DAY - 1) is None
    change = state.canceled(order, "expired", T0 + DAY)
    assert change is not None
    assert change.order.payment is not None
    assert change.order.payment.cancel_reason == "expired"


def test_orders_of_provider_none_take_no_transition() -> None:
    """Nothing is paid, failed, refunded or canceled on a not_required order: each is refused."""
    order = _order("none")
    for attempt in (
        lambda: state.paid(order, order.total, "EUR", "p", T0),
        lambda: state.failed(order, "ch", T0),
        lambda: state.refunded(order, None, "rf", T0),
        lambda: state.canceled(order, "merchant", T0),
    ):
        with pytest.raises(Conflict):
            attempt()


def test_an_order_stored_without_payment_reads_as_provider_none() -> None:
    """payment_of gives an order from before payments the not_required payment of none."""
    old = msgspec.structs.replace(_order(), payment=None)
    payment = state.payment_of(old)
    assert (payment.provider, payment.status, str(payment.amount_paid)) == (
        "none",
        "not_required",
        "0.00",
    )
