"""bot.profile: the timing of graph nodes, the table it prints, and its refusals."""

from __future__ import annotations

import time
from collections import defaultdict
from pathlib import Path
from typing import Any

import pytest
from rasa.engine.graph import ExecutionContext, GraphComponent, GraphNode, GraphSchema
from rasa.engine.storage.local_model_storage import LocalModelStorage

from bot import profile


class Sleeper(GraphComponent):
    @classmethod
    def create(cls, config: dict[str, Any], *args: Any, **kwargs: Any) -> Sleeper:
        return cls()

    def run(self) -> str:
        time.sleep(0.02)
        return "done"


def _node(tmp_path: Path) -> GraphNode:
    return GraphNode(
        node_name="run_Sleeper0",
        component_class=Sleeper,
        constructor_name="create",
        component_config={},
        fn_name="run",
        inputs={},
        eager=True,
        model_storage=LocalModelStorage(tmp_path),
        resource=None,
        execution_context=ExecutionContext(GraphSchema({}), "model"),
    )


def test_each_node_call_is_timed_under_its_name_and_the_wrap_is_undone(tmp_path: Path) -> None:
    node = _node(tmp_path)
    original = GraphNode.__call__
    timings: defaultdict[str, float] = defaultdict(float)
    with profile.timed_nodes(timings):
        assert node() == ("run_Sleeper0", "done")
        node()
    assert GraphNode.__call__ is original
    assert list(timings) == ["run_Sleeper0"]
    assert 0.04 <= timings["run_Sleeper0"] < 1.0
    node()
    assert timings["run_Sleeper0"] < 1.0 and len(timings) == 1


def test_the_table_lists_the_costliest_node_first_with_its_share() -> None:
    timings = defaultdict(float, {"run_A": 0.1, "run_B": 0.3, profile.OUTSIDE: 0.1})
    lines = profile.table("parse", timings, total=0.5, messages=10).splitlines()
    assert lines[0] == "parse: 10 messages, 500 ms, 50.00 ms/message"
    assert lines[3].split("|")[1].strip() == "run_B"
    assert [c.strip() for c in lines[3].split("|")[2:5]] == ["300", "30.000", "60.0%"]
    assert len(lines) == 6


def test_texts_are_read_in_order_and_limited(tmp_path: Path) -> None:
    data = tmp_path / "set.jsonl"
    data.write_text('{"text": "hi", "intent": "greet"}\n\n{"text": "où ?", "intent": "OOS"}\n')
    assert profile.read_texts([data, data], limit=None) == ["hi", "où ?", "hi", "où ?"]
    assert profile.read_texts([data], limit=1) == ["hi"]


@pytest.mark.parametrize(
    "arguments, message",
    [
        (["--model", "no/such/model.tar.gz"], "no such file"),
        (["--passes", "train"], "--passes takes"),
        (["--limit", "0"], "--limit must be"),
    ],
)
def test_bad_arguments_get_a_clear_error(
    arguments: list[str], message: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    data = tmp_path / "set.jsonl"
    data.write_text('{"text": "hi"}\n')
    with pytest.raises(SystemExit) as exit_:
        profile.main([str(data), *arguments])
    assert exit_.value.code == 2
    assert message in capsys.readouterr().err
