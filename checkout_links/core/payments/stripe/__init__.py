"""Stripe: PaymentIntents through the official ``stripe`` package, amounts, webhook events."""
