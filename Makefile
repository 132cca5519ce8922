# Two commands do all the set-up: `make run` and `make test`.
PYTHON ?= python3
VENV   ?= .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed

.PHONY: run test test-browser screenshots lint typecheck bench bench-pages clean

$(STAMP): pyproject.toml
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "Python 3.11+ is needed, found " + sys.version.split()[0])'
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[dev]'
	@touch $(STAMP)

run: $(STAMP)
	$(PY) -m service serve

test: $(STAMP)
	$(PY) -m pytest

# The browser tests (tests/browser): Playwright for Python driving Debian's Chromium
# (apt-get install chromium; PLEDGER_CHROMIUM names another binary). Not part of `make test`.
BROWSER_STAMP := $(VENV)/.installed-browser
$(BROWSER_STAMP): $(STAMP)
	$(PY) -m pip install --quiet -e '.[dev,browser]'
	@touch $(BROWSER_STAMP)

test-browser: $(BROWSER_STAMP)
	PLEDGER_BROWSER_TESTS=1 $(PY) -m pytest tests/browser

# Screenshots of the Doha example's pages for the README (docs/screenshots/).
screenshots: $(BROWSER_STAMP)
	$(PY) -m tests.browser.screenshots docs/screenshots

lint: $(STAMP)
	$(VENV)/bin/ruff check service tests bench
	$(VENV)/bin/ruff format --check service tests bench

typecheck: $(STAMP)
	$(VENV)/bin/mypy

bench: $(STAMP)
	$(PY) bench/store_bench.py

bench-pages: $(STAMP)
	$(PY) bench/pages_bench.py

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache
