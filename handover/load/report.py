"""What a run prints and writes: a table, raw JSON, PNG plots (matplotlib's Agg backend)."""

from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path
from typing import Any


def table(rows: list[list[str]]) -> str:
    """Left-aligned columns, a rule under the first row."""
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    lines = [
        "  ".join(cell.ljust(w) for cell, w in zip(row, widths, strict=True)).rstrip()
        for row in rows
    ]
    return "\n".join([lines[0], "  ".join("-" * w for w in widths), *lines[1:]])


def _ms(value: Any) -> str:
    return "-" if value is None else f"{value:,} ms"


def run_table(summary: dict[str, Any], processes: dict[str, list[dict[str, float]]]) -> str:
    """The end-of-run report: messages, latencies, errors, then each process."""
    errors = ", ".join(f"{k} {v}" for k, v in sorted(summary["errors"].items())) or "none"
    figures = [
        ["measure", "value"],
        ["conversations (open after ramp-up)",
         f"{summary['conversations']} ({summary['open_after_ramp']})"],
        ["messages sent / answered", f"{summary['sent']} / {summary['answered']}"],
        ["lost (no answer in time; late among them)", f"{summary['lost']} ({summary['late']})"],
        ["refused by the gateway (rate limits)", str(summary["refused"])],
        ["throughput", f"{summary['answered_per_s']} answers/s"],
        ["first answer p50 / p95 / p99",
         " / ".join(_ms(summary[k]) for k in ("p50_ms", "p95_ms", "p99_ms"))],
        ["hand-overs (wait for the agent p50)",
         f"{summary['handovers']} ({_ms(summary['handover_wait_p50_ms'])})"],
        ["gateway memory per open conversation",
         f"{summary.get('gateway_kib_per_conversation', '-')} KiB"],
        ["errors", errors],
    ]  # fmt: skip
    usage = [["process", "CPU % mean", "CPU % max", "RSS MiB max"]]
    for name, samples in sorted(processes.items()):
        if samples:
            cpu = [s["cpu_percent"] for s in samples]
            usage.append([name, f"{sum(cpu) / len(cpu):.0f}", f"{max(cpu):.0f}",
                          f"{max(s['rss_mib'] for s in samples):.0f}"])  # fmt: skip
    return table(figures) + "\n\n" + table(usage)


def levels_table(rows: list[dict[str, Any]]) -> str:
    head = ["mode", "c", "msg/s", "p50", "p95", "errors"]
    body = [[r["mode"], str(r["c"]), str(r["msg_per_s"]), _ms(r["p50_ms"]), _ms(r["p95_ms"]),
             str(r["errors"])] for r in rows]  # fmt: skip
    return table([head, *body])


def write_json(path: Path, data: Any) -> None:
    """Atomically: a reader never sees half a file."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.NamedTemporaryFile(
        "w", dir=path.parent, suffix=".tmp", delete=False, encoding="utf-8"
    ) as out:
        json.dump(data, out, indent=1)
    os.replace(out.name, path)


def _figure(title: str, ylabel: str) -> tuple[Any, Any]:
    import matplotlib

    matplotlib.use("Agg")  # no display: files only
    import matplotlib.pyplot as plt

    figure, axes = plt.subplots(figsize=(8, 4), dpi=100)
    axes.set_title(title)
    axes.set_xlabel("seconds")
    axes.set_ylabel(ylabel)
    axes.grid(alpha=0.3)
    return figure, axes


def _save(figure: Any, path: Path) -> Path:
    import matplotlib.pyplot as plt

    figure.tight_layout()
    figure.savefig(path)
    plt.close(figure)
    return path


def run_plots(
    directory: Path,
    timeline: list[dict[str, float]],
    processes: dict[str, list[dict[str, float]]],
    prefix: str = "load",
) -> list[Path]:
    """Latency percentiles and throughput over time, CPU and RSS per process."""
    directory.mkdir(parents=True, exist_ok=True)
    written = []
    times = [w["t"] for w in timeline]
    figure, axes = _figure("Time to first answer", "ms")
    for key in ("p50", "p95", "p99"):
        axes.plot(times, [w[key] for w in timeline], label=key)
    axes.legend()
    written.append(_save(figure, directory / f"{prefix}-latency.png"))
    figure, axes = _figure("Throughput", "answers per second")
    axes.plot(times, [w["per_s"] for w in timeline])
    written.append(_save(figure, directory / f"{prefix}-throughput.png"))
    for key, title, unit in (("cpu_percent", "CPU per process", "% of one core"),
                             ("rss_mib", "Memory per process (RSS)", "MiB")):  # fmt: skip
        figure, axes = _figure(title, unit)
        for name, samples in sorted(processes.items()):
            axes.plot([s["t"] for s in samples], [s[key] for s in samples], label=name)
        axes.legend(fontsize="small")
        written.append(_save(figure, directory / f"{prefix}-{key.split('_')[0]}.png"))
    return written


def levels_plot(directory: Path, rows: list[dict[str, Any]], prefix: str = "load") -> Path:
    """msg/s and p95 against the number of concurrent customers, one line per mode."""
    directory.mkdir(parents=True, exist_ok=True)
    figure, axes = _figure("Closed loop: throughput by concurrency", "messages per second")
    axes.set_xlabel("concurrent customers")
    for mode in sorted({r["mode"] for r in rows}):
        mine = [r for r in rows if r["mode"] == mode]
        axes.plot([r["c"] for r in mine], [r["msg_per_s"] for r in mine], marker="o", label=mode)
    axes.legend()
    return _save(figure, directory / f"{prefix}-levels.png")
