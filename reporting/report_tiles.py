"""The summary's tiles: which KPI each is, its unit, which way is better, and its value and
basis (the count it is computed over) from the figures of one period (docs/kpis.md)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Literal

from reporting.report_figures import Figures

Unit = Literal["ratio", "seconds", "score", "count"]
Better = Literal["higher", "lower"]
# A tile's value and its basis; None, None when the figure is not available at all.
Reading = tuple[float | None, int | None]


@dataclass(frozen=True)
class Tile:
    key: str
    label: str
    unit: Unit
    better: Better
    read: Callable[[Figures], Reading]


def _ratio(value: object) -> Reading:
    """A `reporting.kpis.Ratio` (or None when its KPI is not available)."""
    if value is None:
        return None, None
    return value.rate, value.whole  # type: ignore[attr-defined]


def _percentile(value: object, which: str) -> Reading:
    return getattr(value, which), value.count  # type: ignore[attr-defined]


# In the dashboard's order. Contacts count as "higher is better": more customers served.
TILES: tuple[Tile, ...] = (
    Tile("contacts", "Contacts", "count", "higher",
         lambda f: (f.transfer.overall.whole, f.transfer.overall.whole)),
    Tile("containment", "Containment", "ratio", "higher", lambda f: _ratio(f.bot.containment)),
    Tile("containment_24h", "Containment without repeat in 24 h", "ratio", "higher",
         lambda f: _ratio(f.bot.containment_24h)),
    Tile("transfer_rate", "Transfer rate", "ratio", "lower",
         lambda f: _ratio(f.transfer.overall)),
    Tile("queue_abandonment", "Abandonment in queue", "ratio", "lower",
         lambda f: _ratio(f.queue_abandonment.abandoned)),
    Tile("bot_abandonment", "Abandonment in the bot", "ratio", "lower",
         lambda f: _ratio(f.bot.abandonment)),
    Tile("time_to_queue_p50", "Time to queue (median)", "seconds", "lower",
         lambda f: _percentile(f.time_to_queue, "p50")),
    Tile("waiting_p50", "Waiting time (median)", "seconds", "lower",
         lambda f: _percentile(f.waiting.answered, "p50")),
    Tile("waiting_p90", "Waiting time (90th percentile)", "seconds", "lower",
         lambda f: _percentile(f.waiting.answered, "p90")),
    Tile("first_response_p50", "First response time (median)", "seconds", "lower",
         lambda f: _percentile(f.first_response.replied, "p50")),
    Tile("handle_time", "Average handle time", "seconds", "lower",
         lambda f: (f.handle_time.mean, f.handle_time.count)),
    Tile("csat", "Satisfaction (CSAT)", "score", "higher",
         lambda f: (f.csat.overall.mean, f.csat.overall.rated.part)),
    Tile("csat_response_rate", "CSAT response rate", "ratio", "higher",
         lambda f: _ratio(f.csat.overall.rated)),
    Tile("fcr_agent", "First-contact resolution (agents)", "ratio", "higher",
         lambda f: _ratio(f.fcr_agent.resolved)),
    Tile("fcr_bot", "First-contact resolution (bot)", "ratio", "higher",
         lambda f: _ratio(f.bot.fcr)),
    Tile("nlu_fallback_rate", "NLU fallback rate", "ratio", "lower",
         lambda f: _ratio(f.bot.nlu_fallback)),
)  # fmt: skip
