"""Where the vector engine's time goes: a fixed cost per simulated week and a cost per event.

Runs the Aalborg baseline with the vector engine at several population sizes over the
same horizon and fits, by least squares,

    CPU seconds = fixed + per_event * events

``fixed`` is what the weekly structure costs whatever the population (batches, rules and
policies looped over, recording); ``per_event`` is the marginal NumPy work of one event
(drawing, moving, rules, activation, scheduling the next event). ``1 / per_event`` is
then the engine's ceiling in events per CPU second, reached only if the weekly cost
vanished. The script prints it next to the two targets of issue 5, computed in the same
run: 50 x the SimPy engine's events per CPU second (measured here on a small run) and a
quarter of the bare competing-risks kernel's transitions per CPU second
(``benchmarks/vector_speed.py``'s kernel).

Usage::

    .venv/bin/python benchmarks/vector_cost.py [--years 2] [--scales 0.1,0.3,1]
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from benchmarks.vector_speed import kernel  # noqa: E402
from sim.engines.simpy_engine import simulate as simpy_simulate  # noqa: E402
from sim.spec.scenario import load_scenario  # noqa: E402
from sim.engines.compiled.engine import compiled, simulate as vector_simulate  # noqa: E402


def cpu_run(fn, *args, **kw):
    c0 = time.process_time()
    r = fn(*args, **kw)
    return r, time.process_time() - c0


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--years", type=float, default=2.0)
    ap.add_argument("--scales", default="0.1,0.3,1")
    ap.add_argument("--seed", type=int, default=1)
    args = ap.parse_args()
    base = load_scenario(ROOT / "scenarios" / "aalborg_2015.toml")
    events, cpu = [], []
    print(f"vector engine, Aalborg baseline, {args.years:g} years, seed {args.seed}")
    for scale in (float(x) for x in args.scales.split(",")):
        sc = base.scaled(scale)
        compiled(sc)
        r, secs = cpu_run(vector_simulate, sc, years=args.years, seed=args.seed)
        events.append(r.events)
        cpu.append(secs)
        print(f"  scale {scale:>5g}: {r.events:>10,} events  {secs:6.2f} CPU s  "
              f"{r.events / secs:>10,.0f} events per CPU s")
    per_event, fixed = np.polyfit(np.array(events, float), np.array(cpu), 1)
    weeks = r.weeks
    print(f"fit: CPU s = {fixed:.3f} + {per_event * 1e6:.2f} us x events"
          f"   (fixed {fixed / weeks * 1e3:.2f} ms per simulated week)")
    ceiling = 1.0 / per_event
    print(f"  ceiling with no weekly cost at all: {ceiling:,.0f} events per CPU s")
    small = base.scaled(min(0.1, min(float(x) for x in args.scales.split(","))))
    s, secs = cpu_run(simpy_simulate, small, years=args.years, seed=args.seed)
    simpy_rate = s.events / secs
    n = r.persons_created
    trans, ksecs = kernel(n, float(weeks), len(base.states) - 1, args.seed)
    kernel_rate = trans / ksecs
    print(f"targets: 50 x SimPy ({simpy_rate:,.0f}/s) = {50 * simpy_rate:,.0f} events per CPU s;"
          f" kernel / 4 = {kernel_rate / 4:,.0f}")
    print(f"  ceiling / (50 x SimPy) = {ceiling / (50 * simpy_rate):.2f};"
          f"  ceiling / (kernel / 4) = {ceiling / (kernel_rate / 4):.2f}")


if __name__ == "__main__":
    main()
