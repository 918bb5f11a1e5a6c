"""How one vector-engine task's cost grows with population and horizon (for docs/scale.md).

Runs the Aalborg baseline with the vector engine (``--engine``: ``vector``, the compiled
kernel when Numba imports, or ``vector-numpy``), each run in a fresh process after a
small warm-up run, for three
populations (``--scales``, fixed horizon) and three horizons (fixed population), and
prints CPU seconds (the machine is shared; wall time depends on the neighbours) and
peak RSS of each, then fits ``cost = a * size^b`` by least squares on the logs and prints
the exponents. Replications are independent runs: cost grows linearly with them.

Usage::

    .venv/bin/python benchmarks/scale_curve.py [--scales 1 3 9] [--years 1 2 4] [--engine vector]
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]

CHILD = r"""
import json, resource, sys, time
sys.path.insert(0, {root!r})
from sim.engines import get
from sim.spec.scenario import load_scenario
from sim.engines.compiled.engine import compiled
simulate = get({engine!r})
base = load_scenario({scenario!r})
simulate(base.scaled(0.02), years=1.1, seed=1)  # loads the compiled kernel (as a worker has)
sc = base.scaled({scale})
compiled(sc)
c0 = time.process_time()
r = simulate(sc, years={years}, seed=1)
print(json.dumps({{"cpu": time.process_time() - c0, "events": r.events,
                  "people": int(r.recorder.persons[0].sum()),
                  "peak_mib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}}))
"""


def run(scale: float, years: float, engine: str) -> dict:
    code = CHILD.format(root=str(ROOT), scenario=str(ROOT / "scenarios" / "aalborg_2015.toml"),
                        scale=scale, years=years, engine=engine)
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


def fit(x, y) -> tuple[float, float]:
    b, log_a = np.polyfit(np.log(x), np.log(y), 1)
    return float(np.exp(log_a)), float(b)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--scales", type=float, nargs="+", default=[1.0, 3.0, 9.0])
    ap.add_argument("--years", type=float, nargs="+", default=[1.0, 2.0, 4.0])
    ap.add_argument("--engine", default="vector",
                    help="vector (the compiled kernel when Numba imports) or vector-numpy")
    args = ap.parse_args()
    y0 = args.years[1] if len(args.years) > 1 else args.years[0]
    s0 = args.scales[1] if len(args.scales) > 1 else args.scales[0]
    pop = [(s, run(s, y0, args.engine)) for s in args.scales]
    hor = [(y, run(s0, y, args.engine)) for y in args.years]
    print(f"engine {args.engine}; each run the first replication of a fresh process, after a "
          f"small warm-up run that loads the compiled kernel")
    print(f"population (horizon {y0:g} years):")
    for s, r in pop:
        print(f"  scale {s:>5g}: {r['people']:>9,} people, {r['events']:>10,} events, "
              f"{r['cpu']:7.2f} CPU s, peak RSS {r['peak_mib']:7.1f} MiB")
    print(f"horizon (scale {s0:g}):")
    for y, r in hor:
        print(f"  {y:>4g} years: {r['events']:>10,} events, {r['cpu']:7.2f} CPU s, "
              f"peak RSS {r['peak_mib']:7.1f} MiB")
    a, b = fit([r["people"] for _, r in pop], [r["cpu"] for _, r in pop])
    print(f"fit CPU seconds = {a:.3g} * people^{b:.2f}   (at {y0:g} years)")
    a, b = fit([r["people"] for _, r in pop], [r["peak_mib"] for _, r in pop])
    print(f"fit peak MiB    = {a:.3g} * people^{b:.2f}")
    a, b = fit([y for y, _ in hor], [r["cpu"] for _, r in hor])
    print(f"fit CPU seconds = {a:.3g} * years^{b:.2f}   (at scale {s0:g})")


if __name__ == "__main__":
    main()
