"""Redis: the connection, the key layout (hash tags and shards), a per-process cache."""
