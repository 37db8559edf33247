"""Logs without personal data: the filter on the root handlers."""

import io
import logging
import threading

import pytest

from privacy import redaction
from privacy.logging import RedactingFilter, install_log_redaction


@pytest.fixture
def captured() -> io.StringIO:
    root = logging.getLogger()
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    root.addHandler(handler)
    previous = root.level
    root.setLevel(logging.INFO)
    yield stream
    root.removeHandler(handler)
    root.setLevel(previous)


def test_messages_and_arguments_are_redacted(captured: io.StringIO) -> None:
    install_log_redaction()
    log = logging.getLogger("handover.test")
    log.info("customer said %r", "my dob is 14/03/1985, code 482913")
    log.warning("reach me at jane.doe@example.com or 07700 900123 (account %s)", "30000001")
    written = captured.getvalue()
    assert "14/03/1985" not in written and "482913" not in written
    assert "jane.doe" not in written and "900123" not in written
    assert "[date of birth]" in written and "[code]" in written and "30000001" in written


def test_tracebacks_are_redacted(captured: io.StringIO) -> None:
    install_log_redaction()
    try:
        raise ValueError("bad date 14/03/1985")
    except ValueError:
        logging.getLogger("handover.test").exception("failed")
    assert "14/03/1985" not in captured.getvalue()
    assert "ValueError: bad date [date of birth]" in captured.getvalue()


def test_installing_twice_adds_one_filter(captured: io.StringIO) -> None:
    first, second = install_log_redaction(), install_log_redaction()
    assert first is second
    for handler in logging.getLogger().handlers:
        assert sum(isinstance(f, RedactingFilter) for f in handler.filters) == 1


def test_a_broken_format_string_is_left_to_the_handler() -> None:
    record = logging.LogRecord("x", logging.INFO, __file__, 1, "%s %s", ("one",), None)
    assert RedactingFilter().filter(record) is True


def test_building_the_redactor_while_logging_through_the_filter_does_not_deadlock(
    captured: io.StringIO, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Presidio logs while it is built; with the filter installed, that once waited forever.
    install_log_redaction()
    monkeypatch.setattr(redaction, "_redactor", None)
    built = threading.Event()

    def build() -> None:
        redaction.redactor()
        built.set()

    threading.Thread(target=build, daemon=True).start()
    assert built.wait(60), "building the redactor deadlocked"
    assert "Loaded recognizer" in captured.getvalue()


def test_with_debug_logging_on_the_redactors_own_records_do_not_recurse(
    captured: io.StringIO,
) -> None:
    # Presidio logs at DEBUG while it analyses; those records reach the same filter.
    install_log_redaction()
    logging.getLogger().setLevel(logging.DEBUG)
    logging.getLogger("handover.test").warning("call me on 07700 900123")
    written = captured.getvalue()
    assert "900123" not in written
    assert "call me on" in written
