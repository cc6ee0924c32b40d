"""Merchants (tenants), their API keys and their public account settings."""
