# KEP Connect — `make run` starts the whole service, `make test` runs the whole test suite.
# Both set up what is missing first (virtualenvs, trained model).

SHELL := /bin/bash
export RASA_TELEMETRY_ENABLED := false

# Python >= 3.11 for the handoff service; Python 3.10 for Rasa 3.6 (found on PATH or in pyenv).
PY_HANDOFF ?= $(shell for p in python3.11 python3.12 python3; do $$p -c 'import sys; assert sys.version_info >= (3, 11)' 2>/dev/null && { command -v $$p; break; }; done)
PY_BOT ?= $(shell for p in python3.10 $$HOME/.pyenv/versions/3.10*/bin/python3.10 /usr/bin/python3.10; do $$p -c 'import sys; assert sys.version_info[:2] == (3, 10)' 2>/dev/null && { echo $$p; break; }; done)

HANDOFF_VENV := .venv-handoff
BOT_VENV := .venv-bot

RASA := PYTHONPATH=. $(BOT_VENV)/bin/rasa
MODEL := models/kep.tar.gz
BOT_SOURCES := bot/config.yml bot/domain.yml $(wildcard bot/nlu/*.py data/nlu/*.yml data/dialogue/*.yml data/lexicon/*.yml data/lexicon_templates.yml)

.PHONY: setup run run-cluster test test-handoff test-bot test-e2e test-browser train eval lint stories bench-booking bench-chat bench-chat-servers bench-calls bench-notifications bench-console bench-login lock-handoff lock-bot clean

setup: $(HANDOFF_VENV)/.installed $(BOT_VENV)/.installed

$(HANDOFF_VENV)/.installed: handoff/requirements.txt
	@test -n "$(PY_HANDOFF)" || { echo "Python >= 3.11 is required for the handoff service"; exit 1; }
	test -d $(HANDOFF_VENV) || $(PY_HANDOFF) -m venv $(HANDOFF_VENV)
	$(HANDOFF_VENV)/bin/pip install --quiet --upgrade pip
	$(HANDOFF_VENV)/bin/pip install --quiet -r handoff/requirements.txt
	touch $@

$(BOT_VENV)/.installed: bot/requirements.txt
	@test -n "$(PY_BOT)" || { echo "Python 3.10 is required for Rasa 3.6 (e.g. pyenv install 3.10)"; exit 1; }
	test -d $(BOT_VENV) || $(PY_BOT) -m venv $(BOT_VENV)
	$(BOT_VENV)/bin/pip install --quiet --upgrade pip
	$(BOT_VENV)/bin/pip install --quiet -r bot/requirements.txt
	touch $@

# Redis (or the embedded store), the handoff service, the action server and Rasa, on 127.0.0.1.
run: setup $(MODEL)
	$(HANDOFF_VENV)/bin/python -m handoff.stack

# The same with REPLICAS handoff processes behind HAProxy and as many Rasa + action servers.
REPLICAS ?= 2
run-cluster: setup $(MODEL)
	$(HANDOFF_VENV)/bin/python -m handoff.stack --replicas $(REPLICAS)

test: lint test-handoff test-bot test-e2e test-browser

test-handoff: setup
	$(HANDOFF_VENV)/bin/pytest

AXE := tests/browser/node_modules/axe-core/axe.min.js

# axe-core (accessibility checks) from the npm registry, served to the pages by the tests.
$(AXE):
	cd tests/browser && npm install --no-audit --no-fund --no-save axe-core@4.10.2

# Pages in Debian's Chromium (headless, through Playwright); screenshots in test-artifacts/.
test-browser: setup
	$(HANDOFF_VENV)/bin/pytest tests/browser

# Scripted Greek conversations against the whole stack (real Rasa, actions, handoff, Redis).
test-e2e: setup $(MODEL) $(AXE)
	$(HANDOFF_VENV)/bin/pytest tests/e2e

# Retrained only when the data, the config or the Greek components change.
train: $(MODEL)

$(MODEL): $(BOT_VENV)/.installed $(BOT_SOURCES)
	$(RASA) train --config bot/config.yml --domain bot/domain.yml --data data/nlu data/dialogue \
		--out models --fixed-model-name kep

eval: setup $(MODEL)
	PYTHONPATH=. $(BOT_VENV)/bin/python -m bot.nlu.report

test-bot: $(BOT_VENV)/.installed $(MODEL)
	$(RASA) data validate --config bot/config.yml --domain bot/domain.yml --data data/nlu data/dialogue
	PYTHONPATH=. $(BOT_VENV)/bin/pytest -c /dev/null -p no:cacheprovider tests/bot
	$(RASA) test core --e2e --model $(MODEL) --stories tests/stories --out var/story-results --fail-on-prediction-errors

# Re-record tests/stories from the scripted conversations (tests/e2e/conversations.py), after
# a deliberate change of the dialogue; review the diff before committing it.
stories: setup $(MODEL)
	$(HANDOFF_VENV)/bin/python -m tests.e2e.record var/trackers
	PYTHONPATH=. $(BOT_VENV)/bin/python -m bot.stories var/trackers tests/stories/test_conversations.yml

lint: setup
	$(HANDOFF_VENV)/bin/ruff check handoff tests bench bot
	$(HANDOFF_VENV)/bin/mypy

bench-chat: setup $(MODEL)
	$(HANDOFF_VENV)/bin/python bench/chat_latency.py

bench-chat-servers: setup $(MODEL)
	$(HANDOFF_VENV)/bin/python bench/chat_servers.py --citizens 20 50 --duration 30

bench-calls: setup
	$(HANDOFF_VENV)/bin/python bench/call_capacity.py

bench-booking: setup
	$(HANDOFF_VENV)/bin/python bench/booking_load.py

bench-console: setup
	$(HANDOFF_VENV)/bin/python bench/console_load.py --bookings 600 --finished 60 --rounds 30

bench-login: setup
	$(HANDOFF_VENV)/bin/python bench/login_flood.py --clients 200 --duration 15
	$(HANDOFF_VENV)/bin/python bench/login_flood.py --clients 200 --duration 15 --target config

bench-notifications: setup
	$(HANDOFF_VENV)/bin/python bench/notifications.py --bookings 10000 --paced-rate 40 --paced-seconds 30

lock-handoff:
	rm -rf /tmp/kep-lock && $(PY_HANDOFF) -m venv /tmp/kep-lock && /tmp/kep-lock/bin/pip install -q -r handoff/requirements.in
	{ echo "# Pinned by \`make lock-handoff\` from requirements.in; install with pip install -r."; /tmp/kep-lock/bin/pip freeze; } > handoff/requirements.txt

lock-bot:
	rm -rf /tmp/kep-lock && $(PY_BOT) -m venv /tmp/kep-lock && /tmp/kep-lock/bin/pip install -q -r bot/requirements.in
	{ echo "# Pinned by \`make lock-bot\` from requirements.in; install with pip install -r."; /tmp/kep-lock/bin/pip freeze; } > bot/requirements.txt

clean:
	rm -rf $(HANDOFF_VENV) $(BOT_VENV) var models/*.tar.gz
