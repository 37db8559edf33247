"""Rasa's SQL tracker store, writing events without dates of birth, codes or contact details.

Rasa builds it from endpoints.yml (`bot/stack.py` writes the section, see
`privacy.settings.tracker_store_endpoint`):

    tracker_store:
      type: privacy.tracker_store.RedactingTrackerStore
      url: "sqlite:///var/rasa-trackers.db"    # or postgresql://user@host/db

Form validation runs on the tracker of the current turn, in memory, before it is saved, so the
secret is checked and then stored only as `[date of birth]` / `[code]`. The next turn reads the
stored, redacted events back: that is why `otp_id` (the challenge's handle, needed to check the
code on the next turn, and useless without the code) is kept.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from rasa.core.tracker_store import SQLTrackerStore
from rasa.shared.core.trackers import DialogueStateTracker

from privacy.events import asked_slots, redact_event
from privacy.files import create_private_file, make_private
from privacy.logging import install_log_redaction
from privacy.redaction import redactor
from privacy.settings import DEFAULT_TRACKER_STORE_URL


class RedactingTrackerStore(SQLTrackerStore):
    """A `SQLTrackerStore` that redacts each event before writing it (see `privacy.events`)."""

    def __init__(
        self,
        domain: Any = None,
        host: str | None = DEFAULT_TRACKER_STORE_URL,
        dialect: str = "sqlite",
        db: str = "var/rasa-trackers.db",
        event_broker: Any = None,
        **kwargs: Any,
    ) -> None:
        if event_broker is not None:
            # A broker would get every event as typed: secrets included.
            raise ValueError("RedactingTrackerStore does not stream events to an event broker")
        if host and "://" in host:
            make_private(host)
        elif dialect == "sqlite":
            create_private_file(Path(db))
        super().__init__(domain=domain, host=host, dialect=dialect, db=db, **kwargs)
        redactor()  # build it now, at start-up, rather than during the first conversation
        # The only code of ours that Rasa loads at start: its logs (user text under --debug)
        # get the same filter as the gateway's.
        install_log_redaction()

    async def save(self, tracker: DialogueStateTracker) -> None:
        """Append the tracker's new events, redacted, to the database."""
        events = [event.as_dict() for event in tracker.events]
        asked = asked_slots(events)
        with self.session_scope() as session:
            stored = self._event_query(
                session, tracker.sender_id, fetch_events_from_all_sessions=False
            ).count()
            for data, slot in zip(events[stored:], asked[stored:], strict=True):
                clean = redact_event(data, slot)
                intent = ((clean.get("parse_data") or {}).get("intent") or {}).get("name")
                session.add(
                    self.SQLEvent(
                        sender_id=tracker.sender_id,
                        type_name=clean["event"],
                        timestamp=clean.get("timestamp"),
                        intent_name=intent,
                        action_name=clean.get("name"),
                        data=json.dumps(clean),
                    )
                )
            session.commit()
