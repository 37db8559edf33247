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


def test_token_names_the_agent() -> None:
    token = create_token("alice", SECRET, 60)

    assert read_token(token, SECRET) == "alice"


def test_expired_token_is_refused() -> None:
    past = datetime.now(timezone.utc) - timedelta(seconds=1)
    token = jwt.encode({"sub": "alice", "exp": past}, SECRET, algorithm="HS256")

    assert read_token(token, SECRET) is None


def test_token_without_expiry_is_refused() -> None:
    token = jwt.encode({"sub": "alice"}, SECRET, algorithm="HS256")

    assert read_token(token, SECRET) is None


def test_tampered_token_is_refused() -> None:
    header, _, signature = create_token("alice", SECRET, 60).split(".")
    forged_claims = jwt.encode({"sub": "mallory", "exp": 4102444800}, "other" * 8).split(".")[1]

    assert read_token(f"{header}.{forged_claims}.{signature}", SECRET) is None
    assert (
        read_token(create_token("alice", "another-secret-of-sufficient-length", 60), SECRET) is None
    )


def test_unsigned_token_is_refused() -> None:
    token = jwt.encode({"sub": "alice", "exp": 4102444800}, None, algorithm="none")

    assert read_token(token, SECRET) is None


@pytest.mark.parametrize("garbage", ["", "abc", "a.b.c", "Bearer x.y.z", "\x00"])
def test_garbage_is_refused(garbage: str) -> None:
    assert read_token(garbage, SECRET) is None


def test_lifetime_must_be_positive() -> None:
    with pytest.raises(ValueError):
        create_token("alice", SECRET, 0)
