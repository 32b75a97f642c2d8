# The two commands of the README. Both create .venv on a fresh machine and install what they need.
#   make report   install costmodel and write the reports into reports/
#   make test     install costmodel with the torch, timm, test and peers extras and run the tests (a sample
#                 of each built-in's α × resolution grid against fvcore)
#   make fuzz     the exhaustive grids (tests marked `fuzz`: every built-in × every α ×
#                 resolution against fvcore) and the property tests with five times the
#                 examples (1,100 random specs, 300 models)
PYTHON ?= python3
VENV   := .venv
PY     := $(VENV)/bin/python
PIP    := $(VENV)/bin/pip

.PHONY: report test fuzz bench clean

$(VENV)/bin/python:
	$(PYTHON) -m venv $(VENV)
	$(PIP) install -q --upgrade pip

$(VENV)/.installed-report: pyproject.toml | $(VENV)/bin/python
	$(PIP) install -q -e .
	touch $@

$(VENV)/.installed-test: pyproject.toml | $(VENV)/bin/python
	$(PIP) install -q -e '.[torch,timm,test,peers]'
	touch $@ $(VENV)/.installed-report

report: $(VENV)/.installed-report
	$(VENV)/bin/costmodel report --out reports

test: $(VENV)/.installed-test
	$(PY) -m pytest -q

fuzz: $(VENV)/.installed-test
	$(PY) -m pytest -q -m fuzz
	COSTMODEL_FUZZ=5 $(PY) -m pytest -q tests/test_properties.py tests/test_fuzz.py

bench: $(VENV)/.installed-test
	$(PY) benchmarks/bench_count.py

clean:
	rm -rf $(VENV) .pytest_cache
