"""Orders: the record a checkout builds, reading them back, filters, export, indexes, retention."""
