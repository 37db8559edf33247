"""Sampling the stack's processes from /proc: parsing, finding them, CPU and memory."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time

from handover.load.procs import (
    Sampler,
    cpu_seconds,
    family_of,
    listening_inodes,
    machine_cpu_seconds,
    parse_rss_kib,
    parse_stat,
    pid_on_port,
    resolve,
)

# A command name with spaces and parentheses, as /proc shows `(rasa run) (x)`.
STAT = "4242 (rasa run) (x)) S 17 4242 4242 0 -1 4194560 52 0 0 0 731 269 0 0 20 0 9 0 1 2 3"
STATUS = "Name:\tpython\nVmPeak:\t  999 kB\nVmRSS:\t  204800 kB\nThreads:\t9\n"
TCP = """\
  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode
   0: 0100007F:1F40 00000000:0000 0A 00000000:00000000 00:00000000 00000000  1000  0 555 1
   1: 0100007F:1F40 0100007F:D2F0 01 00000000:00000000 00:00000000 00000000  1000  0 556 1
   2: 00000000:1389 00000000:0000 0A 00000000:00000000 00:00000000 00000000  1000  0 557 1
"""


def test_stat_fields_count_after_the_command_name() -> None:
    assert parse_stat(STAT) == (17, 731 + 269)


def test_resident_memory_from_status() -> None:
    assert parse_rss_kib(STATUS) == 204800
    assert parse_rss_kib("Name:\tkthreadd\n") == 0


def test_only_listening_sockets_of_the_port() -> None:
    assert listening_inodes(TCP, 8000) == {"555"}  # 0x1F40; the connected one is left out
    assert listening_inodes(TCP, 5001) == {"557"}
    assert listening_inodes(TCP, 9) == set()


def test_the_process_listening_on_a_port_is_found() -> None:
    with socket.socket() as server:
        server.bind(("127.0.0.1", 0))
        server.listen()
        assert pid_on_port(server.getsockname()[1]) == os.getpid()


def test_named_processes_and_what_could_not_be_found() -> None:
    with socket.socket() as unused:
        unused.bind(("127.0.0.1", 0))
        closed_port = unused.getsockname()[1]  # bound, never listening
        named, warnings = resolve(
            [f"trainer=pid:{os.getpid()}", f"gateway={closed_port}"], default_commands=False
        )
    assert named == {"trainer": os.getpid(), "load": os.getpid()}
    assert warnings == [f"gateway: nothing listens on port {closed_port}"]


def test_a_process_is_counted_with_its_children() -> None:
    burn = "import time\nend = time.time() + 1.5\nwhile time.time() < end: pass"
    child = subprocess.Popen([sys.executable, "-c", burn])
    try:
        sampler = Sampler({"me": os.getpid()}, interval=0.5)
        sampler.sample()
        time.sleep(1.0)  # the child burns a core meanwhile; this process sleeps
        sampler.sample()
    finally:
        child.wait(10)
    (sample,) = sampler.samples["me"]
    # The parent sleeps (about 0 %); the child burns, but shares 2 busy cores with others.
    assert sample.cpu_percent > 10, "the child's CPU counts with its parent"
    assert sample.rss_mib > 10


def test_the_tree_follows_grandchildren() -> None:
    parents = {1: 0, 10: 1, 11: 10, 12: 11, 20: 2}
    assert sorted(family_of(10, parents)) == [10, 11, 12]


def test_cpu_seconds_count_a_process_with_its_children() -> None:
    burn = (
        "import sys, time\nend = time.process_time() + 0.6\n"
        "while time.process_time() < end: pass\nprint('burnt', flush=True)\ntime.sleep(30)"
    )
    before, machine_before = cpu_seconds({"me": os.getpid()}), machine_cpu_seconds()
    child = subprocess.Popen([sys.executable, "-c", burn], stdout=subprocess.PIPE, text=True)
    try:
        assert child.stdout is not None and child.stdout.readline() == "burnt\n"
        after, machine_after = cpu_seconds({"me": os.getpid()}), machine_cpu_seconds()
    finally:
        child.kill()
        child.wait(10)
    assert 0.55 <= after["me"] - before["me"] < 3, "the child's CPU counts with its parent"
    assert machine_after - machine_before >= 0.55
    assert cpu_seconds({"gone": 2**22 + 7}) == {"gone": 0.0}
