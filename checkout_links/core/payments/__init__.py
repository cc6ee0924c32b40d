"""Getting paid: an order's payment after it is placed, PSP-neutral.

The pieces, and what the ``stripe`` side calls when:

* **Settings** (``merchants/payment.py``): ``payment_config(merchant, keyring)``
  gives the provider and, for ``stripe``, the opened keys (``StripeKeys``:
  ``publishable_key``, ``secret_key``, ``webhook_secret``). The merchant
  registers the webhook URL ``<CHECKOUT_BASE_URL>/webhooks/stripe/<merchant_id>``
  (``merchants/payment.py:webhook_path``; the stripe side serves it).
* **Placing** (``checkout/place.py``): the order gets its ``number`` and a
  ``payment`` that is ``pending`` (``manual``/``stripe``) or ``not_required``
  (``none``), in the spend's one atomic step, which also puts a pending order
  in its shard's payments-due index (``payments/window.py`` cancels it after
  ``CHECKOUT_PAYMENT_WINDOW_SECONDS``).
* **The provider** (``payments/provider.py``): the ``PaymentProvider``
  Protocol (``start``, ``verify_event``, ``refund``, ``lookup``) and the
  neutral ``PaymentReport``; ``provider_for(config)`` builds one. Its
  docstring says what the stripe provider must do.
* **The transitions** (``payments/transitions.py``): ``OrderPayments`` (one per
  process, built with the services: ``services.payments``) with ``record_paid``,
  ``record_failed``, ``record_refund``, ``cancel``. Each is one atomic, idempotent
  Redis step that changes the order and emits exactly one event (``order.paid``,
  ``order.payment_failed``, ``order.refunded``, ``order.canceled``) per real change;
  a repeat changes nothing. The state machine itself is ``payments/state.py``.

The stripe side (``payments/stripe/``, ``web/customer/payment.py``,
``web/stripe_webhook.py``, ``worker/stripe_reconcile.py``):

1. on the payment page's first card attempt: the order's one live PaymentIntent
   (``payments/stripe/intents.py``), confirmed server-side with the PaymentMethod
   Stripe.js made;
2. on the browser's return, each verified webhook and the worker's reconciliation:
   the intent as Stripe holds it goes through ``payments/stripe/provider.py:settle``
   → ``record_paid`` (amount and currency must equal the order's, else
   ``PaymentMismatch``; already paid by another intent → ``DuplicatePayment``: that
   one is refunded), ``record_failed`` (the order stays pending), ``record_refund``;
3. for ``POST /api/v1/orders/{id}/refund``: ``payments/actions.py:refund`` calls
   ``provider.refund`` then ``record_refund`` with the returned reference.
=======
1. on the payment page (GET): ``provider.start(order)`` → the PaymentIntent's
   client secret for Stripe.js (one intent per order, idempotency key from the order);
2. on the browser's return and on each verified webhook: build a
   ``PaymentReport`` (or ``provider.verify_event``) and ``apply_report(payments,
   order, report)``: ``paid`` → ``record_paid`` (amount and currency must equal the
   order's, else ``PaymentMismatch`` and nothing is marked; already paid by
   another intent → ``DuplicatePayment``: refund that one), ``failed`` →
   ``record_failed`` (the order stays pending), ``refunded`` → ``record_refund``;
3. for ``POST /api/v1/orders/{id}/refund``: nothing but ``provider.refund``;
   ``payments/actions.py:refund`` checks the amount, calls ``provider.refund`` (built by
   ``provider_for``, which builds ``stripe`` through the factory the stripe module gives
   ``provider.register("stripe", ...)`` at import; import that module in ``services.py``),
   then ``record_refund`` with the returned reference;
4. for reconciliation: nothing but ``provider.lookup(order)``; the worker's pass
   (``payments/reconcile.py``, run by ``payments/window.py`` before it cancels
   anything) asks it about pending orders placed 2 minutes ago or more and records
   a payment it reports as ``paid`` through ``apply_report``.
>>>>>>> paycore

The customer side: ``web/customer/views.py:_placed`` answers the 303 after placing;
a ``stripe`` order whose ``payment.status`` is ``pending`` goes to its payment page
(``/pay/<ref>``), and so does reopening its link. The confirmation page (``done.html``)
shows the number, says what was paid by card, and promises the receipt email only
once a stripe order is paid.

Receipts: the ``order.paid`` event of a ``stripe`` order is written with its
mail flag set, so the worker sends the customer the receipt when paid (and
none at placement); ``manual`` orders get the order confirmation with the
instructions at placement (``worker/receipts/content.py``).
"""
