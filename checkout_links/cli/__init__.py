"""The ``checkout-links`` command line."""
