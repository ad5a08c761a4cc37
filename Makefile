# The two commands: `make run` and `make test`. Everything else is built on them.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
CI_STAMP := $(VENV)/.installed-ci
export FLASK_APP := wsgi

.PHONY: run test test-postgres bench install migrate demo clean chromium nginx wrk check audit translations
CATALOGS := $(wildcard translations/*/LC_MESSAGES/messages.po)
COMPILED := $(CATALOGS:.po=.mo)

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

$(STAMP): requirements.txt requirements-dev.txt | $(BIN)/python
	$(BIN)/pip install --quiet --disable-pip-version-check -r requirements-dev.txt
	touch $(STAMP)

$(CI_STAMP): requirements-ci.txt $(STAMP)
	$(BIN)/pip install --quiet --disable-pip-version-check -r requirements-ci.txt
	touch $(CI_STAMP)

install: $(STAMP) $(COMPILED)

## the compiled translations the app reads (built from the .po catalogs in the repo)
translations/%/LC_MESSAGES/messages.mo: translations/%/LC_MESSAGES/messages.po $(STAMP)
	$(BIN)/pybabel compile -i $< -o $@

## translations: extract every message from the code and templates and merge it into the catalogs
## (from ".": babel.cfg's patterns are paths from the top of the repository)
translations: $(STAMP)
	$(BIN)/pybabel extract -F babel.cfg -k _l -o translations/messages.pot .
	$(BIN)/pybabel update -N -i translations/messages.pot -d translations

## run: set up, upgrade the SQLite database, load the demo if empty, serve on 127.0.0.1:$(PORT)
## (5000 by default). PORT moves the server, the links' BASE_URL and the development mailbox's
## SMTP port (DEV_MAIL_PORT, PORT + 3025: 8025 for 5000) together: `make run PORT=5302`.
PORT ?= 5000
run: export FLASK_DEBUG := 1
run: export SCHEDULER_ENABLED ?= 1
run: export BASE_URL ?= http://127.0.0.1:$(PORT)
run: export DEV_MAIL_PORT ?= $(shell echo $$(( $(PORT) + 3025 )))
run: $(STAMP) $(COMPILED)
	$(BIN)/flask db upgrade
	$(BIN)/flask demo --if-empty
	$(BIN)/flask run --host 127.0.0.1 --port $(PORT)

## chromium: Debian's chromium for the browser tests (they are skipped, saying so, without it), with
## what they print and read through: poppler-utils (pdftoppm turns the printed minutes into a picture)
## and fonts-noto-cjk (Chinese pages render in a real font, not boxes)
BROWSER_PACKAGES := chromium poppler-utils fonts-noto-cjk
chromium:
	@(command -v chromium >/dev/null 2>&1 || test -x /usr/bin/chromium) && command -v pdftoppm >/dev/null 2>&1 && \
	  test -d /usr/share/fonts/opentype/noto || \
	  (apt-get install -y -qq $(BROWSER_PACKAGES) >/dev/null 2>&1 || \
	   (apt-get update -qq >/dev/null 2>&1 && apt-get install -y -qq $(BROWSER_PACKAGES) >/dev/null 2>&1) || \
	   sudo -n apt-get install -y -qq $(BROWSER_PACKAGES) >/dev/null 2>&1) || \
	  echo "chromium, poppler-utils or fonts-noto-cjk could not be installed here: the browser tests will be skipped or fail, saying so"

## nginx: Debian's nginx and redis-server for the system suite (tests/system), which starts the
## product as deployed; without them it fails, saying so
nginx:
	@(command -v nginx >/dev/null 2>&1 || test -x /usr/sbin/nginx) && command -v redis-server >/dev/null 2>&1 || \
	  (apt-get install -y -qq nginx redis-server >/dev/null 2>&1 || \
	   (apt-get update -qq >/dev/null 2>&1 && apt-get install -y -qq nginx redis-server >/dev/null 2>&1) || \
	   sudo -n apt-get install -y -qq nginx redis-server >/dev/null 2>&1) || \
	  echo "nginx or redis-server could not be installed here: the system suite will fail, saying so"

## test: set up and run the whole suite (on SQLite; DATABASE_URL=postgresql+psycopg://... for PostgreSQL)
test: $(STAMP) $(COMPILED) chromium nginx
	$(BIN)/python -m pytest $(PYTEST_ARGS)

## test-postgres: the same suite on a throwaway PostgreSQL database on 127.0.0.1:5432
test-postgres: $(STAMP) $(COMPILED) chromium
	$(BIN)/python -m tests.pg_suite $(PYTEST_ARGS)

## check: the linter (ruff: pyflakes, import order, bugbear; ruff.toml; also over bench/), the type checker (mypy;
## mypy.ini) and the security linter (bandit) over the code; each must report nothing
check: $(CI_STAMP)
	$(BIN)/ruff check meetings bench
	$(BIN)/mypy meetings
	$(BIN)/bandit -q -r meetings

## audit: known vulnerabilities in the pinned dependencies. --strict: a dependency that cannot be
## looked up (no route to the vulnerability database) fails the audit instead of passing unseen.
audit: $(CI_STAMP)
	$(BIN)/pip-audit --strict -r requirements.txt || \
	  (echo "DEPENDENCY AUDIT FAILED: vulnerabilities found, or the vulnerability database could not be reached for every package (see above)." >&2; exit 1)

## wrk: Debian's wrk, the HTTP load generator of the load benchmark (bench/load.py)
wrk:
	@command -v wrk >/dev/null 2>&1 || \
	  (apt-get install -y -qq wrk >/dev/null 2>&1 || \
	   (apt-get update -qq >/dev/null 2>&1 && apt-get install -y -qq wrk >/dev/null 2>&1) || \
	   sudo -n apt-get install -y -qq wrk >/dev/null 2>&1) || \
	  echo "wrk could not be installed here: the load benchmark will say so and count as missed"

## bench: the benchmarks, printed as ratios to baselines measured in the same run
bench: $(STAMP) $(COMPILED) wrk
	$(BIN)/python -m bench

migrate: $(STAMP)
	$(BIN)/flask db upgrade

clean:
	rm -rf $(VENV) .pytest_cache
