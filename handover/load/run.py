"""A scenario run: N simultaneous customers through the gateway, agents answering hand-overs.

Each of the N slots starts a customer (spread over the ramp-up), and a new one whenever its
customer leaves, so N conversations stay open until the duration is up. Then no message is
sent; the run waits for the answers still due (up to the answer timeout) and the agents'
chats in hand, and every message is either answered or lost.
"""

from __future__ import annotations

import asyncio
import random
import resource
import time
from dataclasses import dataclass, field
from typing import Any

import httpx

from handover.load.agent import Agent
from handover.load.customer import Customer, Pace
from handover.load.errors import Unreachable
from handover.load.procs import Sampler
from handover.load.scenarios import Scenarios
from handover.load.stats import Recorder, over_time


@dataclass(frozen=True)
class Plan:
    url: str
    customers: int
    duration: float
    ramp: float
    pace: Pace
    agents: tuple[tuple[str, str], ...] = ()
    agent_think: tuple[float, float] = (2.0, 6.0)
    seed: int | None = None

    def __post_init__(self) -> None:
        if self.customers < 1:
            raise ValueError("--customers must be 1 or more")
        if not 0 <= self.ramp <= self.duration:
            raise ValueError("the ramp-up must fit in the duration (0 <= --ramp <= --duration)")


@dataclass
class Outcome:
    summary: dict[str, Any]
    timeline: list[dict[str, float]]
    processes: dict[str, list[dict[str, float]]]
    notes: list[str] = field(default_factory=list)


def raise_file_limit(needed: int) -> str | None:
    """Lift this process's soft limit of open files toward the hard one; a note if it did."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft >= needed:
        return None
    target = needed if hard == resource.RLIM_INFINITY else min(needed, hard)
    resource.setrlimit(resource.RLIMIT_NOFILE, (target, hard))
    note = f"open files: soft limit raised from {soft} to {target}"
    return note if target >= needed else f"{note}; {needed} wanted: raise `ulimit -Hn`"


async def _slot(
    index: int, plan: Plan, scenarios: Scenarios, recorder: Recorder, stop: asyncio.Event
) -> None:
    await asyncio.sleep(plan.ramp * index / max(plan.customers, 1))
    rng = random.Random(None if plan.seed is None else plan.seed * 100_003 + index)
    while not stop.is_set():
        customer = Customer(plan.url, scenarios.draw(), recorder, plan.pace, rng)
        started = time.monotonic()
        await customer.run(stop)
        if time.monotonic() - started < 1:  # refused at once: do not hammer the gateway
            await asyncio.sleep(1)


async def check_gateway(url: str, timeout: float = 10) -> None:
    """Unreachable unless the gateway answers its health check."""
    try:
        async with httpx.AsyncClient(timeout=timeout) as http:
            (await http.get(f"{url.rstrip('/')}/health")).raise_for_status()
    except httpx.HTTPError as error:
        raise Unreachable(f"the gateway at {url} does not answer /health: {error}") from error


async def run(plan: Plan, scenarios: Scenarios, sampler: Sampler) -> Outcome:
    await check_gateway(plan.url)
    notes = [n for n in [raise_file_limit(plan.customers + len(plan.agents) * 4 + 256)] if n]
    recorder = Recorder(answer_timeout=plan.pace.answer_timeout)
    rng = random.Random(plan.seed)
    agents = [
        Agent(plan.url, name, password, recorder, plan.agent_think, rng)
        for name, password in plan.agents
    ]
    for agent in agents:
        await agent.sign_in()
    sampler.sample()  # a baseline for the gateway's memory per conversation
    await asyncio.sleep(sampler.interval)
    sampler.sample()
    gateway_before = sampler.rss_mib("gateway")

    stop, agents_stop, sampling_stop = asyncio.Event(), asyncio.Event(), asyncio.Event()
    sampling = asyncio.create_task(sampler.run(sampling_stop))
    agent_tasks = [asyncio.create_task(agent.run(agents_stop)) for agent in agents]
    recorder.started = sampler.started = time.monotonic()  # one clock for every plot
    slots = [
        asyncio.create_task(_slot(i, plan, scenarios, recorder, stop))
        for i in range(plan.customers)
    ]
    await asyncio.sleep(plan.ramp)
    open_after_ramp = recorder.open_conversations
    gateway_after = sampler.rss_mib("gateway")
    await asyncio.sleep(max(plan.duration - plan.ramp, 0))
    stop.set()
    elapsed = time.monotonic() - recorder.started
    # Customers still waiting get their answers, or give up at the timeout.
    drain = plan.pace.answer_timeout + plan.pace.handover_timeout + 10
    _, unfinished = await asyncio.wait(slots, timeout=drain)
    for task in unfinished:
        task.cancel()
    recorder.give_up()
    agents_stop.set()
    await asyncio.gather(*agent_tasks, return_exceptions=True)
    sampling_stop.set()
    await sampling

    summary = recorder.summary(elapsed)
    summary["open_after_ramp"] = open_after_ramp
    if gateway_before is not None and gateway_after is not None and open_after_ramp:
        per = (gateway_after - gateway_before) * 1024 / open_after_ramp
        summary["gateway_kib_per_conversation"] = round(per, 1)
    processes = {
        name: [vars(sample) for sample in samples] for name, samples in sampler.samples.items()
    }
    return Outcome(summary, over_time(recorder.answers), processes, notes)
