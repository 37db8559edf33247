"""Logs without personal data: a filter that redacts each record's text on the way out."""

from __future__ import annotations

import logging
import threading

from privacy.redaction import building_here, redact

# Presidio logs (at DEBUG) while it redacts: those records come back through this filter, which
# would redact them, which logs again... They carry no customer text, so they pass as they are.
_redacting = threading.local()


class RedactingFilter(logging.Filter):
    """Replace the message (arguments merged in) and any traceback text with redacted text."""

    def filter(self, record: logging.LogRecord) -> bool:
        if building_here() or getattr(_redacting, "active", False):
            return True
        try:
            message = record.getMessage()
        except Exception:  # a broken format string: let the handler report it as usual
            return True
        _redacting.active = True
        try:
            record.msg, record.args = redact(message), ()
            if record.exc_info and not record.exc_text:
                record.exc_text = logging.Formatter().formatException(record.exc_info)
            if record.exc_text:
                record.exc_text = redact(record.exc_text)
        finally:
            _redacting.active = False
        return True


def install_log_redaction(logger: logging.Logger | None = None) -> RedactingFilter:
    """Add one `RedactingFilter` to every handler of `logger` (the root logger by default).

    A filter on a handler sees the records that loggers below pass up to it; call this after
    the handlers are set up (e.g. after `logging.basicConfig`).
    """
    target = logger or logging.getLogger()
    redacting = next(
        (f for h in target.handlers for f in h.filters if isinstance(f, RedactingFilter)),
        RedactingFilter(),
    )
    for handler in target.handlers:
        if redacting not in handler.filters:
            handler.addFilter(redacting)
    return redacting
