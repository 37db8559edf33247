"""Agent passwords (argon2id hashes) and signed bearer tokens (JWT, HS256)."""

from datetime import datetime, timedelta, timezone

import jwt
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

ALGORITHM = "HS256"
_hasher = PasswordHasher()


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


def create_token(username: str, secret: str, ttl_seconds: int) -> str:
    """A bearer token naming `username`, valid for `ttl_seconds`."""
    if ttl_seconds <= 0:
        raise ValueError("ttl_seconds must be positive")
    now = datetime.now(timezone.utc)
    claims = {"sub": username, "iat": now, "exp": now + timedelta(seconds=ttl_seconds)}
    return jwt.encode(claims, secret, algorithm=ALGORITHM)


def read_token(token: str, secret: str) -> str | None:
    """The username in `token`, or None if it is malformed, tampered with or expired."""
    try:
        claims = jwt.decode(
            token, secret, algorithms=[ALGORITHM], options={"require": ["exp", "sub"]}
        )
    except jwt.InvalidTokenError:
        return None
    username = claims["sub"]
    return username if isinstance(username, str) and username else None
