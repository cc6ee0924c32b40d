"""Helpers for tests only; the real-server helpers live in checkout_links.testing."""
