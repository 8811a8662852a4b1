# mAI fleet — the two commands: `make run` and `make test`.
SHELL := /bin/bash
SWIFT ?= swift
PORT ?= 8080
DATA_DIR ?= ./data
VENV := .venv
PYTHON := $(VENV)/bin/python

.PHONY: run demo build deps test test-deps test-swift test-integration integration-tiers integration-run integration-fleet integration-pytest image image-test image-test-from-debug test-unit bench bench-idle bench-relay bench-usage bench-fleet bench-backup bench-rag clean

## make run: install what is missing, build, start the agent on http://127.0.0.1:$(PORT)
run: deps build
	PORT=$(PORT) DATA_DIR=$(DATA_DIR) $$($(SWIFT) build --show-bin-path)/mai-agent serve

## make demo: like run, but chatting with the local OpenRouter simulator (no API key needed)
SIM_PORT ?= 9090
demo: deps build
	$(SWIFT) build --product mai-sim
	@bin=$$($(SWIFT) build --show-bin-path); \
	  $$bin/mai-sim openrouter --port $(SIM_PORT) & sim=$$!; \
	  trap "kill $$sim 2>/dev/null" EXIT INT TERM; \
	  OPENROUTER_API_KEY=sk-or-v1-demo OPENROUTER_BASE_URL=http://127.0.0.1:$(SIM_PORT)/api/v1 \
	  PORT=$(PORT) DATA_DIR=$(DATA_DIR) $$bin/mai-agent serve

deps:
	@scripts/install-deps.sh build

build:
	$(SWIFT) build --product mai-agent
	$(SWIFT) build --product maictl

## make test: install test dependencies, run every tier (unit + component, then integration)
# One compile of the stack: the debug build (with the tests). Then, side by side, the unit tier and the
# image the integration tiers deploy — the debug build's own objects linked with the static Swift
# runtime into the shipping Dockerfile (scripts/link-agent-from-debug; seconds, no second compile;
# its log is shown when it fails). Then the integration tiers deploy that image.
test: test-deps
	$(SWIFT) package resolve
	$(SWIFT) build --build-tests
	@$(MAKE) --no-print-directory -j2 test-unit image-test-from-debug
	@$(MAKE) --no-print-directory integration-run

test-deps:
	@scripts/install-deps.sh test
	@test -x $(PYTHON) || python3 -m venv $(VENV)
	@$(PYTHON) -m pip install -q --disable-pip-version-check -r tests/requirements.txt

test-swift:
	$(SWIFT) build --build-tests
	@$(MAKE) --no-print-directory test-unit

test-unit:
	$(SWIFT) test --skip-build --skip Integration

# Integration tier: maictl and the SSH transport against a real test fleet (network namespaces,
# sshd, real agents; needs root — CI runs as root), then the agent's binary over real HTTP and a
# real browser. pytest exits 5 when it collected nothing: that is a failure here, never a pass.

test-integration: image-test
	@$(MAKE) --no-print-directory integration-tiers

integration-tiers:
	$(SWIFT) build --build-tests
	@$(MAKE) --no-print-directory integration-run

# The tiers themselves, on what is built (`make test` has just built it: a second `swift build` was
# seen to recompile HummingbirdCore for a minute for nothing). The fleet tier and the pytest tier
# share nothing (the fleet lives in its own network namespaces behind a lock; pytest's agents take
# ports the kernel hands out), so they run side by side; each one's output is shown when it ends.
integration-run:
	@bin=$$($(SWIFT) build --show-bin-path) && $(MAKE) --no-print-directory -j2 --output-sync=target BIN=$$bin integration-fleet integration-pytest

BIN ?= $(shell $(SWIFT) build --show-bin-path 2>/dev/null)

integration-fleet:
	# The test fleet's names are machine-wide: one fleet at a time (the lock waits for any other).
	MAI_INTEGRATION=1 MAI_TEST_IMAGE=localhost/mai-agent:test MAI_AGENT_BIN=$(BIN)/mai-agent MAI_SIM_BIN=$(BIN)/mai-sim \
	  flock /run/maitestfleet.lock $(SWIFT) test --skip-build --filter Integration

# BIN: the debug build's directory (integration-run passes it; SwiftPM's lock would make a second
# `swift build --show-bin-path` wait for the fleet tier's `swift test`).
integration-pytest:
	MAI_AGENT_BIN=$(BIN)/mai-agent MAI_SIM_BIN=$(BIN)/mai-sim $(PYTHON) -m pytest tests/integration -q -p no:cacheprovider -p no:schemathesis; \
	  status=$$?; if [ $$status -eq 5 ]; then echo "pytest collected no tests: failing" >&2; exit 1; fi; exit $$status

## make image: the production image (static release build, stripped; prints the image name)
image:
	@scripts/install-deps.sh image
	scripts/build-image --config release

# The shipping release image tagged `test` (a cold static release build is ~13 min on 2 cores); `make
# test` deploys image-test-from-debug instead, and `make test-integration` this one.
image-test:
	@scripts/install-deps.sh image
	scripts/build-image --config release --tag test

image-test-from-debug:
	@scripts/install-deps.sh image
	@mkdir -p .build-static
	@if scripts/build-image --from-debug-build --tag test >.build-static/image-test.log 2>&1; then \
	    echo "image: localhost/mai-agent:test from the debug build ($$(tail -n 2 .build-static/image-test.log | head -n 1 | sed 's/^build-image: //'))"; \
	  else status=$$?; tail -n 80 .build-static/image-test.log; echo "image: build failed ($$status); whole log: .build-static/image-test.log" >&2; exit 1; fi

## make bench: the shipping binary (the image's build: scripts/build-agent-static), then start-up
## time, idle memory and /health throughput, then CPU and writes when idle (bench-idle)
bench:
	@scripts/install-deps.sh bench
	@test -x $(PYTHON) || python3 -m venv $(VENV)
	scripts/build-agent-static >/dev/null
	$(PYTHON) scripts/bench-agent.py --binary .build-static/release/mai-agent
	$(MAKE) bench-idle

## make bench-idle: the shipping binary left alone for IDLE_SECONDS (600) — CPU seconds and bytes written
bench-idle:
	@test -x .build-static/release/mai-agent || scripts/build-agent-static >/dev/null
	$(SWIFT) build --product mai-sim
	python3 scripts/bench-idle.py --binary .build-static/release/mai-agent --sim $$($(SWIFT) build --show-bin-path)/mai-sim --seconds $(or $(IDLE_SECONDS),600)

## make bench-relay: release builds, then relay latency and 1,000 concurrent streams
bench-relay:
	@scripts/install-deps.sh bench
	@test -x $(PYTHON) || python3 -m venv $(VENV)
	$(SWIFT) build -c release --product mai-agent
	$(SWIFT) build -c release --product mai-sim
	$(PYTHON) scripts/bench-relay.py --agent $$($(SWIFT) build -c release --show-bin-path)/mai-agent --sim $$($(SWIFT) build -c release --show-bin-path)/mai-sim

## make bench-usage: release builds, then the month report over 1,000,000 rows and confirmation throughput
bench-usage:
	@test -x $(PYTHON) || python3 -m venv $(VENV)
	$(SWIFT) build -c release --product mai-agent
	$(SWIFT) build -c release --product mai-sim
	$(PYTHON) scripts/bench-usage.py --agent $$($(SWIFT) build -c release --show-bin-path)/mai-agent --sim $$($(SWIFT) build -c release --show-bin-path)/mai-sim

## make bench-fleet: release maictl, then health / usage report / status on a 20-host test fleet
## against `ansible all -m ping` over the same hosts (root: the test fleet needs it)
bench-fleet:
	@scripts/install-deps.sh bench
	@test -x $(PYTHON) || python3 -m venv $(VENV)
	@$(PYTHON) -m pip install -q --disable-pip-version-check -r scripts/bench-requirements.txt
	$(SWIFT) build --product mai-agent
	$(SWIFT) build --product mai-sim
	$(SWIFT) build -c release --product maictl
	flock /run/maitestfleet.lock $(PYTHON) scripts/bench-fleet.py --maictl $$($(SWIFT) build -c release --show-bin-path)/maictl \
	  --agent $$($(SWIFT) build --show-bin-path)/mai-agent --sim $$($(SWIFT) build --show-bin-path)/mai-sim --hosts $(or $(HOSTS),20)
## make bench-backup: release build, then size and time of a backup of an instance with 10,000 chats
bench-backup:
	@test -x $(PYTHON) || python3 -m venv $(VENV)
	$(SWIFT) build -c release --product mai-agent
	$(PYTHON) scripts/bench-backup.py --agent $$($(SWIFT) build -c release --show-bin-path)/mai-agent
## make bench-rag: release build, then ingestion pages/s and retrieval latency at 100,000 passages
bench-rag:
	@scripts/install-deps.sh build
	$(SWIFT) build -c release --product mai-agent
	$(SWIFT) build -c release --product mai-sim
	python3 scripts/bench-rag.py --agent $$($(SWIFT) build -c release --show-bin-path)/mai-agent --sim $$($(SWIFT) build -c release --show-bin-path)/mai-sim

clean:
	rm -rf .build $(VENV)
