"""Rasa-side glue: settings, and the supervisor that runs every process of the assistant."""
