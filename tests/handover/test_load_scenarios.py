"""The load generator's customers: seeded, in both languages, with data the mocks know."""

from __future__ import annotations

from datetime import date

import pytest

from connectors.mocks.orders import with_delivery_postcodes
from connectors.mocks.seed import build_dataset
from handover.load.scenarios import (
    KINDS,
    PHRASES,
    Expect,
    MockData,
    Scenarios,
    Script,
    parse_weights,
)

TODAY = date(2026, 11, 29)


@pytest.fixture(scope="module")
def data() -> MockData:
    return MockData.from_dataset(build_dataset(TODAY))


def draws(scenarios: Scenarios, count: int) -> list[Script]:
    return [scenarios.draw() for _ in range(count)]


def test_the_same_seed_draws_the_same_customers(data: MockData) -> None:
    assert draws(Scenarios(data, seed=5), 50) == draws(Scenarios(data, seed=5), 50)
    assert draws(Scenarios(data, seed=5), 50) != draws(Scenarios(data, seed=6), 50)


def test_every_kind_in_both_languages_each_in_its_own_words(data: MockData) -> None:
    scripts = draws(Scenarios(data, french_share=0.5, seed=1), 400)
    assert {(s.kind, s.language) for s in scripts} == {
        (k, lang) for k in KINDS for lang in ("en", "fr")
    }
    for script in scripts:
        other = PHRASES["en" if script.language == "fr" else "fr"]
        said = {step.text for step in script.steps}
        theirs = {p for phrases in other.values() for p in phrases if "{" not in p}
        assert not said & theirs, (script, said & theirs)


def test_verifications_use_an_account_with_its_holders_date_of_birth(data: MockData) -> None:
    dataset = build_dataset(TODAY)
    weights = {"bill": 1.0, "password": 1.0}
    for script in draws(Scenarios(data, weights, seed=2), 60):
        texts = [step.text for step in script.steps]
        account = next(t for t in texts if t.isdigit() and len(t) == 8)
        holder = dataset.customer_for_account(account)
        assert holder is not None
        assert texts[texts.index(account) + 2] == holder.date_of_birth.strftime("%d/%m/%Y")


def test_orders_are_tracked_with_their_delivery_postcode(data: MockData) -> None:
    orders = with_delivery_postcodes(build_dataset(TODAY))
    for script in draws(Scenarios(data, {"order": 1.0}, seed=3), 40):
        first, postcode = script.steps[0].text, script.steps[1].text
        number = next(word for word in first.split() if word.startswith("ORD-")).rstrip("?")
        assert orders[number].delivery_postcode == postcode


def test_a_handover_waits_for_the_agent_then_for_the_bot(data: MockData) -> None:
    (script,) = draws(Scenarios(data, {"handover": 1.0}, french_share=1.0, seed=4), 1)
    expects = [step.expect for step in script.steps]
    assert expects == [Expect.BOT, Expect.BOT, Expect.AWAIT_AGENT, Expect.NOTHING,
                       Expect.AWAIT_BOT, Expect.BOT]  # fmt: skip
    assert script.steps[1].text in PHRASES["fr"]["person"]


def test_weights_choose_the_scenarios(data: MockData) -> None:
    assert {s.kind for s in draws(Scenarios(data, {"faq": 1, "bill": 0}, seed=1), 30)} == {"faq"}
    with pytest.raises(ValueError, match="unknown scenarios"):
        Scenarios(data, {"billing": 1.0})
    with pytest.raises(ValueError, match="above 0"):
        Scenarios(data, {"faq": 0.0})


def test_weights_from_the_command_line() -> None:
    assert parse_weights("bill=2, faq=0.5,handover") == {"bill": 2.0, "faq": 0.5, "handover": 1.0}
    with pytest.raises(ValueError, match="not a number"):
        parse_weights("bill=lots")
