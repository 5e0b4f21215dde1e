# The README's two commands are `make run` and `make test`; both set up what they need first.
PY := .venv/bin/python
export SAM_CLI_TELEMETRY := 0
export PATH := $(CURDIR)/.venv/bin:$(PATH)

.PHONY: setup setup-sam run test test-unit lint typecheck sam-validate sam-build deploy bench ci

setup:
	@scripts/setup.sh

setup-sam:
	@scripts/setup.sh --sam

run: setup  ## DynamoDB Local + every API route of template.yaml on http://127.0.0.1:3000
	$(PY) -m localrun serve --port $${PORT:-3000}

test: setup  ## unit, integration (DynamoDB Local) and end-to-end (HTTP) tests
	$(PY) -m pytest $(PYTEST_ARGS)

test-unit: setup
	$(PY) -m pytest tests/unit

lint: setup
	$(PY) -m ruff check .
	$(PY) -m ruff format --check .

typecheck: setup
	$(PY) -m mypy

sam-validate: setup-sam
	.venv-sam/bin/sam validate --lint

sam-build: setup-sam  ## needs python3.13 on PATH: the dev venv provides it
	.venv-sam/bin/sam build

deploy: sam-build  ## sam deploy with samconfig.toml (needs AWS credentials)
	.venv-sam/bin/sam deploy

bench: setup
	$(PY) -m bench

ci: lint typecheck test sam-validate sam-build
