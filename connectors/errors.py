"""Errors raised by the back-end clients.

Every client in `connectors` raises only these (plus `ValueError` for arguments the caller
should have checked, such as a postcode that is not a UK postcode):

- `ConnectorError`: base class; `system` names the back end ("crm", "billing", ...).
    - `ConnectorTimeout`: the system did not answer within the client's timeout.
    - `ConnectorUnavailable`: the connection was refused or reset, or the system answered 5xx.
    - `NotFound`: the system answered 404 for the thing asked for.
    - `InvalidResponse`: the answer is not what the contract says (bad JSON, wrong shape),
      or the system rejected the request with another 4xx.

Callers usually catch `NotFound` for "no such thing" and `ConnectorError` for "try later".
"""


class ConnectorError(Exception):
    """Base of every error a back-end client raises."""

    def __init__(self, system: str, message: str) -> None:
        super().__init__(f"{system}: {message}")
        self.system = system
        self.message = message


class ConnectorTimeout(ConnectorError):
    """The system did not answer within the timeout."""


class ConnectorUnavailable(ConnectorError):
    """The system could not be reached or answered with a server error."""


class NotFound(ConnectorError):
    """The system does not know the thing asked for."""


class InvalidResponse(ConnectorError):
    """The system's answer (or its rejection of the request) breaks the contract."""
