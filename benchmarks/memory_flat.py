"""Memory is flat over time: a 10-year run needs no more than a 2-year run beyond its output.

Runs the vector engine on the Aalborg baseline (``--scale``, default 10 ≈ 1.4 million
people) for 2 and for 10 years, each in a fresh Python process, and prints for each
the peak resident memory (``resource.getrusage`` max RSS), the bytes of the output
tables the recorder must keep (persons, fte, flows, activation arrays), and the
bytes of the citizen arrays at the end. Memory is flat when the growth of the peak
from 2 to 10 years is about the growth of the output tables (the flows Counter is
counted at ~200 bytes per entry, a Python dict estimate).

Usage::

    .venv/bin/python benchmarks/memory_flat.py [--scale 10]
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

CHILD = r"""
import json, resource, sys
sys.path.insert(0, {root!r})
from sim.spec.scenario import load_scenario
from sim.engines.compiled.engine import VectorSimulation
sc = load_scenario({scenario!r}).scaled({scale})
sim = VectorSimulation(sc, years={years}, seed=1)
r = sim.run()
rec = r.recorder
out = sum(a.nbytes for a in (rec.persons, rec.fte, rec.starts, rec.waiting_starts, rec.usage, rec.exempt))
out += 200 * len(rec.flows)
print(json.dumps({{"years": {years}, "peak_mib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
                  "output_mib": out / 2**20, "citizen_arrays_mib": sim.c.nbytes() / 2**20,
                  "citizens_at_end": int(sim.c.n), "wall": r.wall_seconds}}))
"""


def run(years: float, scale: float) -> dict:
    code = CHILD.format(root=str(ROOT), scenario=str(ROOT / "scenarios" / "aalborg_2015.toml"),
                        scale=scale, years=years)
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--scale", type=float, default=10.0)
    args = ap.parse_args()
    rows = [run(y, args.scale) for y in (2, 10)]
    for r in rows:
        print(f"{r['years']:>3} years: peak RSS {r['peak_mib']:8.1f} MiB, output tables "
              f"{r['output_mib']:6.1f} MiB, citizen arrays {r['citizen_arrays_mib']:7.1f} MiB "
              f"({r['citizens_at_end']:,} slots), {r['wall']:.1f} s")
    a, b = rows
    print(f"growth 2 -> 10 years: peak {b['peak_mib'] - a['peak_mib']:+.1f} MiB, "
          f"output tables {b['output_mib'] - a['output_mib']:+.1f} MiB, "
          f"citizen arrays {b['citizen_arrays_mib'] - a['citizen_arrays_mib']:+.1f} MiB")


if __name__ == "__main__":
    main()
