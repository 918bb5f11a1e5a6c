# Quickstart: `make run` then `make test`. Both create .venv on a fresh machine.
PYTHON ?= python3.11
VENV := .venv
PY := $(VENV)/bin/python
YEARS ?= 5
REPLICATIONS ?= 20
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

run: $(VENV)/.installed
	$(PY) -m sim run scenarios/aalborg_2015.toml --years $(YEARS) --replications $(REPLICATIONS) --seed $(SEED) --out out/aalborg_2015
	$(PY) -m sim report out/aalborg_2015 -o out/report.html

test: $(VENV)/.dev-installed
	$(PY) -m pytest -q

bench: $(VENV)/.installed
	$(PY) benchmarks/engine_overhead.py

clean:
	rm -rf $(VENV) out .pytest_cache
