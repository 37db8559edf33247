"""Handover service: hands customer conversations from the bot to people and back."""
