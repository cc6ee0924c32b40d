"""Issuing a link: the request's lines and choices, the encrypted token, link ids, idempotency."""
