# tts-interp: every target sets up .venv first (idempotent; re-runs when pyproject or the set-up script change).
VENV ?= .venv
PY := $(VENV)/bin/python
CLI := $(VENV)/bin/tts-interp
STAMP := $(VENV)/.tts-interp-installed
# two pytest-xdist workers for two cores (each loads the models its tests need; grouping the real-Kokoro tests on
# one worker made that worker the long pole: 14:40 against 13:26; worksteal lets an idle worker take queued tests)
TEST_WORKERS ?= 2

.PHONY: setup test demo demo-tiny bench lint docs clean

setup: $(STAMP)

$(STAMP): pyproject.toml requirements-nodeps.txt scripts/setup.sh
	bash scripts/setup.sh $(VENV)
	touch $(STAMP)

test: setup
	$(PY) -m pytest -q -n $(TEST_WORKERS) --dist worksteal

demo: setup
	bash scripts/demo_kokoro.sh $(CLI) runs/demo

demo-tiny: setup
	bash scripts/demo.sh $(CLI) runs/demo-tiny

bench: setup
	bash benchmarks/run_all.sh $(PY) runs/bench

docs: setup
	$(PY) -m pip install -q pdoc==16.0.0
	$(VENV)/bin/pdoc -o runs/docs tts_interp.api tts_interp.core.errors
	@echo "API reference: runs/docs/index.html"

lint: setup
	$(VENV)/bin/ruff check src tests benchmarks scripts

clean:
	rm -rf runs .pytest_cache .ruff_cache
