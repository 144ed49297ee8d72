# Holding Space: every set-up step is here, so a fresh checkout needs only `make workshop` or `make test`.
PYTHON ?= python3
VENV   := .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed-$(shell cksum pyproject.toml | cut -d' ' -f1)
SEATS  ?= auto
PORT   ?= 8866
CONSOLE_PORT ?= 8867

.PHONY: workshop test lab check bench guide handouts clean

$(STAMP): pyproject.toml
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "Holding Space needs Python 3.11 or newer; found " + sys.version.split()[0])'
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet --editable '.[test]'
	@rm -f $(VENV)/.installed-*
	@touch $@

## make workshop: start the participant server and the facilitator console; print both addresses
workshop: $(STAMP)
	$(PY) -m workshop.cli workshop --seats $(SEATS) --port $(PORT) --console-port $(CONSOLE_PORT)

## make test: every test layer (unit, notebooks, real server, real browser)
test: $(STAMP)
	$(PY) -m pytest

## make lab: JupyterLab on the kit, for editing and presenting the theme notebooks
lab: $(STAMP)
	$(VENV)/bin/jupyter lab --ServerApp.root_dir=notebooks

## make check: read every content file and theme notebook and report problems
check: $(STAMP)
	$(PY) -m workshop.cli check

## make bench: time-to-interactive and memory of one participant (writes benchmarks/results/)
bench: $(STAMP)
	$(PY) benchmarks/single_participant.py

## make guide: the whole facilitator guide as one printable page (build/facilitator_guide.html)
guide: $(STAMP)
	$(PY) -m workshop.guide build/facilitator_guide.html

## make handouts: a paper version of every exercise and the texts to hand out, one printable page each (build/handouts/)
handouts: $(STAMP)
	$(PY) -m workshop.handouts build/handouts

clean:
	rm -rf $(VENV) build *.egg-info
