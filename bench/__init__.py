"""The benchmark harness: the service against a bare-Flask floor (see bench/README.md)."""
