"""The load generator's errors: what stops a run before it starts.

LoadError
 ├── Unreachable: the gateway does not answer its health check
 └── AgentError: a simulated agent cannot sign in
"""


class LoadError(Exception):
    """A run cannot start; the message says why."""


class Unreachable(LoadError):
    pass


class AgentError(LoadError):
    pass
