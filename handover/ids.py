"""Conversation ids: one pattern for the customer socket and every REST path that names one."""

import re

# Letters, digits and `_.:-` only: no whitespace, control characters or path separators, so an
# id is safe as a state-store key, a Socket.IO room and a URL segment.
SESSION_ID_PATTERN = r"^[A-Za-z0-9_.:-]{1,128}$"
SESSION_ID = re.compile(SESSION_ID_PATTERN.strip("^$"))


def is_session_id(value: object) -> bool:
    """Whether `value` is a conversation id we accept (the whole string, no trailing newline)."""
    return isinstance(value, str) and SESSION_ID.fullmatch(value) is not None
