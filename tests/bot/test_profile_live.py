"""The live profile's sorting of py-spy's stacks into parts (bot/profile_live.py)."""

from __future__ import annotations

from bot.profile_live import shares, table

RAW = [
    "<module> (rasa/__main__.py:1);handle_message (rasa/core/processor.py:9);"
    "predict (rasa/engine/graph.py:3);predict_action_probabilities "
    "(rasa/core/policies/ted_policy.py:7) 30",
    "<module> (rasa/__main__.py:1);_run_custom_action (rasa/core/actions/action.py:5) 12",
    "<module> (rasa/__main__.py:1);save (privacy/tracker_store.py:2);"
    "save (rasa/core/tracker_store.py:3) 8",
    "<module> (rasa/__main__.py:1);run (sanic/app.py:4) 6",
    "<module> (somewhere/else.py:1) 4",
    "not a sample line",
]


def test_each_sample_goes_to_the_first_part_its_stack_shows() -> None:
    total, counted = shares(RAW)

    assert total == 60
    assert counted == {
        "TEDPolicy": 30,
        "action server calls (Rasa side)": 12,
        "tracker store and event broker": 8,
        "web server and event loop": 6,
        "other": 4,
    }


def test_the_table_gives_shares_largest_first() -> None:
    printed = table({"rasa": shares(RAW)}).splitlines()

    assert printed[2] == "| rasa | TEDPolicy | 50.0% |"
    assert printed[-1] == "| rasa | **samples** | 60 |"
