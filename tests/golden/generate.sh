#!/usr/bin/env bash
# Golden outputs: every CSV of `caseflow run` and `caseflow compare` (baseline and two
# scenarios, 2 years, scale 0.2, 3 replications) for each engine and seed, written to DIR.
# A change that only reshapes code leaves `diff -r` between two such directories empty;
# tests/test_golden.py runs seed 1 and compares with tests/golden/SHA256SUMS.
# Usage: tests/golden/generate.sh DIR [ENGINES] [SEEDS]   (ENGINES: NAME or DIRNAME:NAME)
set -euo pipefail
out=${1:?usage: generate.sh DIR [ENGINES] [SEEDS]}
engines=${2:-"simpy compiled"}
seeds=${3:-"1 2 3"}
py=${PYTHON:-python}
mkdir -p "$out"
for spec in $engines; do
  name=${spec%%:*}; engine=${spec#*:}
  for seed in $seeds; do
    d="$out/$name/seed$seed"
    rm -rf "$d.tmp"
    $py -m sim run scenarios/aalborg_2015.toml --years 2 --scale 0.2 --replications 3 --seed "$seed" \
      --engine "$engine" --executor sequential --quiet --out "$d.tmp/run"
    $py -m sim compare scenarios/aalborg_2015.toml scenarios/tidligere_foerste_tilbud.toml \
      scenarios/virksomhedsrettet_indsats_plus_50.toml --years 2 --scale 0.2 --replications 3 \
      --seed "$seed" --engine "$engine" --executor sequential --quiet --out "$d.tmp/compare"
    # only the tables: manifests hold wall times and paths
    find "$d.tmp" -type f ! -name '*.csv' -delete
    rm -rf "$d"; mv "$d.tmp" "$d"
  done
done
