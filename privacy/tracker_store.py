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

With an `event_broker:` section in endpoints.yml (reports: `reporting.settings`), each saved
event is then published to the broker exactly as stored, redacted, with its `input_channel`.
Rasa's own streaming (`TrackerStore.stream_events`) would publish the events as typed, secrets
included: it is turned off here.
"""

from __future__ import annotations

import json
import logging
from pathlib import Path
from typing import Any

from rasa.core.brokers.broker import EventBroker
from rasa.core.tracker_store import SQLTrackerStore
from rasa.shared.core.trackers import DialogueStateTracker
from sqlalchemy.orm import sessionmaker

from bot import rasa_fixes
from bot.rasa_sqlite import is_sqlite_file, keep_connections
from privacy.events import asked_slots, redact_event
from privacy.files import create_private_file, make_private
from privacy.logging import install_log_redaction
from privacy.redaction import pseudonym, redactor
from privacy.settings import DEFAULT_TRACKER_STORE_URL

logger = logging.getLogger(__name__)


class RedactingTrackerStore(SQLTrackerStore):
    """A `SQLTrackerStore` that redacts each event before writing it (see `privacy.events`),
    and publishes the redacted events to its event broker, if any."""

    def __init__(
        self,
        domain: Any = None,
        host: str | None = DEFAULT_TRACKER_STORE_URL,
        dialect: str = "sqlite",
        db: str = "var/rasa-trackers.db",
        event_broker: EventBroker | None = None,
        **kwargs: Any,
    ) -> None:
        if host and "://" in host:
            make_private(host)
        elif dialect == "sqlite":
            create_private_file(Path(db))
        super().__init__(
            domain=domain, host=host, dialect=dialect, db=db, event_broker=event_broker, **kwargs
        )
        if is_sqlite_file(self.engine.url):
            self.engine.dispose()
            self.engine = keep_connections(self.engine.url)
            self.sessionmaker = sessionmaker(bind=self.engine)
        redactor()  # build it now, at start-up, rather than during the first conversation
        # The only code of ours that Rasa loads at start: its logs (user text under --debug)
        # get the same filter as the gateway's, and its code our fixes (bot/rasa_fixes.py).
        install_log_redaction()
        rasa_fixes.apply()

    async def save(self, tracker: DialogueStateTracker) -> None:
        """Append the tracker's new events, redacted, to the database; then publish them."""
        events = [event.as_dict() for event in tracker.events]
        asked = asked_slots(events)
        saved = []
        with self.session_scope() as session:
            stored = self._event_query(
                session, tracker.sender_id, fetch_events_from_all_sessions=False
            ).count()
            for data, slot in zip(events[stored:], asked[stored:], strict=True):
                clean = redact_event(data, slot)
                saved.append(clean)
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
        self._publish(tracker.sender_id, saved)

    async def stream_events(self, tracker: DialogueStateTracker) -> None:
        """Nothing: Rasa's version publishes the tracker's events as typed, secrets included.
        `save` publishes the redacted events it stored instead."""

    def _publish(self, sender_id: str, events: list[dict[str, Any]]) -> None:
        """The events to the broker, as `TrackerStore._stream_new_events` shapes each.

        A broker that takes a turn's events at once (`publish_all`: the SQL event store, one
        commit for them all) gets them so; others one at a time. After the commit, and a
        failure is logged, not raised: the conversation is saved and goes on; only reports
        miss the events. (Rasa's RabbitMQ broker publishes in the background and keeps what
        failed for its reconnection: it does not raise here.)
        """
        if self.event_broker is None or not events:
            return
        messages = [{"sender_id": sender_id, **event} for event in events]
        publish_all = getattr(self.event_broker, "publish_all", None)
        if callable(publish_all):
            try:
                publish_all(messages)
            except Exception as error:
                self._log_failure(error, sender_id, f"{len(messages)} events")
            return
        for message in messages:
            try:
                self.event_broker.publish(message)
            except Exception as error:
                self._log_failure(error, sender_id, f"a {message.get('event')} event")

    @staticmethod
    def _log_failure(error: Exception, sender_id: str, what: str) -> None:
        # Not the error's text (a database error quotes the row) nor the sender id: a short
        # stand-in tells conversations apart.
        logger.error(
            "event broker failed (%s): %s of conversation %s not in reports",
            type(error).__name__,
            what,
            pseudonym(sender_id),
        )
