# Two commands do all set-up on a fresh machine (see README):
#   make site   - install, check the personas (and build the persona site)
#   make test   - install everything the tests need and run the whole suite
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin

.PHONY: site check test install clean

$(BIN)/personas: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test,bench]'
	touch $@

install: $(BIN)/personas

check: install
	$(BIN)/personas check

site: check

test: install
	$(BIN)/python -m pytest

clean:
	rm -rf $(VENV) site-build .pytest_cache
