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
  process: ``OrderPayments(services.redis, settings.order_retention_seconds)``)
  with ``record_paid``, ``record_failed``, ``record_refund``, ``cancel``. Each is one
  atomic, idempotent Redis step that changes the order and emits exactly one
  event (``order.paid``, ``order.payment_failed``, ``order.refunded``,
  ``order.canceled``) per real change; a repeat changes nothing. The state
  machine itself is ``payments/state.py``.

The stripe side calls:

1. on the payment page (GET): ``provider.start(order)`` → the PaymentIntent's
   client secret for Stripe.js (one intent per order, idempotency key from the order);
2. on the browser's return and on each verified webhook: build a
   ``PaymentReport`` (or ``provider.verify_event``) and ``apply_report(payments,
   order, report)``: ``paid`` → ``record_paid`` (amount and currency must equal the
   order's, else ``PaymentMismatch`` and nothing is marked; already paid by
   another intent → ``DuplicatePayment``: refund that one), ``failed`` →
   ``record_failed`` (the order stays pending), ``refunded`` → ``record_refund``;
3. for ``POST /api/v1/orders/{id}/refund``: nothing; ``payments/actions.py:refund``
   calls ``provider.refund`` then ``record_refund`` with the returned reference;
4. in the worker's reconciliation: ``provider.lookup(order)`` for pending orders,
   reported through ``apply_report`` likewise.

Receipts: the ``order.paid`` event of a ``stripe`` order is written with its
mail flag set, so the worker sends the customer the receipt when paid (and
none at placement); ``manual`` orders get the order confirmation with the
instructions at placement (``worker/receipts/content.py``).
"""
