"""Benchmark: does a busy machine slow fine-tuning and inference down in proportion?

Runs the stance classifier (real all-MiniLM-L6-v2) on a quiet machine and beside one competing
process that keeps one core busy, with OpenMP's idle threads spinning (``OMP_WAIT_POLICY=ACTIVE``,
libgomp's default and framing's behaviour before ``framing.infra.threads``) and sleeping
(``PASSIVE``, what ``import framing`` sets now). Each measurement runs in a fresh process (the
policy is read when torch is imported) and prints training examples/s and inference mentions/s;
the summary prints the slowdown of each under load. A script, not a test: the target (at most
2.5x slower on 2 cores with one core taken) is read off its output.

    python benchmarks/bench_load.py [--runs 3] [--train 128] [--infer 512] [--threads N]
"""

from __future__ import annotations

import argparse
import json
import multiprocessing as mp
import os
import platform
import statistics
import subprocess
import sys
import time

CHILD = r"""
import json, sys, time
import pandas as pd
from framing.stance import datasets
from framing.stance.classifier import StanceClassifier, TrainingArguments
n_train, n_infer, threads = (int(x) for x in sys.argv[1:4])
train = datasets.load_newsmtsc("train").iloc[:n_train]
test = datasets.load_newsmtsc("test-rw").iloc[:n_infer]
args = TrainingArguments(seed=13, epochs=1, batch_size=16, max_length=128, num_threads=threads,
                         progress_bar=False)
clf = StanceClassifier(args=args).fit(train, train["label"])
clf.predict_proba(test.iloc[:32], num_threads=threads)  # warm-up
t0 = time.perf_counter()
clf.predict_proba(test, batch_size=64, num_threads=threads)
infer = len(test) / (time.perf_counter() - t0)
print(json.dumps({"train": len(train) / clf.train_seconds_, "infer": infer}))
"""


def _spin(stop) -> None:
    while not stop.is_set():
        pass


def _measure(policy: str, busy: bool, opts) -> dict[str, float]:
    env = {**os.environ, "OMP_WAIT_POLICY": policy}
    stop, competitor = mp.Event(), None
    if busy:
        competitor = mp.Process(target=_spin, args=(stop,), daemon=True)
        competitor.start()
        time.sleep(0.5)
    try:
        done = subprocess.run(
            [sys.executable, "-c", CHILD, str(opts.train), str(opts.infer), str(opts.threads)],
            env=env, capture_output=True, text=True, check=True,
        )
    finally:
        if competitor is not None:
            stop.set()
            competitor.join()
    return json.loads(done.stdout.strip().splitlines()[-1])


def cpu_name() -> str:
    """The CPU's model name (/proc/cpuinfo), else what platform knows."""
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as fh:
            for line in fh:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def main() -> None:
    from framing.infra.pool import available_cores

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--train", type=int, default=128, help="training examples (NewsMTSC train)")
    parser.add_argument("--infer", type=int, default=512, help="inference rows (NewsMTSC test-rw)")
    parser.add_argument("--threads", type=int, default=available_cores())
    opts = parser.parse_args()
    print(
        f"machine: {cpu_name()}, cores available: "
        f"{available_cores()}, torch threads: {opts.threads}; competitor: one process spinning "
        f"on one core; medians of {opts.runs} runs, conditions interleaved"
    )
    results: dict[tuple[str, bool], list[dict[str, float]]] = {}
    for run in range(opts.runs):
        for policy in ("ACTIVE", "PASSIVE"):
            for busy in (False, True):
                r = _measure(policy, busy, opts)
                results.setdefault((policy, busy), []).append(r)
                print(
                    f"  run {run + 1} {policy:7s} {'busy ' if busy else 'quiet'}: "
                    f"train {r['train']:.1f} examples/s, inference {r['infer']:.1f} mentions/s",
                    flush=True,
                )
    for policy in ("ACTIVE", "PASSIVE"):
        line = [f"OMP_WAIT_POLICY={policy}:"]
        for what, unit in (("train", "examples/s"), ("infer", "mentions/s")):
            quiet = statistics.median(r[what] for r in results[(policy, False)])
            busy = statistics.median(r[what] for r in results[(policy, True)])
            line.append(f"{what} quiet {quiet:.1f} / busy {busy:.1f} {unit} (slowdown x{quiet / busy:.2f})")
        print(" ".join(line))


if __name__ == "__main__":
    main()
