"""Golden outputs: reshaping the code must not change a single table.

tests/golden/SHA256SUMS holds the SHA-256 of every CSV that ``caseflow run`` and
``caseflow compare`` (Aalborg baseline and two scenarios, 2 years, scale 0.2, 3
replications, seed 1) write with each engine. A change that is meant to move the model
regenerates them and says why in CHANGES.md:

    tests/golden/generate.sh /tmp/g "simpy compiled" 1
    (cd /tmp/g && for e in simpy compiled; do (cd $e/seed1 && find . -name '*.csv' | sort \\
        | xargs sha256sum | sed "s#  \\./#  $e/#"); done) > tests/golden/SHA256SUMS
"""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SUMS = ROOT / "tests" / "golden" / "SHA256SUMS"
# the directory name in SHA256SUMS -> the --engine that produces it
ENGINES = {"simpy": "simpy", "compiled": "vector"}


def expected(engine: str) -> dict[str, str]:
    out = {}
    for line in SUMS.read_text().splitlines():
        digest, path = line.split("  ", 1)
        name, rel = path.split("/", 1)
        if name == engine:
            out[rel] = digest
    return out


@pytest.mark.parametrize("engine", sorted(ENGINES))
def test_tables_are_byte_identical_to_the_golden_run(engine, tmp_path):
    env = dict(os.environ, PYTHON=sys.executable)
    subprocess.run(["bash", str(ROOT / "tests" / "golden" / "generate.sh"), str(tmp_path),
                    f"{engine}:{ENGINES[engine]}", "1"], cwd=ROOT, env=env, check=True)
    got_dir = tmp_path / engine / "seed1"
    got = {str(p.relative_to(got_dir)): hashlib.sha256(p.read_bytes()).hexdigest()
           for p in sorted(got_dir.rglob("*.csv"))}
    want = expected(engine)
    assert sorted(got) == sorted(want), "the set of tables changed"
    changed = [rel for rel in want if got[rel] != want[rel]]
    assert not changed, f"tables differ from the golden run: {changed}"
