"""CPU and memory of the stack's processes, from /proc (Linux; psutil is not installed).

Each watched process is counted with its descendants (a server's workers). It is found by
the port it listens on (`gateway=8000`), its id (`trainer=pid:1234`) or, by default, its
command line; several stacks on one machine make the command line ambiguous, so every match
is kept under a numbered name and the run says so.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import time
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

PROC = Path("/proc")
TICKS = os.sysconf("SC_CLK_TCK")
COMMANDS = {
    "rasa": "rasa run",
    "actions": "bot.action_server",
    "gateway": "handover serve",
    "trainer": "trainer worker",
    "mocks": "connectors.mocks",
}


def parse_stat(text: str) -> tuple[int, int]:
    """(parent pid, user + system CPU ticks) from /proc/<pid>/stat; the command name in
    parentheses may hold spaces, so fields are counted after its closing one."""
    fields = text[text.rindex(")") + 2 :].split()
    return int(fields[1]), int(fields[11]) + int(fields[12])


def parse_rss_kib(text: str) -> int:
    """Resident memory in KiB from /proc/<pid>/status (0 for a kernel thread)."""
    for line in text.splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    return 0


def listening_inodes(table: str, port: int) -> set[str]:
    """Socket inodes listening on `port` in a /proc/net/tcp(6) table."""
    found = set()
    for line in table.splitlines()[1:]:
        cols = line.split()
        if len(cols) > 9 and cols[3] == "0A" and int(cols[1].rsplit(":", 1)[1], 16) == port:
            found.add(cols[9])
    return found


def _read(path: Path) -> str | None:
    try:
        return path.read_text(errors="replace")
    except OSError:  # the process has gone, or is not ours to read
        return None


def _pids() -> list[int]:
    return [int(p.name) for p in PROC.iterdir() if p.name.isdigit()]


def _parent(pid: int) -> int | None:
    text = _read(PROC / str(pid) / "stat")
    return parse_stat(text)[0] if text else None


def pid_on_port(port: int) -> int | None:
    """The process listening on a TCP port of this machine, if we may see it."""
    inodes: set[str] = set()
    for table in ("tcp", "tcp6"):
        inodes |= listening_inodes(_read(PROC / "net" / table) or "", port)
    wanted = {f"socket:[{inode}]" for inode in inodes}
    for pid in _pids() if wanted else []:
        try:
            descriptors = list((PROC / str(pid) / "fd").iterdir())
        except OSError:  # gone, or another user's
            continue
        if any(_link(fd) in wanted for fd in descriptors):
            return pid
    return None


def _link(path: Path) -> str | None:
    try:
        return os.readlink(path)
    except OSError:  # closed since the listing
        return None


def pids_by_command(fragment: str) -> list[int]:
    """Processes whose command line holds `fragment` (this one left out)."""
    found = []
    for pid in _pids():
        command = (_read(PROC / str(pid) / "cmdline") or "").replace("\0", " ")
        if fragment in command and pid != os.getpid():
            found.append(pid)
    return found


def resolve(
    watch: Iterable[str], default_commands: bool = True
) -> tuple[dict[str, int], list[str]]:
    """{name: pid} from `NAME=PORT` / `NAME=pid:N` specs, then the known command lines for the
    names not given; and warnings for ambiguous or missing ones."""
    named: dict[str, int] = {}
    warnings: list[str] = []
    for spec in watch:
        name, _, where = spec.partition("=")
        pid = int(where[4:]) if where.startswith("pid:") else pid_on_port(int(where))
        if pid is None:
            warnings.append(f"{name}: nothing listens on port {where}")
        else:
            named[name] = pid
    for name, fragment in COMMANDS.items() if default_commands else ():
        if name in named:
            continue
        # Forked workers keep their parent's command line; they count with it: keep roots.
        matches = set(pids_by_command(fragment)) - set(named.values())
        pids = sorted(p for p in matches if _parent(p) not in matches)
        if len(pids) > 1:
            warnings.append(f"{name}: {len(pids)} processes match {fragment!r}; give --watch")
        for index, pid in enumerate(pids, start=1):
            named[name if len(pids) == 1 else f"{name}#{index}"] = pid
    named["load"] = os.getpid()
    return named, warnings


def _stats() -> dict[int, tuple[int, int]]:
    """(parent pid, CPU ticks) of every process still readable."""
    return {pid: parse_stat(text) for pid in _pids() if (text := _read(PROC / str(pid) / "stat"))}


def family_of(root: int, parents: dict[int, int]) -> list[int]:
    """`root` and its descendants, given each process's parent."""
    family, frontier = [root], [root]
    while frontier:
        children = [pid for pid, parent in parents.items() if parent in frontier]
        family += children
        frontier = children
    return family


def cpu_seconds(roots: dict[str, int]) -> dict[str, float]:
    """The CPU time (user + system, seconds) each named process and its descendants have used
    so far; a process that has gone counts 0."""
    stats = _stats()
    parents = {pid: parent for pid, (parent, _) in stats.items()}
    return {
        name: sum(stats[pid][1] for pid in family_of(root, parents) if pid in stats) / TICKS
        for name, root in roots.items()
    }


def machine_cpu_seconds() -> float:
    """CPU time all cores have spent busy (not idle, not waiting for I/O) since boot."""
    ticks = [int(n) for n in (PROC / "stat").read_text().splitlines()[0].split()[1:]]
    return (sum(ticks) - ticks[3] - ticks[4]) / TICKS


@dataclass
class Sample:
    t: float  # seconds since the sampler started
    cpu_percent: float  # of one core
    rss_mib: float


@dataclass
class Sampler:
    """Samples each watched process (and its descendants) every `interval` seconds."""

    pids: dict[str, int]
    interval: float = 1.0
    samples: dict[str, list[Sample]] = field(default_factory=dict)
    _last: dict[str, tuple[float, int]] = field(default_factory=dict)
    started: float = field(default_factory=time.monotonic)  # t = 0 of the samples

    def sample(self) -> None:
        now = time.monotonic()
        stats = _stats()
        parents = {pid: parent for pid, (parent, _) in stats.items()}
        for name, root in self.pids.items():
            if root not in stats:
                continue
            family = family_of(root, parents)
            ticks = sum(stats[pid][1] for pid in family if pid in stats)
            rss = sum(parse_rss_kib(_read(PROC / str(pid) / "status") or "") for pid in family)
            previous = self._last.get(name)
            # Ticks are 10 ms: over a short gap one tick reads as a large share of a core.
            if previous is not None and now - previous[0] < self.interval / 2:
                continue
            self._last[name] = (now, ticks)
            if previous is None:
                continue
            cpu = (ticks - previous[1]) / TICKS / max(now - previous[0], 1e-6) * 100
            sample = Sample(round(now - self.started, 1), round(cpu, 1), round(rss / 1024, 1))
            self.samples.setdefault(name, []).append(sample)

    def rss_mib(self, name: str) -> float | None:
        """The latest resident memory of one process (MiB)."""
        found = self.samples.get(name)
        return found[-1].rss_mib if found else None

    async def run(self, stop: asyncio.Event) -> None:
        while not stop.is_set():
            # /proc reads are quick; in a thread they still never hold up the sockets.
            await asyncio.to_thread(self.sample)
            with contextlib.suppress(asyncio.TimeoutError):
                await asyncio.wait_for(stop.wait(), self.interval)
