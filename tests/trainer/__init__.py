"""Tests of the bot-trainer workspace."""
