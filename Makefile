# One way to run things: the README and .ci/run both use these targets.
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
BUF    := node_modules/.bin/buf

.PHONY: setup proto proto-check lint types test test-unit test-integration k8s ci baseline bench

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip

# Debian tools some features and their tests need, as command:package (installed by apt when root on Debian)
DEBIAN_TOOLS := kubectl:kubernetes-client tesseract:tesseract-ocr soffice:libreoffice-calc-nogui chromium:chromium

setup: $(BIN)/python  ## install everything: Python deps (incl. test servers), buf (npm, if present), the Debian tools (apt, if root on Debian)
	$(BIN)/pip install --quiet -e '.[dev]'
	@if command -v npm >/dev/null; then npm ci --no-audit --no-fund --silent; \
	 else echo "notice: npm not found; buf is not installed (only 'make proto' and 'make proto-check' need it)"; fi
	@missing=""; for tool in $(DEBIAN_TOOLS); do command -v $${tool%%:*} >/dev/null || missing="$$missing $${tool#*:}"; done; \
	 if [ -z "$$missing" ]; then :; \
	 elif [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
	   apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $$missing; \
	 else echo "notice: not root on Debian; install$$missing by hand (kubectl: 'make k8s'; tesseract: OCR of scanned PDFs; soffice: workbook recalculation; chromium: the console's browser tests; tests needing one skip without it)"; fi

proto:  ## lint the contracts and regenerate the Python code
	$(BUF) lint
	$(BIN)/python scripts/gen_protos.py

proto-check:  ## lint, check for breaking changes against the committed baseline, check generated code
	$(BUF) lint
	$(BUF) breaking --against protos/baseline.binpb
	$(BIN)/python scripts/gen_protos.py --check

lint:
	$(BIN)/ruff check .

types:
	$(BIN)/mypy

test:  ## the whole test suite (starts its own PostgreSQL, NATS and S3 on 127.0.0.1)
	$(BIN)/pytest -q

test-unit:
	$(BIN)/pytest -q tests/unit

test-integration:
	$(BIN)/pytest -q tests/integration

k8s:
	$(BIN)/pytest -q tests/k8s

ci: proto-check lint types test

bench:  ## Assay vs the seeds' peer, side by side (bench/README.md); not a test
	$(BIN)/python -m bench.compare

baseline:  ## refresh the buf breaking baseline (only in a change that breaks on purpose)
	$(BUF) build -o protos/baseline.binpb
