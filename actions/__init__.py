"""Custom actions of the Nimbus Telecom assistant, served by `rasa run actions`."""
