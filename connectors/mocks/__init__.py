"""Mock back-end systems on deterministic seeded data: `python -m connectors.mocks`."""
