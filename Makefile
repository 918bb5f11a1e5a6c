# Quickstart: `make run` then `make test`. Both create .venv on a fresh machine.
PYTHON ?= python3.11
VENV := .venv
PY := $(VENV)/bin/python
YEARS ?= 5
REPLICATIONS ?= 20
# the vector engine: the same model as the SimPy reference engine (tested equivalent), ~10x
# faster, so the bands rest on 20 replications within a couple of minutes; ENGINE=simpy for
# the reference engine (about 18 CPU s per full-scale replication)
ENGINE ?= vector
EXAMPLES ?= scenarios/tidligere_foerste_tilbud.toml scenarios/virksomhedsrettet_indsats_plus_50.toml
SEED ?= 2015

.PHONY: run test bench clean

$(VENV)/.installed: pyproject.toml
	@command -v $(PYTHON) >/dev/null 2>&1 || { echo "need $(PYTHON) on PATH"; exit 1; }
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e .
	touch $@

$(VENV)/.dev-installed: $(VENV)/.installed
	$(PY) -m pip install --quiet -e '.[dev]'
	touch $@

# make run: the Aalborg baseline and two example scenarios with common random numbers
# (out/compare/<scenario>/ holds what `caseflow run` writes), then the report out/report.html.
run: $(VENV)/.installed
	$(PY) -m sim compare scenarios/aalborg_2015.toml $(EXAMPLES) --years $(YEARS) --replications $(REPLICATIONS) --seed $(SEED) --engine $(ENGINE) --out out/compare
	$(PY) -m sim report out/compare -o out/report.html

test: $(VENV)/.dev-installed
	$(PY) -m pytest -q

bench: $(VENV)/.installed
	$(PY) benchmarks/engine_overhead.py

clean:
	rm -rf $(VENV) out .pytest_cache
