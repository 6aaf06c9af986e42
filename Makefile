# Relais — two commands: `make run` (the product, locally) and `make test` (every test).
SHELL := /bin/bash
PYTHON ?= python3.11
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
# Template checkers with pins of their own (checkov's would fight the app's): a separate venv.
TOOLS := .venv-tools
CHECKOV_VERSION := 3.3.30
TOOLS_STAMP := $(TOOLS)/.installed-checkov-$(CHECKOV_VERSION)
PORT ?= 8000
MOTO_PORT ?= 4566
SMTP_PORT ?= 2525
STAGE ?= prod
# Lambda's python3.13 for the package's tests and bench only (never in the zip): see infra/lambda_python.sh.
LAMBDA_PY := .local/python3.13/bin/python3.13

.PHONY: run test unit integration browser judges judges-deps lint bench bench-soak browser-deps clean package deploy bench-package upgrade-data tools i18n

$(STAMP): requirements.txt requirements-dev.txt
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -r requirements-dev.txt
	touch $(STAMP)

$(TOOLS_STAMP):
	test -x $(TOOLS)/bin/python || $(PYTHON) -m venv $(TOOLS)
	$(TOOLS)/bin/python -m pip install --quiet "checkov==$(CHECKOV_VERSION)"
	touch $(TOOLS_STAMP)

tools: $(TOOLS_STAMP)

# Debian's chromium drives the browser tests (Playwright never downloads a browser here).
browser-deps:
	@command -v chromium >/dev/null || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; }

# The page judges (tests/browser/test_judges.py): Lighthouse, axe-core and the Nu HTML Checker, pinned by
# package-lock.json. --ignore-scripts: vnu-jar's postinstall would download a Java; Debian's Java 17 runs it.
JUDGES_STAMP := node_modules/.installed

$(JUDGES_STAMP): package.json package-lock.json
	@command -v java >/dev/null || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq openjdk-17-jre-headless >/dev/null; }
	npm ci --no-audit --no-fund --ignore-scripts --loglevel=error
	touch $(JUDGES_STAMP)

judges-deps: $(JUDGES_STAMP)

# The judges alone (part of `make test` and `make browser`).
judges: $(STAMP) browser-deps $(JUDGES_STAMP)
	$(PY) -m pytest tests/browser/test_judges.py

$(LAMBDA_PY): infra/lambda_python.sh
	bash infra/lambda_python.sh

# exec: the runner replaces the recipe's shell, so a SIGTERM to the process group reaches it once
# from the kill and once from make, and it ignores the second while it saves.
run: $(STAMP)
	exec env PORT=$(PORT) MOTO_PORT=$(MOTO_PORT) SMTP_PORT=$(SMTP_PORT) $(PY) -m local.run

# Not part of `make test`: N full lifecycles over HTTP against a `make run` it starts itself.
bench-soak: $(STAMP)
	$(PY) -m bench.soak --tickets $(or $(N),1000)

test: lint $(LAMBDA_PY) $(TOOLS_STAMP) browser-deps $(JUDGES_STAMP)
	$(PY) -m pytest

unit: $(STAMP)
	$(PY) -m pytest tests/unit

integration: $(STAMP)
	$(PY) -m pytest tests/integration

browser: $(STAMP) browser-deps $(JUDGES_STAMP)
	$(PY) -m pytest tests/browser

# Translations (chalicelib/i18n/): French texts in N_()/_() are the msgids; English is in relais.po.
# Re-extracts them with Babel (babel.cfg), merges them into the .po (a new text comes untranslated, a
# changed one fuzzy: tests/unit/test_i18n.py fails until it is translated) and compiles the committed .mo.
I18N_DIR := chalicelib/i18n/locale
PYBABEL := $(VENV)/bin/pybabel -q

i18n: $(STAMP)
	pot=$$(mktemp --suffix=.pot) && trap 'rm -f "$$pot"' EXIT && \
	$(PYBABEL) extract -F babel.cfg --add-location=file --no-wrap --sort-output -o "$$pot" . && \
	$(PYBABEL) update -i "$$pot" -d $(I18N_DIR) -D relais -l en --no-wrap --ignore-obsolete --ignore-pot-creation-date
	$(VENV)/bin/pybabel compile -d $(I18N_DIR) -D relais -l en --statistics

lint: $(STAMP)
	$(PY) -m ruff check .
	$(PY) -m mypy chalicelib app.py
	$(VENV)/bin/lint-imports --no-cache  # the rooms' rules (pyproject.toml [tool.importlinter])

bench: $(STAMP)
	$(PY) -m bench.run
	$(PY) -m bench.list_pages
	$(PY) -m bench.search_pages
	$(PY) -m bench.timing
	$(PY) -m bench.cost

# The deployable SAM template and zip (dist/sam.json, dist/deployment.zip), checked by cfn-lint and
# checkov (every skip is inline in the template, with its reason).  make package STAGE=staging
package: $(STAMP) $(LAMBDA_PY) $(TOOLS_STAMP)
	$(PY) -m infra.build --stage $(STAGE) --out dist
	$(VENV)/bin/cfn-lint dist/sam.json
	$(TOOLS)/bin/checkov -f dist/sam.json --compact --quiet --skip-download

bench-package: package
	$(PY) -m bench.package dist/deployment.zip

# Not run here (no AWS account): uploads the zip and deploys the stack. See README.md, "Deploying to AWS".
#   make deploy STAGE=prod ARTIFACT_BUCKET=my-artifacts PARAMS="AppOrigin=https://... SenderEmail=... SesIdentity=..."
deploy: package
	@test -n "$(ARTIFACT_BUCKET)" || { echo "ARTIFACT_BUCKET=<an S3 bucket for deployment artifacts> is required"; exit 2; }
	aws cloudformation package --template-file dist/sam.json --s3-bucket $(ARTIFACT_BUCKET) \
		--s3-prefix relais-$(STAGE) --output-template-file dist/packaged.yml
	aws cloudformation deploy --template-file dist/packaged.yml --stack-name relais-$(STAGE) \
		--capabilities CAPABILITY_IAM CAPABILITY_AUTO_EXPAND --no-fail-on-empty-changeset \
		--parameter-overrides Stage=$(STAGE) SigningKeyParameter=/relais/$(STAGE)/signing-key $(PARAMS)

# After each deploy, with the operator's AWS credentials: derived data the new version expects
# (see infra/upgrade_data.py and README).  make upgrade-data RELAIS_TABLE=<the stack's TableName output>
upgrade-data: $(STAMP)
	@test -n "$(RELAIS_TABLE)" || { echo "RELAIS_TABLE=<the table's name: the stack's TableName output> is required"; exit 2; }
	RELAIS_TABLE=$(RELAIS_TABLE) $(PY) -m infra.upgrade_data

clean:
	rm -rf $(VENV) $(TOOLS) .local .pytest_cache dist node_modules
