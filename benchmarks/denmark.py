"""All of Denmark: ~3.7 million people of working age, 10 years, weekly stocks, vector engine.

The Aalborg structure scaled by 3.7e6 / 136,000 (``Scenario.scaled``): stocks, inflows
and places per head as in Aalborg. Prints the wall time per replication and the peak
resident memory of the process (``resource.getrusage``, which on Linux reports the
maximum RSS in KiB). Targets: <= 60 s per replication on the 2-core machine, <= 4 GB.

Usage::

    .venv/bin/python benchmarks/denmark.py [--years 10] [--replications 1] [--people 3.7e6]
"""

from __future__ import annotations

import argparse
import resource
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from sim.spec.scenario import load_scenario  # noqa: E402
from sim.engines import get, label  # noqa: E402
from sim.engines.compiled.engine import compiled  # noqa: E402

simulate = get("vector")  # the compiled kernel when numba imports (label printed below)

AALBORG_WORKING_AGE = 136_000  # scenarios/aalborg_2015.toml header: ~136,000 aged 18-64


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--years", type=float, default=10.0)
    ap.add_argument("--replications", type=int, default=1)
    ap.add_argument("--people", type=float, default=3.7e6)
    ap.add_argument("--seed", type=int, default=2015)
    args = ap.parse_args()
    t0 = time.perf_counter()
    sc = load_scenario(ROOT / "scenarios" / "aalborg_2015.toml").scaled(args.people / AALBORG_WORKING_AGE)
    compiled(sc)
    print(f"engine {label('vector')}")
    print(f"scenario loaded and compiled in {time.perf_counter() - t0:.1f} s "
          f"(scale {sc.scale:.2f} of Aalborg)")
    for r in range(args.replications):
        c0 = time.process_time()
        res = simulate(sc, years=args.years, seed=args.seed, replication=r)
        cpu = time.process_time() - c0
        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024 ** 2
        start = int(res.recorder.persons[0].sum())
        print(f"replication {r}: {start:,} people at the start, {res.persons_created:,} created, "
              f"{res.events:,} events, {res.wall_seconds:.1f} s wall, {cpu:.1f} s CPU "
              f"({res.events / res.wall_seconds:,.0f} events/s), peak RSS so far {peak:.2f} GiB")
    print(f"targets: <= 60 s per replication, peak memory <= 4 GiB")


if __name__ == "__main__":
    main()
