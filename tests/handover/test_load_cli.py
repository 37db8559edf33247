"""`python -m handover.load`: what it accepts, and clear refusals instead of tracebacks."""

from __future__ import annotations

import argparse
import socket

import pytest

from handover.load.__main__ import credentials, level_list, main, span


def test_ranges_agents_and_levels_from_the_command_line() -> None:
    assert span("5,20") == (5.0, 20.0) and span("0.5") == (0.5, 0.5)
    assert credentials("demo:pa:ss") == ("demo", "pa:ss")
    assert level_list("1,8,32") == [1, 8, 32]
    for parse, bad in ((span, "20,5"), (span, "soon"), (credentials, "demo"),
                       (level_list, "0,8"), (level_list, "a")):  # fmt: skip
        with pytest.raises(argparse.ArgumentTypeError):
            parse(bad)


def test_unknown_scenarios_and_an_absent_gateway_are_refused(
    capsys: pytest.CaptureFixture[str],
) -> None:
    with socket.socket() as unused:
        unused.bind(("127.0.0.1", 0))
        url = f"http://127.0.0.1:{unused.getsockname()[1]}"  # bound, never listening
        assert main(["run", url, "--scenarios", "billing=1"]) == 2
        assert "unknown scenarios ['billing']" in capsys.readouterr().err
        assert main(["run", url, "--ramp", "60", "--duration", "30"]) == 2
        assert "the ramp-up must fit in the duration" in capsys.readouterr().err
        assert main(["run", url, "--scenarios", "faq=1", "--watch", "load=pid:1"]) == 2
    assert f"the gateway at {url} does not answer /health" in capsys.readouterr().err
