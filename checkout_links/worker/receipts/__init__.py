"""Customer receipts: one email per placed order, sent by the worker when SMTP is configured.

* :mod:`.content` writes the receipt's words and amounts, in the order's locale,
  as a plain-text and an HTML body (the same catalogs and money formatting as
  the pages);
* :mod:`.message` wraps them in an :class:`email.message.EmailMessage`;
* :mod:`.smtp` sends it with :mod:`smtplib` and sorts the outcome into sent,
  retry later, or failed for good;
* :mod:`.sender` is the worker's part: due receipts, leases, outcomes
  (the Redis side is :mod:`checkout_links.core.outbox.receipts`).

Nothing here runs in a web request: placing an order only schedules its receipt.
"""
