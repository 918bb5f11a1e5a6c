"""Parallel efficiency of the processes executor: R replications with 1 and with N workers.

What it measures
----------------
In one run of this script, the Aalborg 2015 baseline (``scenarios/aalborg_2015.toml``)
scaled by ``--scale`` is run for ``--years`` with ``--replications`` replications
through :func:`sim.run.runner.run`

1. with the processes executor and 1 worker process, then
2. with the processes executor and ``--workers`` worker processes (default 2),

each timed with :func:`time.perf_counter` around the whole call (so spawning workers,
sending tasks and gathering tables count against the parallel run). It checks that both
give identical tables and prints both wall times and the speed-up (time with 1 ÷ time
with N) and the efficiency (speed-up ÷ N).

Target
------
Speed-up ≥ 1.8 with 2 workers on 2 cores (issue 5). Use enough work per replication that
process start-up (about a second: each spawned worker imports NumPy, pandas and caseflow)
is small against it: the defaults (scale 0.3, 2 years, 8 replications) take about a
minute in all. Other jobs on the machine lower the figure: run it on a quiet machine.

Usage::

    python benchmarks/parallel_efficiency.py [--scale 0.3] [--years 2] [--replications 8] [--workers 2]
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent
if str(REPO_ROOT) not in sys.path:
    sys.path.insert(0, str(REPO_ROOT))

from sim.run.runner import run  # noqa: E402
from sim.spec.scenario import load_scenario  # noqa: E402


def _cpu() -> float:
    """CPU seconds of this process and of its finished child processes (the pool's workers)."""
    try:
        import resource
    except ImportError:  # Windows: no CPU figure
        return float("nan")
    me, kids = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return me.ru_utime + me.ru_stime + kids.ru_utime + kids.ru_stime


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--scale", type=float, default=0.3)
    ap.add_argument("--years", type=float, default=2)
    ap.add_argument("--replications", type=int, default=16)
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--engine", default="simpy")
    a = ap.parse_args()
    sc = load_scenario(REPO_ROOT / "scenarios" / "aalborg_2015.toml").scaled(a.scale)
    print(f"Aalborg baseline ×{a.scale}, {a.years:g} years, {a.replications} replications, "
          f"engine {a.engine}, {os.cpu_count()} cores, load average {os.getloadavg()[0]:.1f} "
          f"(other jobs on the machine lower the speed-up)")
    times, cpu, results = {}, {}, {}
    for w in (1, a.workers):
        c0, t0 = _cpu(), time.perf_counter()
        results[w] = run(sc, a.years, a.replications, 1, workers=w, executor="processes", engine=a.engine)
        times[w], cpu[w] = time.perf_counter() - t0, _cpu() - c0
        print(f"  {w} worker process{'es' if w > 1 else ''}: {times[w]:7.1f} s wall, {cpu[w]:7.1f} s CPU "
              f"(this process and its workers; {results[w].events:,} events)")
    same = all(results[1].tables[k].equals(results[a.workers].tables[k]) for k in results[1].tables)
    speedup = times[1] / times[a.workers]
    print(f"identical tables: {same}")
    print(f"speed-up {speedup:.2f}× with {a.workers} workers (efficiency {speedup / a.workers:.0%}; "
          f"target ≥ 1.8× on 2 cores)")
    # On a busy machine the wall-time ratio measures the other jobs too. The CPU seconds show
    # what parallelism itself costs (spawning, pickling, gathering): the speed-up an idle
    # machine would give, if the batches balance, is at most N × CPU(1) / CPU(N).
    print(f"CPU overhead of {a.workers} workers: {cpu[a.workers] / cpu[1] - 1:+.1%}; speed-up bound on an idle "
          f"machine {a.workers * cpu[1] / cpu[a.workers]:.2f}×")


if __name__ == "__main__":
    main()
