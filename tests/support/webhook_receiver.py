"""Moved to :mod:`checkout_links.testing.webhook_receiver` (shared with bench/); import from there.

This re-export keeps tests written against the old path importing.
"""

from checkout_links.testing.webhook_receiver import HUGE_BYTES, Received, Receiver

__all__ = ["HUGE_BYTES", "Received", "Receiver"]
