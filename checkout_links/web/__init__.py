"""The Flask side: views validate, call :mod:`checkout_links.core`, and render."""
