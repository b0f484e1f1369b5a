# Welbevinden-assistent. The two commands you need: `make run` and `make test`.
# `make help` lists every target.

SHELL := /bin/bash
.DEFAULT_GOAL := help

VENV    := .venv
PY      := $(VENV)/bin/python
RASA    := $(VENV)/bin/rasa
STAMP   := $(VENV)/.installed
MODEL   := models/current.tar.gz
NLU_DATA := $(shell find data -name '*.yml' 2>/dev/null)
DOMAIN_FILES := $(shell find domain -name '*.yml' 2>/dev/null)
JS_STAMP := bot/web/static/vendor/.built

# Quieter TensorFlow; no telemetry; keep runs reproducible.
export TF_CPP_MIN_LOG_LEVEL ?= 2
export RASA_TELEMETRY_ENABLED ?= false
export PYTHONHASHSEED ?= 0

.PHONY: help install browser nginx run test lint unit validate conversation-tests eval bench train migrate lock clean

help: ## Show this list
	@grep -hE '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-18s %s\n", $$1, $$2}'

install: $(STAMP) $(JS_STAMP) ## Create .venv (Python 3.10), pinned dependencies, the spaCy model, JS assets

$(STAMP): requirements.txt scripts/find-python310 bot/nlp_model.py
	@set -e; PY310=$$(scripts/find-python310); \
	if [ ! -x $(PY) ]; then echo "[install] creating $(VENV) with $$PY310"; "$$PY310" -m venv $(VENV); fi; \
	echo "[install] installing pinned dependencies (first time: several minutes, ~2 GB) ..."; \
	$(PY) -m pip install --quiet --upgrade "pip==24.2"; \
	$(PY) -m pip install --progress-bar on -r requirements.txt; \
	$(PY) -m bot model ensure
	@touch $@

$(JS_STAMP): bot/web/package.json bot/web/package-lock.json
	@command -v npm >/dev/null || { echo "[install] npm is missing: sudo apt-get install nodejs npm"; exit 1; }
	@echo "[install] installing JavaScript assets from npm (package-lock.json) ..."
	cd bot/web && npm ci --no-audit --no-fund --loglevel=error
	$(PY) -m bot assets
	@touch $@

browser: ## Debian's chromium for the browser tests (Playwright cannot download browsers here)
	@command -v chromium >/dev/null || { \
	  echo "[install] installing Debian's chromium for the browser tests ..."; \
	  if [ "$$(id -u)" = 0 ]; then SUDO=; else SUDO=sudo; fi; \
	  $$SUDO apt-get update -qq && $$SUDO apt-get install -y -qq chromium; }

# The tests run their own nginx (tests/test_nginx.py: own config, free port); the system
# service Debian starts after installing it is not needed, so it is stopped again.
nginx: ## Debian's nginx for the reverse-proxy test (deploy/nginx/)
	@test -x /usr/sbin/nginx || command -v nginx >/dev/null || { \
	  echo "[install] installing Debian's nginx for the reverse-proxy test ..."; \
	  if [ "$$(id -u)" = 0 ]; then SUDO=; else SUDO=sudo; fi; \
	  $$SUDO apt-get update -qq && $$SUDO apt-get install -y -qq nginx && \
	  { [ ! -d /run/systemd/system ] || $$SUDO systemctl disable --now nginx >/dev/null 2>&1 || true; }; }

migrate: $(STAMP) ## Apply database migrations (DATABASE_URL, default SQLite in var/)
	$(PY) -m bot db upgrade

train: $(MODEL) ## Train the Rasa model when data, domain, config or bot/rasa_nlu/ changed

# The training log and /usr/bin/time's record next to the model are what `make bench`
# reports as our training time and peak memory; RASA_MAX_CACHE_SIZE=0 turns off Rasa's
# training cache so that record is always a full training. bot/rasa_nlu/ holds our own NLU
# components: a change there changes what training computes.
$(MODEL): $(STAMP) config.yml $(DOMAIN_FILES) $(NLU_DATA) $(wildcard bot/rasa_nlu/*.py)
	@echo "[train] data, domain, config or our NLU components changed: training (about 2 minutes on a quiet 2-core machine) ..."
	@mkdir -p models; rm -f models/current.time.txt; set -o pipefail; \
	$(if $(wildcard /usr/bin/time),/usr/bin/time -v -o models/current.time.txt) \
	  env RASA_MAX_CACHE_SIZE=0 $(RASA) train --domain domain --fixed-model-name current --out models 2>&1 \
	  | tee models/current.train.log
	@touch $@

run: install migrate train ## Install if needed, migrate, train if needed, start all three servers
	$(PY) -m bot serve

lint: $(STAMP) ## ruff
	$(VENV)/bin/ruff check bot actions tests scripts benchmarks
	$(VENV)/bin/ruff format --check bot actions tests benchmarks

unit: $(STAMP) $(JS_STAMP) browser nginx train ## pytest (actions, services, storage on SQLite + PostgreSQL, browser, nginx)
	$(PY) -m pytest

validate: $(STAMP) ## rasa data validate
	$(RASA) data validate --domain domain --data data

# No --domain here: `rasa test core` has no such option; it uses the domain stored in the model.
conversation-tests: $(MODEL) ## Rasa conversation tests (tests/test_*.yml) on the trained model
	$(RASA) test core --model $(MODEL) --stories tests/ --fail-on-prediction-errors --out var/results

test: lint validate train unit conversation-tests ## The whole test suite

eval: $(MODEL) ## NLU evaluation on the held-out set -> docs/EVAL.md
	$(PY) -m bot eval

bench: $(MODEL) ## Benchmarks: NLU quality, latency, scale-out, insights, training (~25 min) -> docs/BENCHMARKS.md
	$(PY) -m benchmarks.run

lock: ## Re-resolve requirements.in into the fully pinned requirements.txt
	@set -e; tmp=$$(mktemp -d); "$$(scripts/find-python310)" -m venv $$tmp/venv; \
	$$tmp/venv/bin/pip install --quiet -r requirements.in; \
	{ echo "# Fully pinned environment (pip freeze of requirements.in on Python 3.10). Regenerate with: make lock"; \
	  $$tmp/venv/bin/pip freeze | grep -v -i '^nl.core.news'; } > requirements.txt; rm -rf $$tmp

clean: ## Remove trained models and test output (keeps .venv and the database)
	rm -rf models var/results
