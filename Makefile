# Thin aliases only: every target calls the `framing` command or pytest inside .venv.
PYTHON ?= python3.11
VENV   ?= .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

.PHONY: setup demo test test-slow bench paper lint clean

setup: $(STAMP)

# torch first, pinned, so nothing later can pull a CUDA build.
$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet torch==2.13.0
	$(BIN)/python -m pip install --quiet -e ".[dev]"
	touch $(STAMP)

demo: setup
	$(BIN)/framing demo

test: setup
	$(BIN)/python -m pytest -m "not slow" $(PYTEST_ARGS)

test-slow: setup
	$(BIN)/python -m pytest -m slow $(PYTEST_ARGS)

# Speed and memory figures (README Results): per stage, against the naive baseline and the
# compute bound, then the whole AllSides corpus streamed with the hybrid model (about 15 minutes),
# then fine-tuning and inference beside a busy process (the slowdown under load, about 5 minutes),
# then the encoder event stage against the revision before its speed-ups (about 10 minutes).
bench: setup
	$(BIN)/python benchmarks/bench_scale.py --json reports/bench/scale.json
	$(BIN)/python benchmarks/bench_stream.py --method hybrid --precision bf16
	$(BIN)/python benchmarks/bench_stream.py --method lexicon --kill-after 40
	$(BIN)/python benchmarks/bench_load.py --runs 3
	$(BIN)/python benchmarks/bench_events.py --runs 3 --baseline e8202d2 --baseline-embed --fp32
	$(BIN)/python benchmarks/inference_variants.py --threads 1
	$(BIN)/python benchmarks/bench_lexicon_e2e.py --baseline 0e33f83 --runs 3

# Every figure and table of the studies, regenerated from their configs into reports/paper/
# (SHA256SUMS lists them; a second run gives the same file). The NewsMTSC table trains 2 models x
# 3 seeds the first time (about 1.5 hours on 2 cores); finished (variant, seed) pairs are reused.
PAPER_CONFIGS ?= experiments/eu_japan_2023.toml experiments/allsides_china.toml experiments/dutch_dpg.toml
paper: setup
	$(BIN)/python experiments/newsmtsc_benchmark.py --epochs 2 --out reports/paper/newsmtsc_benchmark
	$(BIN)/framing paper $(PAPER_CONFIGS) -o reports/paper

lint: setup
	$(BIN)/ruff check framing tests benchmarks

clean:
	rm -rf $(VENV) reports/runs
