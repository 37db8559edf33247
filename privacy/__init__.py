"""Privacy by design: redaction before storing, retention, and erase/export per customer."""
