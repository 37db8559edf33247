"""Rasa dialogue policies of this assistant (config.yml's `policies:`)."""
