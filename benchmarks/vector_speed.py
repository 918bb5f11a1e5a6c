"""Vector engine speed: events per second against the SimPy engine and a bare kernel.

In one process this script runs

1. the Aalborg 2015 baseline with the SimPy engine and with the vector engine (same
   seed, ``--scale``, ``--years``), and prints each engine's events per second
   (``RunResult.events`` per CPU second of the run, as the machine is shared; both count the same events: every
   fired hazard, deadline, age-band change, effect end, offer and arrival) and their
   ratio. Target: vector >= 50 x SimPy.
2. a bare vectorised competing-risks kernel on the same population size: every
   citizen in one of the model's states with a constant total hazard and a
   destination table, drawing exponential times and destinations with the same
   counter-based streams, all citizens advanced at once, until the horizon. It prints
   transitions per second (the median of ``--replications`` runs: one takes a few
   hundredths of a second, too short to time alone) and the ratio kernel / vector
   model. Target: the model within 4 x of the kernel.

Usage::

    .venv/bin/python benchmarks/vector_speed.py [--scale 1] [--years 5] [--seed 1] [--engine vector]

The vector rate is the median over ``--replications`` (default 5) replications run one
after another in this process, as a worker of the runner or of calibration runs them;
the first replication alone is printed too (it also pays for faulting in fresh memory
and filling the scenario's elapsed-duration CDFs, once per process and scenario).

``--engine vector`` is the compiled kernel when Numba imports (``vector-numpy`` for the
NumPy implementation). A small warm-up run (scale 0.02, 1.1 years: it reaches every
compiled function, each loaded from Numba's cache on its first call) first loads the
compiled kernel (or compiles it, the first time: printed), so the measured run is the
steady state a replication sees in a long-lived process.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from sim.engines.simpy_engine import simulate as simpy_simulate  # noqa: E402
from sim.spec.scenario import load_scenario  # noqa: E402
from sim.engines.compiled import rng  # noqa: E402
from sim.engines import get, label  # noqa: E402
from sim.engines.compiled.engine import compiled  # noqa: E402


def kernel(n: int, weeks: float, n_states: int, seed: int = 1) -> tuple[int, float]:
    """Bare competing risks: constant rates between ``n_states`` states, all citizens at once."""
    gen_seed = rng.stream_seeds(rng.initial_bases(seed, np.arange(n)))[0]
    rates = np.full((n_states, n_states), 0.01 / n_states)
    np.fill_diagonal(rates, 0.0)
    total = rates.sum(axis=1)
    cum = np.cumsum(rates / total[:, None], axis=1)
    t0 = time.process_time()
    state = (np.arange(n) % n_states).astype(np.int64)
    t = np.zeros(n)
    draws = np.zeros(n, dtype=np.uint64)
    live = np.arange(n)
    transitions = 0
    while len(live):
        draws[live] += np.uint64(1)
        e = -np.log(rng.nth_uniform(gen_seed[live], draws[live]))
        t[live] += e / total[state[live]]
        live = live[t[live] < weeks]
        draws[live] += np.uint64(1)
        u = rng.nth_uniform(gen_seed[live], draws[live])
        state[live] = np.minimum((cum[state[live]] <= u[:, None]).sum(axis=1), n_states - 1)
        transitions += len(live)
    return transitions, time.process_time() - t0


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--scale", type=float, default=1.0)
    ap.add_argument("--years", type=float, default=5.0)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--engine", default="vector", help="vector engine variant (sim/engines.py)")
    ap.add_argument("--replications", type=int, default=5,
                    help="vector replications timed; their median CPU time is the rate")
    args = ap.parse_args()
    vector_simulate = get(args.engine)
    base = load_scenario(ROOT / "scenarios" / "aalborg_2015.toml")
    w0 = time.perf_counter()
    # load (or compile) the kernel: a small run long enough to reach every compiled
    # function (a 1 January, a queue for places, compaction), each loaded on first call
    vector_simulate(base.scaled(0.02), years=1.1, seed=args.seed)
    print(f"engine {label(args.engine)}: warm-up (kernel load or JIT compile) "
          f"{time.perf_counter() - w0:.1f} s wall")
    sc = base.scaled(args.scale)
    if args.engine != "vector-numpy" and "numba" in label(args.engine):
        from sim.engines.compiled.numba_engine import packed
        packed(compiled(sc))  # the kernel's copy of the tables, part of loading the model
    compiled(sc)  # the vector engine's lookup tables, built once per scenario (like loading it)
    # The vector engine: replications 0 .. R-1 of the seed, as a worker runs them; the
    # median CPU time per replication is the rate (the first replication of a process
    # also faults in fresh memory and fills the scenario's CDF cache: printed apart).
    cpu_each, runs = [], []
    for r in range(args.replications):
        c0 = time.process_time()
        runs.append(vector_simulate(sc, years=args.years, seed=args.seed, replication=r))
        cpu_each.append(time.process_time() - c0)
    v = runs[0]
    c1 = time.process_time()
    s = simpy_simulate(sc, years=args.years, seed=args.seed)
    c2 = time.process_time()
    cpu_s = c2 - c1
    rates = [x.events / c for x, c in zip(runs, cpu_each)]
    rate_v = float(np.median(rates))
    cpu_v = float(np.median(cpu_each))
    # CPU seconds: the machine is shared, so wall time depends on the neighbours' load
    rate_s = s.events / cpu_s
    print(f"Aalborg baseline, scale {args.scale:g}, {args.years:g} years, seed {args.seed} "
          f"(vector: median of replications 0-{args.replications - 1})")
    print(f"  persons created      simpy {s.persons_created:>10,}   vector {v.persons_created:>10,}")
    print(f"  events               simpy {s.events:>10,}   vector {v.events:>10,}")
    print(f"  wall seconds         simpy {s.wall_seconds:>10.2f}   vector {v.wall_seconds:>10.2f}")
    print(f"  CPU seconds          simpy {cpu_s:>10.2f}   vector {cpu_v:>10.2f}   "
          f"(vector each: {' '.join(f'{c:.3f}' for c in cpu_each)})")
    print(f"  events per CPU sec.  simpy {rate_s:>10,.0f}   vector {rate_v:>10,.0f}")
    print(f"  vector / simpy       {rate_v / rate_s:.1f} x   (target >= 50 x; "
          f"first replication alone {rates[0] / rate_s:.1f} x)")
    n = v.persons_created
    # the kernel's run is short (a few hundredths of a second): its median over as many
    # runs as the model's replications, so both sides of the ratio are measured alike
    runs_k = [kernel(n, float(v.weeks), len(sc.states) - 1, args.seed) for _ in range(args.replications)]
    trans = runs_k[0][0]
    secs = float(np.median([s for _, s in runs_k]))
    rate_k = trans / secs
    print(f"Bare competing-risks kernel, {n:,} citizens, {v.weeks} weeks "
          f"(median of {args.replications} runs)")
    print(f"  transitions {trans:,} in {secs:.3f} CPU s = {rate_k:,.0f} per second   "
          f"(each: {' '.join(f'{s:.3f}' for _, s in runs_k)})")
    print(f"  kernel / vector model {rate_k / rate_v:.1f} x   (target <= 4 x)")


if __name__ == "__main__":
    main()
