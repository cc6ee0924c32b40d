"""Customer-facing words: gettext catalogs, locale negotiation, message ids of the core."""
