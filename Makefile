# The two commands: `make run` and `make test`. Everything else supports them.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
PG_URL ?= postgresql+psycopg://postgres@127.0.0.1:5432/test
HOST ?= 127.0.0.1
PORT ?= 5000
PYTEST_ARGS ?=

.PHONY: run test test-sqlite test-postgres install assets fonts translations messages chromium postgres wrk bench bench-quick lock clean

run: install fonts assets translations
	$(BIN)/ipcase db upgrade
	$(BIN)/ipcase demo load
	$(BIN)/ipcase serve --host $(HOST) --port $(PORT)

test: install fonts assets translations chromium postgres
	$(MAKE) test-sqlite
	$(MAKE) test-postgres

test-sqlite:
	@echo "== test suite on SQLite =="
	env -u DATABASE_URL $(BIN)/pytest $(PYTEST_ARGS)

test-postgres:
	@echo "== test suite on PostgreSQL =="
	DATABASE_URL=$(PG_URL) $(BIN)/pytest $(PYTEST_ARGS)

install: $(STAMP)

$(STAMP): setup.cfg constraints.txt pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q -c constraints.txt -e '.[test]'
	touch $@

assets: node_modules/.package-lock.json

# The web's message catalogs: .po files are committed, .mo files are compiled here.
translations: install
	$(BIN)/pybabel compile -d web/translations

# Refresh web/translations after changing user-visible text (then translate the new msgids).
messages: install
	$(BIN)/pybabel extract -F web/babel.cfg -k lazy_gettext -k N_ -k NotFound -k Forbidden -k Conflict \
		-k Invalid -k TaskAlreadyCompleted -k WorkflowDefinitionError -k TooManyAttempts -k WorkflowFailed \
		--no-location --sort-output -o web/translations/messages.pot web engine
	$(BIN)/pybabel update --no-fuzzy-matching -i web/translations/messages.pot -d web/translations

node_modules/.package-lock.json: package.json package-lock.json
	npm ci --no-audit --no-fund

fonts:  # a CJK font for the transfer package PDFs
	@test -f /usr/share/fonts/truetype/wqy/wqy-zenhei.ttc || (apt-get update && apt-get install -y fonts-wqy-zenhei)

chromium:
	@command -v chromium >/dev/null || (apt-get update && apt-get install -y chromium)

postgres:
	@pg_isready -q -h 127.0.0.1 -p 5432 || pg_ctlcluster --skip-systemctl-redirect 15 main start
	@for i in 1 2 3 4 5 6 7 8 9 10; do pg_isready -q -h 127.0.0.1 -p 5432 && exit 0; sleep 1; done; \
		echo "PostgreSQL is not answering at 127.0.0.1:5432" >&2; exit 1

wrk:  # the HTTP benchmark's load tool
	@command -v wrk >/dev/null || (apt-get update && apt-get install -y wrk)

bench: install postgres wrk
	DATABASE_URL=$(PG_URL) $(BIN)/python -m bench

bench-quick: install postgres wrk
	DATABASE_URL=$(PG_URL) $(BIN)/python -m bench --quick

# Refresh the constraints file after changing setup.cfg (then commit it).
lock:
	$(BIN)/pip freeze --exclude-editable | grep -v '^ipcase' > constraints.txt

clean:
	rm -rf $(VENV) node_modules instance
