"""Reads and writes of the handover tables; the caller owns the session and commits.

Errors: `ValueError` for bad input (`AgentExistsError` for a taken username), `NotFoundError`.
"""

from handover.crud.agents import (
    agent_skills,
    authenticate,
    create_agent,
    get_agent,
    list_agents,
    list_online_agents,
    live_session_agent,
    open_agent_session,
    revoke_agent_session,
    set_agent_status,
    sign_in,
    sign_out,
    touch_agent_session,
)
from handover.crud.base import AgentExistsError, NotFoundError
from handover.crud.conversations import (
    accept_handover,
    add_message,
    add_ticket,
    end_handover,
    get_conversation,
    list_messages,
    list_unfinished_conversations,
    open_handover,
    record_accept,
    record_transfer,
    set_conversation_state,
    upsert_conversation,
)

__all__ = [
    "AgentExistsError",
    "NotFoundError",
    "accept_handover",
    "add_message",
    "add_ticket",
    "agent_skills",
    "authenticate",
    "create_agent",
    "end_handover",
    "get_agent",
    "get_conversation",
    "list_agents",
    "list_messages",
    "list_online_agents",
    "list_unfinished_conversations",
    "live_session_agent",
    "open_agent_session",
    "open_handover",
    "record_accept",
    "record_transfer",
    "revoke_agent_session",
    "set_agent_status",
    "set_conversation_state",
    "sign_in",
    "sign_out",
    "touch_agent_session",
    "upsert_conversation",
]
