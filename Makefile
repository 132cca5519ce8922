# Two commands do all the set-up: `make run` and `make test`.
PYTHON ?= python3
VENV   ?= .venv
PY     := $(VENV)/bin/python
# The dev stamp keeps the name every helper knows: `rm -f .venv/.installed` forces a reinstall.
STAMP  := $(VENV)/.installed
RUN    := $(VENV)/.installed-run

.PHONY: run test test-browser screenshots lint typecheck bench bench-pages lock clean

$(PY):
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "Python 3.11+ is needed, found " + sys.version.split()[0])'
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip

# The lock pins every package first; installing the project after it only adds what
# pyproject.toml gained since the lock was made (`make lock` writes a new one).
# `make run` gets the runtime dependencies only; `make test` adds the dev ones.
$(RUN): pyproject.toml setup.py requirements.lock | $(PY)
	$(PY) -m pip install --quiet -r requirements.lock
	$(PY) -m pip install --quiet -e .
	@touch $(RUN)

$(STAMP): pyproject.toml setup.py requirements-dev.lock | $(PY)
	$(PY) -m pip install --quiet -r requirements-dev.lock
	$(PY) -m pip install --quiet -e '.[dev]'
	@touch $(STAMP) $(RUN)

run: $(RUN)
	$(VENV)/bin/pledger serve

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

# Pin the whole tree again from pyproject.toml: runtime, and runtime + dev. No index URL or
# local path goes into the files.
LOCK_FLAGS := --quiet --no-emit-index-url --no-emit-trusted-host --no-emit-find-links \
	--allow-unsafe --strip-extras
lock: | $(PY)
	$(PY) -m pip install --quiet pip-tools
	$(VENV)/bin/pip-compile $(LOCK_FLAGS) --output-file requirements.lock pyproject.toml
	$(VENV)/bin/pip-compile $(LOCK_FLAGS) --extra dev --output-file requirements-dev.lock pyproject.toml

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache build *.egg-info
