"""Soak: 200 replications of the baseline in one process; memory must stay flat.

What it measures
----------------
The Aalborg 2015 baseline (``scenarios/aalborg_2015.toml``) scaled by ``--scale`` is
run for ``--years``, ``--replications`` times (default 200), through
:func:`sim.run.runner.run` with the sequential executor (so every replication runs in
this process, where a leak would accumulate), in chunks of ``--chunk`` replications
with a different seed per chunk. Each chunk's tables are dropped after a checksum, as
a long calibration drops the runs it has scored. The resident set size (RSS) of this
process is read after the first chunk (start: imports, caches and allocator pools
warmed up) and after every chunk; the script prints RSS at start and end, their
difference, the peak, and the least-squares slope in MB per 100 replications, overall
and over the second half (the first tens of replications warm the allocator's pools).

The engine is ``--engine`` (default ``vector`` when :data:`sim.engines.ENGINES` has
it, else the SimPy reference engine at a small scale).

Target
------
Flat memory (issue 7): end − start within a few MB (allocator noise), slope ≈ 0.

Usage::

    python benchmarks/soak.py [--engine vector|simpy] [--scale S] [--years 2] [--replications 200]
"""

from __future__ import annotations

import argparse
import gc
import os
import sys
import time
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent
if str(REPO_ROOT) not in sys.path:
    sys.path.insert(0, str(REPO_ROOT))

from sim import engines  # noqa: E402
from sim.run.runner import run  # noqa: E402
from sim.spec.scenario import load_scenario  # noqa: E402


def rss_mb() -> float:
    """Resident set size of this process now, in MB."""
    try:
        import psutil
        return psutil.Process().memory_info().rss / 2**20
    except ImportError:
        with open("/proc/self/statm") as fh:  # Linux without psutil
            return int(fh.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20


def slope(samples: list[tuple[int, float]]) -> float:
    """Least-squares growth of RSS in MB per 100 replications."""
    xs = [x for x, _ in samples]
    mx, my = sum(xs) / len(xs), sum(y for _, y in samples) / len(samples)
    den = sum((x - mx) ** 2 for x in xs) or 1.0
    return sum((x - mx) * (y - my) for x, y in samples) / den * 100


def main() -> None:
    vector = "vector" in engines.ENGINES
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--engine", default="vector" if vector else "simpy")
    ap.add_argument("--scale", type=float, default=None,
                    help="population scale (default 1 for vector, 0.05 for simpy)")
    ap.add_argument("--years", type=float, default=2)
    ap.add_argument("--replications", type=int, default=200)
    ap.add_argument("--chunk", type=int, default=10)
    a = ap.parse_args()
    scale = a.scale if a.scale is not None else (1.0 if a.engine == "vector" else 0.05)
    sc = load_scenario(REPO_ROOT / "scenarios" / "aalborg_2015.toml").scaled(scale)
    print(f"soak: Aalborg baseline ×{scale}, {a.years:g} years, {a.replications} replications, "
          f"engine {a.engine}, chunks of {a.chunk}")
    samples: list[tuple[int, float]] = []
    done, events, t0 = 0, 0, time.perf_counter()
    while done < a.replications:
        n = min(a.chunk, a.replications - done)
        res = run(sc, a.years, n, seed=1000 + done, executor="sequential", engine=a.engine)
        events += res.events
        done += n
        del res
        gc.collect()
        samples.append((done, rss_mb()))
        print(f"  {done:4d} replications  RSS {samples[-1][1]:8.1f} MB", flush=True)
    start, end = samples[0][1], samples[-1][1]
    half = samples[len(samples) // 2:]
    print(f"RSS start (after {samples[0][0]} replications) {start:.1f} MB, end {end:.1f} MB, "
          f"difference {end - start:+.1f} MB, peak {max(y for _, y in samples):.1f} MB")
    print(f"slope {slope(samples):+.2f} MB per 100 replications overall, "
          f"{slope(half):+.2f} over the second half (after allocator warm-up; "
          f"{half[0][1]:.1f} MB at {half[0][0]} → {end:.1f} MB at {samples[-1][0]})")
    print(f"{done} replications, {events:,} events in {time.perf_counter() - t0:.0f} s")


if __name__ == "__main__":
    main()
