# Holding Space: every set-up step is here, so a fresh checkout needs only `make workshop` or `make test`.
PYTHON ?= python3
VENV   := .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed-$(shell cksum pyproject.toml | cut -d' ' -f1)
SEATS  ?= auto
PORT   ?= 8866
CONSOLE_PORT ?= 8867

DOMAIN ?=
SUDO   := $(shell [ "$$(id -u)" = 0 ] || echo sudo)

.PHONY: workshop online facilitator test lab check bench guide handouts clean

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

## make online DOMAIN=workshop.example.org: an online workshop on this server (Caddy for HTTPS in front of
## one participant server per core, the console with facilitators' sign-in, a PostgreSQL of its own).
## Installs Debian's caddy and postgresql when missing. Options: REPLICAS=N DB=URL HTTPS_PORT=P HTTP_PORT=P
online: $(STAMP)
	@test -n "$(DOMAIN)" || { echo "Give the site's name: make online DOMAIN=workshop.example.org (DOMAIN=localhost to try it on this machine)"; exit 2; }
	@command -v caddy >/dev/null || { $(SUDO) apt-get install -y -qq caddy && { ! command -v systemctl >/dev/null || $(SUDO) systemctl disable --now caddy 2>/dev/null || true; }; }
	@[ -n "$(DB)" ] || ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || $(SUDO) apt-get install -y -qq postgresql
	$(PY) -m workshop.cli online --domain $(DOMAIN) $(if $(DB),--db '$(DB)') $(if $(REPLICAS),--replicas $(REPLICAS)) $(if $(HTTPS_PORT),--https-port $(HTTPS_PORT)) $(if $(HTTP_PORT),--http-port $(HTTP_PORT))

## make facilitator NAME=sam: let a facilitator sign in to the online console (asks for their secret); DB=URL as for online
facilitator: $(STAMP)
	@test -n "$(NAME)" || { echo "Give a name: make facilitator NAME=sam"; exit 2; }
	@[ -n "$(DB)" ] || ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || $(SUDO) apt-get install -y -qq postgresql
	$(PY) -m workshop.cli facilitator add '$(NAME)' $(if $(DB),--db '$(DB)')

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
