"""Original products: each merchant's catalog and its immutable revisions."""
