# Two commands do all set-up on a fresh machine (see README):
#   make site   - install, check the personas, segment the research and build the persona website into build/site
#                 (ENGINE=zensical builds it with Zensical instead of MkDocs)
#   make test   - install everything the tests need (incl. Debian's chromium) and run the whole suite
PYTHON ?= python3
VENV   ?= .venv
ENGINE ?= mkdocs
SERVE_ADDR ?= 127.0.0.1:8000
BIN    := $(VENV)/bin
export NO_MKDOCS_2_WARNING := 1

.PHONY: site serve check test install browser clean

$(BIN)/personas: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test,bench,zensical,dask]'
	touch $@

# An editable install compiles nothing (and PYTHONDONTWRITEBYTECODE stops Python doing it later):
# compile the package's modules and page templates once here, as a regular install would.
install: $(BIN)/personas
	$(BIN)/python -m persona_map.cli.precompile

check: install
	$(BIN)/personas check

site: check
	$(BIN)/personas segment > /dev/null
	$(BIN)/personas site --engine $(ENGINE)
	@echo
	@echo "The persona site is in build/site/ (open build/site/index.html through any static file server)."
	@echo "Preview with live reload: make serve   (then http://$(SERVE_ADDR)/)"

# Live preview; NO_MKDOCS_2_WARNING (exported above) keeps Material's end-of-life banner out of the terminal.
serve: install
	$(BIN)/mkdocs serve -a $(SERVE_ADDR)

# Browser tests drive Debian's chromium headless; install it when missing (needs root, as in CI).
browser:
	@command -v chromium >/dev/null 2>&1 || { \
	  if [ "$$(id -u)" = 0 ]; then apt-get update -qq && apt-get install -y -qq chromium >/dev/null; \
	  else echo "browser tests need Debian's chromium: sudo apt-get install chromium"; fi; }

test: install browser
	$(BIN)/python -m pytest

clean:
	rm -rf $(VENV) build test-artifacts .pytest_cache
