"""Password hashes and bearer tokens."""

from datetime import datetime, timedelta, timezone

import jwt
import pytest
from argon2 import PasswordHasher

from handover.security import (
    create_token,
    hash_password,
    needs_rehash,
    read_token,
    verify_password,
)

SECRET = "a-test-secret-that-is-long-enough-for-hs256"


def test_hash_is_not_the_password_and_verifies() -> None:
    hashed = hash_password("correct horse")

    assert "correct horse" not in hashed
    assert hashed.startswith("$argon2id$")
    assert verify_password("correct horse", hashed)
    assert not verify_password("wrong horse", hashed)


def test_same_password_gets_a_different_salt() -> None:
    assert hash_password("correct horse") != hash_password("correct horse")


@pytest.mark.parametrize("stored", ["", "plain-text", "$argon2id$v=19$broken"])
def test_malformed_hash_never_verifies(stored: str) -> None:
    assert not verify_password("plain-text", stored)


def test_hash_with_other_parameters_needs_rehash() -> None:
    older = PasswordHasher(time_cost=1, memory_cost=512, parallelism=1).hash("correct horse")

    assert needs_rehash(older)
    assert not needs_rehash(hash_password("correct horse"))


def token(username: str = "alice", secret: str = SECRET, ttl: int = 60) -> str:
    return create_token(username, secret, ttl, session_id="session-1")


def test_token_names_the_agent_and_the_session() -> None:
    claims = read_token(token(), SECRET)

    assert claims is not None
    assert (claims.username, claims.session_id) == ("alice", "session-1")


def test_token_without_session_id_is_refused() -> None:
    bare = jwt.encode({"sub": "alice", "exp": 4102444800}, SECRET, algorithm="HS256")

    assert read_token(bare, SECRET) is None


def test_expired_token_is_refused() -> None:
    past = datetime.now(timezone.utc) - timedelta(seconds=1)
    expired = jwt.encode({"sub": "alice", "jti": "s", "exp": past}, SECRET, algorithm="HS256")

    assert read_token(expired, SECRET) is None


def test_token_without_expiry_is_refused() -> None:
    endless = jwt.encode({"sub": "alice", "jti": "s"}, SECRET, algorithm="HS256")

    assert read_token(endless, SECRET) is None


def test_tampered_token_is_refused() -> None:
    header, _, signature = token().split(".")
    forged = {"sub": "mallory", "jti": "session-1", "exp": 4102444800}
    forged_claims = jwt.encode(forged, "other" * 8).split(".")[1]

    assert read_token(f"{header}.{forged_claims}.{signature}", SECRET) is None
    assert read_token(token(secret="another-secret-of-sufficient-length"), SECRET) is None


def test_unsigned_token_is_refused() -> None:
    unsigned = jwt.encode({"sub": "alice", "jti": "s", "exp": 4102444800}, None, algorithm="none")

    assert read_token(unsigned, SECRET) is None


@pytest.mark.parametrize("garbage", ["", "abc", "a.b.c", "Bearer x.y.z", "\x00"])
def test_garbage_is_refused(garbage: str) -> None:
    assert read_token(garbage, SECRET) is None


def test_lifetime_must_be_positive() -> None:
    with pytest.raises(ValueError):
        token(ttl=0)
