# The README's two commands: `make run` and `make test`. Both set up everything they need.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin

.PHONY: run test lint bench clean browser wrk screenshots postgres localcluster locale

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip

$(VENV)/.installed: pyproject.toml | $(BIN)/python
	$(BIN)/pip install -q -e .
	touch $@

$(VENV)/.installed-dev: pyproject.toml | $(BIN)/python
	$(BIN)/pip install -q -e '.[dev]'
	touch $@

run: $(VENV)/.installed locale localcluster
	$(BIN)/netpol-console serve

# The sandbox cluster's binary: the upstream control plane built from localcluster/ with Go, once,
# into ~/.cache/netpol-console (keyed by the module's sources and go.sum); later runs find it there.
localcluster: $(VENV)/.installed
	@command -v go >/dev/null || { echo "Go is required to build the sandbox cluster (see README)"; exit 1; }
	@$(BIN)/netpol-console sandbox --build-only

# The translations: each app/locale/*/LC_MESSAGES/messages.po compiled to its .mo (Babel).
locale: $(VENV)/.installed
	$(BIN)/pybabel -q compile -d app/locale -D messages

# PostgreSQL for the database tests: installed and started when nothing answers on 127.0.0.1:5432.
postgres:
	@bash tests/postgres.sh

# Browser tests drive Debian's chromium (Playwright cannot download a browser here).
browser:
	@command -v chromium >/dev/null || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium fonts-wqy-zenhei >/dev/null; }

# The load generator of `netpol-console bench` (Debian's wrk).
wrk:
	@command -v wrk >/dev/null || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq wrk >/dev/null; }

# The OpenID Connect provider the accounts tests start (npm oidc-provider).
tests/oidc/node_modules: tests/oidc/package.json
	cd tests/oidc && npm install --no-audit --no-fund --silent
	touch $@

# axe-core (npm), the accessibility engine tests/e2e/test_axe.py injects into every page.
tests/axe/node_modules: tests/axe/package.json
	cd tests/axe && npm install --no-audit --no-fund --silent
	touch $@

test: $(VENV)/.installed-dev locale browser wrk tests/oidc/node_modules tests/axe/node_modules postgres localcluster lint
	$(BIN)/python -m pytest

lint: $(VENV)/.installed-dev
	$(BIN)/ruff check app tests
	$(BIN)/mypy app

screenshots: $(VENV)/.installed-dev browser
	NETPOL_SCREENSHOTS_DIR=docs $(BIN)/python -m pytest tests/e2e/test_screenshots.py

# 1x, 2x and 4x a quarter of the large scale (4x is large), written to docs/performance.md with its plot.
BENCH ?= --scale quarter --steps 1,2,4 --write-doc docs/performance.md
bench: $(VENV)/.installed locale wrk localcluster
	$(BIN)/netpol-console bench $(BENCH)

clean:
	rm -rf $(VENV) var
