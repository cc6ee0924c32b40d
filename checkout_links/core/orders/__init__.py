"""Orders once placed: reading them back, filters, export, indexes and retention."""
