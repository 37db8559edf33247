"""Agent passwords (argon2id hashes) and signed bearer tokens (JWT, HS256).

A token names the agent (`sub`) and the sign-in session it belongs to (`jti`); the session
table decides whether that session still lives, so signing out revokes its tokens at once.
"""

import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone

import jwt
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

ALGORITHM = "HS256"
_hasher = PasswordHasher()


@dataclass(frozen=True)
class TokenClaims:
    """What a valid token says: who, in which session, until when."""

    username: str
    session_id: str
    expires_at: datetime


def hash_password(password: str) -> str:
    """An argon2id hash of `password`, with its own random salt."""
    return _hasher.hash(password)


def verify_password(password: str, password_hash: str) -> bool:
    """Whether `password` matches `password_hash` (False for a malformed hash)."""
    try:
        return _hasher.verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


def needs_rehash(password_hash: str) -> bool:
    """Whether `password_hash` was made with weaker parameters than the current ones."""
    return _hasher.check_needs_rehash(password_hash)


def new_session_id() -> str:
    """An unguessable session id (256 bits)."""
    return secrets.token_urlsafe(32)


def create_token(
    username: str, secret: str, ttl_seconds: int, *, session_id: str, now: datetime | None = None
) -> str:
    """A bearer token naming `username` and `session_id`, valid for `ttl_seconds` from `now`."""
    if ttl_seconds <= 0:
        raise ValueError("ttl_seconds must be positive")
    issued = now or datetime.now(timezone.utc)
    claims = {
        "sub": username,
        "jti": session_id,
        "iat": issued,
        "exp": issued + timedelta(seconds=ttl_seconds),
    }
    return jwt.encode(claims, secret, algorithm=ALGORITHM)


def read_token(token: str, secret: str) -> TokenClaims | None:
    """The claims of `token`, or None if it is malformed, tampered with or expired."""
    try:
        claims = jwt.decode(
            token, secret, algorithms=[ALGORITHM], options={"require": ["exp", "sub", "jti"]}
        )
    except jwt.InvalidTokenError:
        return None
    username, session_id = claims["sub"], claims["jti"]
    if not (isinstance(username, str) and username and isinstance(session_id, str) and session_id):
        return None
    return TokenClaims(
        username=username,
        session_id=session_id,
        expires_at=datetime.fromtimestamp(claims["exp"], timezone.utc),
    )
