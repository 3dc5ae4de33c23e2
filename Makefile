# Two commands do everything on a fresh machine: `make demo` and `make test`.
# Each creates .venv and installs what it needs first (re-installed when pyproject.toml changes).

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

# Other supported Pythons: `make test` also runs the pytest suite on each one installed (skipped if absent), all
# but the tests marked `version_independent` (documentation examples, demos, benchmark smoke runs), which the
# main Python's run covers.
OTHER_PYTHONS ?= 3.12 3.13

.PHONY: demo test lint typecheck generate generate-check twin-check audit pytest pytest-other-pythons test-slow bench bench-twin bench-db clean

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev,bench]'
	touch $(STAMP)

demo: $(STAMP)
	$(BIN)/python examples/portal_demo.py
	$(BIN)/python examples/db_demo.py

test: lint typecheck generate-check twin-check audit pytest pytest-other-pythons

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

typecheck: $(STAMP)
	$(BIN)/mypy

# Generated code: src/dualio/db/_repository_async.py comes from _repository.py; the check fails when it is stale.
generate: $(STAMP)
	$(BIN)/python scripts/generate_async_faces.py

generate-check: $(STAMP)
	$(BIN)/python scripts/generate_async_faces.py --check

# The generated sync twins (listed under [tool.dualio.twin] in pyproject.toml) match their async source.
twin-check: $(STAMP)
	$(BIN)/dualio twin generate --check

# Our own code passes our own static audit (docs/audit.md), with zero findings.
audit: $(STAMP)
	$(BIN)/dualio audit src $(wildcard apps)

pytest: $(STAMP)
	$(BIN)/pytest -m "not slow"

pytest-other-pythons:
	@for version in $(OTHER_PYTHONS); do \
		python=$$(sh scripts/find-python $$version); \
		if [ -z "$$python" ]; then echo "Python $$version is not installed here: its test run is skipped"; continue; fi; \
		venv=.venv-$$version; \
		if [ ! -f $$venv/.installed ] || [ pyproject.toml -nt $$venv/.installed ]; then \
			$$python -m venv $$venv && $$venv/bin/python -m pip install --quiet --upgrade pip && \
			$$venv/bin/python -m pip install --quiet -e '.[dev,bench]' && touch $$venv/.installed || exit 1; \
		fi; \
		echo "pytest on Python $$version ($$python)"; \
		$$venv/bin/pytest -q -m "not slow and not version_independent" || exit 1; \
	done

test-slow: $(STAMP)
	$(BIN)/pytest -m slow

bench: $(STAMP)
	$(BIN)/python benchmarks/bench_roundtrip.py
	$(BIN)/python benchmarks/bench_submit.py
	$(BIN)/python benchmarks/bench_audit.py
	$(BIN)/python benchmarks/bench_monitor.py
	$(BIN)/python benchmarks/bench_hand_over.py

bench-twin: $(STAMP)
	$(BIN)/python benchmarks/bench_twin.py

# dualio.db against raw SQLAlchemy, and nearest() on pgvector HNSW (embedded PostgreSQL; about 20 minutes in all)
bench-db: $(STAMP)
	$(BIN)/python benchmarks/bench_db.py
	$(BIN)/python benchmarks/bench_vector.py
	$(BIN)/python benchmarks/bench_vector.py --data uniform

clean:
	rm -rf $(VENV) .venv-3.* .mypy_cache .ruff_cache .pytest_cache src/*.egg-info
