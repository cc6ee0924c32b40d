"""The ledger: the one place a link becomes spent or revoked, atomically with its order."""
