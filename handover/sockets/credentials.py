"""A customer's proof of owning a conversation: the id the gateway issued, and its signature.

The id is random (128 bits) and the secret is HMAC-SHA256 of the id under the gateway's
secret key, so any gateway process checks it without a lookup. The prefix keeps these
signatures apart from anything else the same key signs (agent tokens).

A host site that knows its signed-in customer may also vouch for them, as Chatwoot's
`identifier_hash`: HMAC-SHA256 of the customer id under `HANDOVER_IDENTITY_SECRET`, in hex,
computed by the site's server (the secret never reaches a browser).
"""

from __future__ import annotations

import hashlib
import hmac
import secrets

_DOMAIN = b"switchboard:customer-session:v1\x00"


def _sign(key: str, message: bytes) -> str:
    return hmac.new(key.encode(), message, hashlib.sha256).hexdigest()


def _matches(expected: str, given: object) -> bool:
    """Whether `given` is the signature `expected`, compared in constant time."""
    if not isinstance(given, str):
        return False
    return hmac.compare_digest(expected.encode(), given.encode("utf-8", "surrogatepass"))


def session_secret(key: str, session_id: str) -> str:
    """The secret that goes with `session_id`."""
    return _sign(key, _DOMAIN + session_id.encode("utf-8", "surrogatepass"))


def new_session(key: str) -> tuple[str, str]:
    """A fresh, unguessable session id and its secret."""
    session_id = secrets.token_hex(16)
    return session_id, session_secret(key, session_id)


def is_valid(key: str, session_id: object, secret: object) -> bool:
    """Whether `secret` proves that this gateway issued `session_id`."""
    return isinstance(session_id, str) and _matches(session_secret(key, session_id), secret)


def identity_hash(secret: str, customer_id: str) -> str:
    """What the host site's server computes for its signed-in customer."""
    return _sign(secret, customer_id.encode("utf-8", "surrogatepass"))


def is_valid_identity(secret: str, customer_id: object, customer_hash: object) -> bool:
    """Whether the host site vouched for `customer_id`."""
    return isinstance(customer_id, str) and _matches(
        identity_hash(secret, customer_id), customer_hash
    )
