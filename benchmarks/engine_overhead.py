"""Engine overhead: the Aalborg model's event rate against a bare SimPy loop.

What it measures
----------------
In one process, this script runs

1. the Aalborg 2015 baseline (``scenarios/aalborg_2015.toml``) with the SimPy
   engine (:func:`sim.engines.simpy_engine.simulate`, seed 1), scaled by ``--scale`` and run
   for ``--years``.  ``RunResult.events`` is the number of SimPy timeouts the
   model's processes handled, ``RunResult.persons_created`` the number of
   citizen processes and ``RunResult.wall_seconds`` the model's wall time.
2. a bare SimPy loop with the same number of processes and the same total
   number of events: each process repeatedly does
   ``yield env.timeout(<exponential draw>)`` and increments a counter after each
   resume.  The model's events are spread over its processes (``events //
   persons`` each, with the remainder given one extra event apiece), and the
   environment is run to exhaustion with ``env.run()``.

Both are timed with :func:`time.process_time`, the CPU time of this process (the bare
loop's time includes creating its processes, as the model's includes building its
population). CPU time rather than wall time keeps the ratio honest on a shared machine:
both loops are single-threaded, and other programs' load does not count against either.  The
script prints persons, the events of each run, the events per second of each,
their ratio (model / bare) as a percentage, and the model's wall time.

Target
------
The model should process events at no less than 50 % of bare SimPy's event
rate, i.e. the printed ratio should be >= 50 %.

Usage::

    python benchmarks/engine_overhead.py [--scale 1.0] [--years 5]
"""

from __future__ import annotations

import argparse
import gc
import random
import sys
import time
from pathlib import Path

import simpy

REPO_ROOT = Path(__file__).resolve().parent.parent
SCENARIO = REPO_ROOT / "scenarios" / "aalborg_2015.toml"
TARGET_PERCENT = 50.0

if str(REPO_ROOT) not in sys.path:
    sys.path.insert(0, str(REPO_ROOT))


def run_model(scale: float, years: float):
    """Run the Aalborg baseline with the SimPy engine; returns (RunResult, CPU seconds).

    The time covers building the population and running it, not reading the files.
    """
    from sim.engines.simpy_engine import simulate
    from sim.spec.scenario import load_scenario

    sc = load_scenario(SCENARIO).scaled(scale)
    t0 = time.process_time()
    r = simulate(sc, years=years, seed=1)
    return r, time.process_time() - t0


def run_bare(processes: int, events: int, seed: int = 1, collect: bool = True) -> tuple[int, float]:
    """A bare SimPy loop: ``processes`` processes sharing ``events`` timeouts.

    ``collect=False`` runs it with the cyclic garbage collector off, as the model's engine
    runs. Returns (events counted, CPU seconds).
    """
    rng = random.Random(seed)
    expo = rng.expovariate
    env = simpy.Environment()
    counter = [0]

    def proc(n: int):
        timeout = env.timeout
        for _ in range(n):
            yield timeout(expo(1.0))
            counter[0] += 1

    was = gc.isenabled()
    if not collect:
        gc.disable()
    t0 = time.process_time()
    if processes > 0:
        base, extra = divmod(events, processes)
        for i in range(processes):
            n = base + (1 if i < extra else 0)
            if n:
                env.process(proc(n))
    env.run()
    spent = time.process_time() - t0
    if was:
        gc.enable()
    return counter[0], spent


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--scale", type=float, default=1.0, help="population scale (default 1.0)")
    parser.add_argument("--years", type=float, default=5, help="years to simulate (default 5)")
    args = parser.parse_args(argv)

    r, model_cpu = run_model(args.scale, args.years)
    persons, model_events, model_wall = r.persons_created, r.events, model_cpu
    bare_events, bare_wall = run_bare(persons, model_events)
    _, bare_nogc_wall = run_bare(persons, model_events, collect=False)

    model_rate = model_events / model_wall if model_wall > 0 else float("nan")
    bare_rate = bare_events / bare_wall if bare_wall > 0 else float("nan")
    bare_nogc_rate = bare_events / bare_nogc_wall if bare_nogc_wall > 0 else float("nan")
    ratio = 100.0 * model_rate / bare_rate if bare_rate > 0 else float("nan")
    # the stricter comparison: bare SimPy given the same garbage-collector setting as the model
    ratio_nogc = 100.0 * model_rate / bare_nogc_rate if bare_nogc_rate > 0 else float("nan")

    print(f"scale {args.scale:g}, years {args.years:g}")
    print(f"persons (processes):     {persons:>14,}")
    print(f"model events:            {model_events:>14,}")
    print(f"bare SimPy events:       {bare_events:>14,}")
    print(f"model events/s:          {model_rate:>14,.0f}")
    print(f"bare SimPy events/s:     {bare_rate:>14,.0f}")
    print(f"bare SimPy events/s, gc off: {bare_nogc_rate:>10,.0f}")
    print(f"ratio model / bare:      {ratio:>13.1f} %  (target >= {TARGET_PERCENT:.0f} %: "
          f"{'met' if ratio >= TARGET_PERCENT else 'NOT met'})")
    print(f"ratio model / bare gc off: {ratio_nogc:>11.1f} %  (same collector setting as the model: "
          f"{'met' if ratio_nogc >= TARGET_PERCENT else 'NOT met'})")
    print(f"model CPU time:          {model_cpu:>12.2f} s  (wall {r.wall_seconds:.2f} s)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
