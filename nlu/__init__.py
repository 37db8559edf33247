"""The assistant's language processing for French and English (see each module)."""
