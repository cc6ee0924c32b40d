"""The worker (``checkout-links worker``): webhook delivery, receipts, retention."""
