# Tollgate's commands. `make run` and `make test` work on a fresh Debian machine with only the
# Rust toolchain: deploy/dev/ensure-postgres.sh finds, starts or installs PostgreSQL.

SHELL := /bin/bash
.SHELLFLAGS := -eu -o pipefail -c
.DEFAULT_GOAL := help

ENSURE_PG := bash deploy/dev/ensure-postgres.sh
# `make run PORT=8081 DB=tollgate_b` lets two checkouts run side by side; `make token` reaches
# the same database with the same release build.
PORT ?= 8080
DB ?= tollgate
ROLE ?= owner
ORG ?= default
# The service's own database sits beside the admin one and is created on first start.
SERVICE_DB = if [[ -z "$${TOLLGATE__DATABASE__URL:-}" ]]; then \
	    admin=$$($(ENSURE_PG)); \
	    export TOLLGATE__DATABASE__URL=$$(sed -E 's\#/postgres(\?|$$)\#/$(DB)\1\#' <<<"$$admin"); \
	fi
# Layers that must stay free of I/O frameworks: `cargo tree -i` must find none of these.
GUARDED := tollgate-domain:diesel tollgate-domain:diesel-async tollgate-domain:reqwest \
           tollgate-domain:actix-web tollgate-domain:tokio \
           tollgate-application:diesel tollgate-application:diesel-async \
           tollgate-application:reqwest tollgate-application:actix-web \
           tollgate-domain:aes-gcm tollgate-application:aes-gcm

.PHONY: help run login token test unit e2e lint guards type-check bench fuzz db clean-test-dbs deploy-check migration-lint ops

help:
	@echo "make run         serve on http://127.0.0.1:8080 with the embedded defaults"
	@echo "make login       print a one-time dashboard sign-in link for make run (ROLE= ORG= CUSTOMER=)"
	@echo "make token       print an API token of the embedded issuer for make run (ROLE= ORG= CUSTOMER=)"
	@echo "make test        every check: lint, unit and integration tests, real-LiteLLM e2e, deploy checks"
	@echo "make lint        rustfmt, clippy -D warnings, layer dependency guards, new migrations (squawk)"
	@echo "make type-check  cargo check of every target"
	@echo "make bench       ingest, metering, month-close and invoice PDF benchmarks (release build, fresh databases)"
	@echo "make e2e         the real LiteLLM proxy against Tollgate"
	@echo "make deploy-check  the deploy/ files checked offline: schemas, alert tests, manifests, the image run by podman, the restore drill"
	@echo "make ops         the same within make test (debug build; image size reported, not enforced)"
	@echo "make fuzz        10 million generated and mutated webhook bodies through the decoder (FUZZ_INPUTS=)"
	@echo "make db          make sure PostgreSQL is reachable; print its admin URL"

db:
	@$(ENSURE_PG)

run:
	@bash deploy/dev/ensure-tools.sh
	@if [[ ! -x target/release/tollgate ]]; then \
	    echo "make run: first release build of Tollgate (8 minutes measured on a busy 2-core machine); later runs start at once"; \
	fi
	@$(SERVICE_DB); \
	export TOLLGATE__SERVER__BIND=$${TOLLGATE__SERVER__BIND:-127.0.0.1:$(PORT)}; \
	cargo build --release -p tollgate-http --bin tollgate; \
	if link=$$(target/release/tollgate dev-login --org $(ORG) --role owner 2>/dev/null); then \
	    echo "Dashboard: open $$link (signs in as owner; once, within 10 minutes; make login for another)"; \
	fi; \
	exec target/release/tollgate serve

# A one-time dashboard sign-in link for make run's server: `make login ROLE=viewer`.
login:
	@$(SERVICE_DB); \
	export TOLLGATE__SERVER__BIND=$${TOLLGATE__SERVER__BIND:-127.0.0.1:$(PORT)}; \
	cargo run --quiet --release -p tollgate-http --bin tollgate -- dev-login --org $(ORG) --role $(ROLE) \
	    $(if $(CUSTOMER),--customer $(CUSTOMER))

# Only the token on stdout: `TOKEN=$(make token ROLE=viewer)`.
token:
	@$(SERVICE_DB); \
	cargo run --quiet --release -p tollgate-http --bin tollgate -- dev-token --org $(ORG) --role $(ROLE) \
	    $(if $(CUSTOMER),--customer $(CUSTOMER))

test: lint unit e2e ops

unit:
	@bash deploy/dev/ensure-tools.sh --browser
	@export TEST_DATABASE_URL=$${TEST_DATABASE_URL:-$$($(ENSURE_PG))}; \
	$(MAKE) --no-print-directory clean-test-dbs; \
	if cargo nextest --version >/dev/null 2>&1; then \
	    cargo nextest run --workspace --lib --bins --tests --no-fail-fast; \
	else \
	    cargo test --workspace --lib --bins --tests --no-fail-fast; \
	fi

e2e:
	@bash tests/e2e/run.sh

lint: guards migration-lint
	cargo fmt --all -- --check
	cargo clippy --workspace --all-targets -- -D warnings

# New migrations only (the baseline is in the script): squawk, and no DROP/RENAME/type change
# without a `-- contract:` line. docs/operations.md, "Zero-downtime migrations".
migration-lint:
	@bash tests/ops/migration_lint.sh

guards:
	@for pair in $(GUARDED); do \
	    crate=$${pair%%:*}; dep=$${pair##*:}; \
	    if out=$$(cargo tree -p $$crate -e normal -i $$dep 2>&1); then \
	        echo "layer guard: $$crate must not depend on $$dep:"; echo "$$out"; exit 1; \
	    elif ! grep -q "did not match any packages" <<<"$$out"; then \
	        echo "layer guard: cannot check $$crate -> $$dep:"; echo "$$out"; exit 1; \
	    fi; \
	done; echo "layer guards: ok"

type-check:
	cargo check --workspace --all-targets

# Stable toolchain only (no nightly here, so no cargo-fuzz): a release example loops over
# generated and mutated bodies; a failing input lands in target/fuzz-failure.json.
fuzz:
	@cargo run --release -p tollgate-adapters --example fuzz_webhook_decoder -- $${FUZZ_INPUTS:-10000000} $${FUZZ_SEED:-}

bench:
	@bash tests/bench/run.sh
	@bash tests/bench/period_close.sh
	@cargo bench -p tollgate-adapters --bench pdf_render

# Test databases are made per test; drop what earlier runs left (needs psql; skipped without).
clean-test-dbs:
	@if command -v psql >/dev/null; then \
	    psql "$$TEST_DATABASE_URL" -qAt -c "SELECT 'DROP DATABASE \"' || datname || '\";' FROM pg_database WHERE datname LIKE 'tollgate\_test\_%'" \
	      | psql "$$TEST_DATABASE_URL" -q >/dev/null 2>&1 || true; \
	fi

# The deployment files, checked offline (issue 15): Compose schema and tests/ops/compose_test.py,
# Traefik and Hydra schemas, promtool config/rules/tests, the dashboard's queries, Kubernetes
# manifests, hadolint, shellcheck, yamllint, and the image built and run by podman. Tools are
# installed once by deploy/dev/ensure-ops-tools.sh (cached in target/).
deploy-check:
	@bash tests/ops/deploy_check.sh

# make test's run of the same checks with the debug build the tests made (make test makes no
# release build): the image's size budget is then reported, not enforced; make deploy-check
# builds the release binary and enforces it. About 4 minutes on a fresh machine (the
# debootstrap of the base image included), 1 minute once cached in target/.
ops:
	@DEPLOY_CHECK_DEBUG_BINARY=1 bash tests/ops/deploy_check.sh
