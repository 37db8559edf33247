"""The load generator: `python -m handover.load`.

- `run URL`: N simultaneous realistic customers through the gateway's widget protocol (the four
  flows, FAQ, small talk, hand-overs answered by simulated agents; English and French; think
  time between messages), for a duration. Prints throughput, time to first answer p50/p95/p99,
  errors by kind, lost messages, and CPU and memory of each process of the stack.
- `rest URL` / `sio URL` / `compare REST_URL SIO_URL`: closed-loop levels (as the team's
  eval/load.py) against bare Rasa's REST channel and the gateway, side by side.

`--json FILE` writes the raw results, `--plots DIR` PNG plots (docs/benchmarks.md).
"""
