# The README's two commands are `make run` and `make test`; both set up what they need first.
PY := .venv/bin/python
export SAM_CLI_TELEMETRY := 0
export PATH := $(CURDIR)/.venv/bin:$(PATH)

.PHONY: openapi routes setup setup-tests setup-sam run test test-unit lint typecheck sam-validate sam-build deploy bench bench-json load load-quick checkov fuzz ci demo test-browser test-migration

setup:
	@tools/scripts/setup.sh

setup-tests:  ## setup, and the SuperTokens Node SDK that tests/sdk runs (make run does not need it)
	@tools/scripts/setup.sh --tests

setup-sam:
	@tools/scripts/setup.sh --sam

run: setup  ## DynamoDB Local + every API route of template.yaml on http://127.0.0.1:3000 (ARGS='--metrics' etc.)
	@$(PY) -m tools.localrun serve --port $${PORT:-3000} $(ARGS)

test: setup-tests  ## unit, integration (DynamoDB Local) and end-to-end (HTTP) tests
	$(PY) -m pytest -m "not fuzz" $(PYTEST_ARGS)

fuzz: setup  ## schemathesis against the local server, from the generated OpenAPI document (bounded, seeded)
	$(PY) -m pytest -m fuzz tests/fuzz $(PYTEST_ARGS)

test-unit: setup
	$(PY) -m pytest tests/unit

lint: setup
	$(PY) -m ruff check .
	$(PY) -m ruff format --check .

typecheck: setup
	$(PY) -m mypy

sam-validate: setup-sam  ## template.yaml, and its multi-Region variants (tools/template_variants.py)
	.venv-sam/bin/sam validate --lint
	$(PY) -m tools.template_variants .aws-sam/variants >/dev/null
	for template in .aws-sam/variants/*.json; do .venv-sam/bin/sam validate --lint --template $$template || exit 1; done

sam-build: setup-sam  ## the template's architecture into .aws-sam/build, x86_64 into .aws-sam/build-x86_64 (no Docker; needs python3.13 on PATH: the dev venv provides it), byte-compiled, each layer's native wheels checked
	.venv-sam/bin/sam build
	.venv-sam/bin/sam build --build-dir .aws-sam/build-x86_64 --parameter-overrides Architecture=x86_64
	@# sam build ships no bytecode, and Lambda's code is read-only: without this, every cold start compiles every module
	$(PY) -m compileall -q -j0 --invalidation-mode unchecked-hash .aws-sam/build .aws-sam/build-x86_64
	$(PY) -m pytest -q -m sam_build tests/sambuild

deploy: sam-build  ## sam deploy with samconfig.toml (needs AWS credentials)
	.venv-sam/bin/sam deploy

openapi: setup  ## the OpenAPI documents, built by Powertools from the functions: openapi.json and cdi-openapi.json (the CDI's)
	@$(PY) -c 'from pathlib import Path; from tools.localrun.openapi import write_documents; print(*(f"wrote {p.name}" for p in write_documents(Path("."))), sep="\n")'

routes: setup  ## writes layers/authstate/authstate/edge/api_routes.py from template.yaml's HttpApi events (after adding or changing a route)
	@$(PY) -m tools.api_routes

bench: setup  ## the store against the honest baselines on DynamoDB Local, one table per section (ARGS='--section sweep' etc.)
	$(PY) -m tools.bench $(ARGS)

bench-json: setup  ## the same, the figures also written to tools/bench/results.json
	$(PY) -m tools.bench --json tools/bench/results.json $(ARGS)

load: setup  ## bounded HTTP load run on loopback; exits 1 on any 5xx, unexpected 4xx or lost update
	$(PY) -m tools.bench.load

load-quick: setup  ## the CI-sized load run
	$(PY) -m tools.bench.load --quick

.venv-checkov/.stamp: requirements-checkov.txt | setup
	[ -x .venv-checkov/bin/python ] || $(PY) -m venv .venv-checkov
	.venv-checkov/bin/python -m pip install --quiet --disable-pip-version-check -r requirements-checkov.txt 2>&1 \
	  | { grep -v 'is ignored: it is neither a file nor a directory' || true; }
	touch $@

checkov: .venv-checkov/.stamp  ## checkov on template.yaml and its multi-Region variants, offline; each waiver and its reason is in .checkov.yaml
	.venv-checkov/bin/checkov --config-file .checkov.yaml
	$(PY) -m tools.template_variants .aws-sam/variants >/dev/null
	for template in .aws-sam/variants/*.json; do .venv-checkov/bin/checkov --config-file .checkov.yaml --file $$template || exit 1; done

ci: lint typecheck test test-browser test-migration fuzz load-quick sam-validate sam-build checkov

demo: setup  ## authstate on :3000 and the example app (examples/app) on :3001; prints the URL
	@tools/scripts/demo.sh

test-browser: setup  ## the example app in headless Chromium (Playwright): sessions as a browser sees them
	@tools/scripts/setup-browser.sh
	$(PY) -m pytest -m browser tests/browser $(PYTEST_ARGS)

test-migration: setup-tests  ## moving from a SuperTokens core: PostgreSQL and MariaDB, the SDKs and Chromium across the switch
	@tools/scripts/setup-migration.sh
	@tools/scripts/setup-browser.sh
	$(PY) -m pytest -m migration tests/migration $(PYTEST_ARGS)
