"""Which agent, and which live sign-in session, a bearer token stands for (REST and sockets)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from handover import crud
from handover.security import TokenClaims, read_token

if TYPE_CHECKING:
    from handover.service import Hub


@dataclass(frozen=True)
class SignedIn:
    """The agent behind a token, the session the token belongs to, and the token's claims."""

    agent: Any
    session: Any
    claims: TokenClaims


async def signed_in_with(hub: Hub, token: str | None) -> SignedIn | None:
    """Who `token` signs in, if it is valid and its session still lives (logout ends it)."""
    claims = read_token(token, hub.settings.secret_key) if token else None
    if claims is None:
        return None
    found = await hub.db(
        crud.live_session_agent, session_id=claims.session_id, username=claims.username
    )
    return None if found is None else SignedIn(agent=found[0], session=found[1], claims=claims)
