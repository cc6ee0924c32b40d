"""The domain: money, tokens, the ledger, catalog, merchants, links, orders, events.

Nothing here imports Flask, Werkzeug or Jinja (an import-linter contract holds
this); the web side, the worker and the CLI call into it.
"""
