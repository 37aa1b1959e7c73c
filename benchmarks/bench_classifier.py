"""Benchmark: fine-tuning and inference speed of the stance classifier (real all-MiniLM-L6-v2).

Prints training examples/s (NewsMTSC train sample, one epoch) and inference mentions/s (NewsMTSC
test-rw, topped up from test-mt: test-rw has 803 rows), medians of several runs, and peak memory. A script, not a test: speed targets are read
off its output. With several precisions it also prints their agreement with fp32.

    python benchmarks/bench_classifier.py [--runs 3] [--train 256] [--infer 1000]
        [--batch-size 16] [--max-length 128] [--threads 2] [--precisions fp32,bf16,int8]
        [--train-precisions fp32,bf16]

Training runs once per precision in each round (fp32 then bf16), so old and new are measured
side by side; the accuracy of bf16 training over three seeds is checked by
``experiments/newsmtsc_benchmark.py --precision bf16`` (README Results).
"""

from __future__ import annotations

import argparse
import platform
import resource
import statistics
import time

import numpy as np
import pandas as pd

from framing.stance import datasets
from framing.stance.classifier import StanceClassifier, TrainingArguments, available_cores


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument(
        "--train", type=int, default=256, help="training examples (first N of train)"
    )
    parser.add_argument(
        "--infer", type=int, default=1000, help="inference rows (test-rw, then test-mt, first N)"
    )
    parser.add_argument("--batch-size", type=int, default=16)
    parser.add_argument("--max-length", type=int, default=128)
    parser.add_argument("--threads", type=int, default=available_cores())
    parser.add_argument("--precisions", default="fp32", help="comma-separated: fp32,bf16,int8")
    parser.add_argument("--train-precisions", default="fp32,bf16",
                        help="comma-separated training precisions, run interleaved: fp32,bf16")
    opts = parser.parse_args()

    train = datasets.load_newsmtsc("train").iloc[: opts.train]
    test = pd.concat(
        [datasets.load_newsmtsc("test-rw"), datasets.load_newsmtsc("test-mt")], ignore_index=True
    ).iloc[: opts.infer]
    print(
        f"machine: {platform.processor() or platform.machine()}, cores available: "
        f"{available_cores()}, torch threads: {opts.threads}, python {platform.python_version()}"
    )
    print(
        f"train rows {len(train)}, inference rows {len(test)}, batch {opts.batch_size}, "
        f"max_length {opts.max_length}, dynamic padding + length bucketing"
    )

    train_precisions = opts.train_precisions.split(",")
    fit_rates: dict[str, list[float]] = {p: [] for p in train_precisions}
    clf = None
    for run in range(opts.runs):
        for precision in train_precisions:  # interleaved: old and new side by side
            args = TrainingArguments(
                seed=run,
                epochs=1,
                batch_size=opts.batch_size,
                max_length=opts.max_length,
                num_threads=opts.threads,
                progress_bar=False,
                precision=precision,
            )
            fitted = StanceClassifier(args=args).fit(train, train["label"])
            fit_rates[precision].append(len(train) / fitted.train_seconds_)
            print(f"  fit run {run + 1} {precision}: {fit_rates[precision][-1]:.1f} examples/s")
            if clf is None or precision == "fp32":
                clf = fitted
    first = train_precisions[0]
    for precision, rates in fit_rates.items():
        ratio = statistics.median(rates) / statistics.median(fit_rates[first])
        print(
            f"training {precision}: median {statistics.median(rates):.1f} examples/s "
            f"(runs: {', '.join(f'{r:.1f}' for r in rates)}; x{ratio:.2f} vs {first})"
        )

    reference = None
    for precision in opts.precisions.split(","):
        clf.predict_proba(test.iloc[:32], precision=precision, num_threads=opts.threads)  # warm-up
        rates = []
        for _ in range(opts.runs):
            t0 = time.perf_counter()
            proba = clf.predict_proba(
                test, batch_size=64, precision=precision, num_threads=opts.threads
            )
            rates.append(len(test) / (time.perf_counter() - t0))
        line = (
            f"inference {precision}: median {statistics.median(rates):.1f} mentions/s "
            f"(runs: {', '.join(f'{r:.1f}' for r in rates)})"
        )
        if reference is None:
            reference = proba
        else:
            agree = float((proba.argmax(1) == reference.argmax(1)).mean())
            line += (
                f"; vs first precision: argmax agreement {agree:.3f}, "
                f"max |dp| {np.abs(proba - reference).max():.3f}"
            )
        print(line)
    print(f"peak RSS: {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MiB")


if __name__ == "__main__":
    main()
