"""Promotion codes: their records, and how a code limited to N yields at most N orders."""
