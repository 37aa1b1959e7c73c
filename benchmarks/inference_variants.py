"""Other ways to run the hybrid's inference, against ``precision="bf16"`` (fused bf16 copy).

On the same deduplicated AllSides mention inputs as ``profile_inference.py``, interleaved, medians
of ``--runs``, prints inputs/s and argmax agreement with fp32 of:

1. dynamic int8 quantization of the linear layers, per tensor (what ``precision="int8"`` does) and
   per output channel (``per_channel_dynamic_qconfig``);
2. the bf16 copy with eager attention instead of scaled-dot-product attention (SDPA);
3. the bf16 copy with batches of 32, 64 (the default), 128 and 256 inputs.

Each is a candidate the speed issue names for the full hybrid pass; none is taken unless it is
faster with the same accuracy. A script, not a test.

    FRAMING_DATA=/work/shared python benchmarks/inference_variants.py [--threads 1]
        [--articles 300] [--runs 3]
"""

from __future__ import annotations

import argparse
import copy
import statistics
import time
import warnings

import numpy as np
from profile_inference import hybrid_inputs

from framing.stance import model_scoring


def timed(variants: dict, runs: int) -> dict[str, tuple[list[float], np.ndarray]]:
    """``{name: (seconds per run, probabilities)}``, the variants interleaved run by run."""
    out: dict[str, tuple[list[float], np.ndarray]] = {}
    for _ in range(runs):
        for name, call in variants.items():
            t0 = time.perf_counter()
            proba = call()
            seconds = time.perf_counter() - t0
            out.setdefault(name, ([], proba))[0].append(seconds)
    return out


def report(title: str, results: dict, n: int, reference: np.ndarray) -> None:
    print(title)
    for name, (times, proba) in results.items():
        t = statistics.median(times)
        agree = (proba.argmax(1) == reference.argmax(1)).mean()
        print(f"  {name:<22} {n / t:6.0f} inputs/s (runs {', '.join(f'{v:.2f}' for v in times)} s)"
              f"  argmax = fp32 {agree:.2%}, max |p - p_fp32| {np.abs(proba - reference).max():.3f}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--articles", type=int, default=300)
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--model", default="newsmtsc-hybrid")
    opts = parser.parse_args()
    import torch

    clf = model_scoring.load_model(opts.model)
    X, n_rows = hybrid_inputs(opts.articles, clf)
    threads = opts.threads
    from bench_events import cpu_name

    print(f"{cpu_name()}, {threads} thread(s), torch "
          f"{torch.__version__}; {opts.articles} articles, {n_rows} mention rows, {len(X)} inputs")
    reference = clf.predict_proba(X, precision="fp32", num_threads=threads)
    clf.predict_proba(X.iloc[:64], precision="bf16", num_threads=threads)  # the copy, made once

    quantize = torch.ao.quantization
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        per_tensor = quantize.quantize_dynamic(copy.deepcopy(clf.model_), {torch.nn.Linear},
                                               dtype=torch.qint8)
        per_channel = quantize.quantize_dynamic(
            copy.deepcopy(clf.model_), {torch.nn.Linear: quantize.per_channel_dynamic_qconfig},
            dtype=torch.qint8)

    def int8(model):
        def call():
            clf._quantized = model  # the int8 model predict_proba(precision="int8") uses
            return clf.predict_proba(X, precision="int8", num_threads=threads)
        return call

    def bf16(**kw):
        return lambda: clf.predict_proba(X, precision="bf16", num_threads=threads, **kw)

    report("int8 against the fused bf16 copy:", timed(
        {"bf16 fused": bf16(), "int8 per tensor": int8(per_tensor),
         "int8 per channel": int8(per_channel)}, opts.runs), len(X), reference)

    config = clf._inference_model(torch, "bf16").encoder.inner.config

    def attention(kind):
        def call():
            config._attn_implementation = kind  # read by each BERT layer at every call
            return clf.predict_proba(X, precision="bf16", num_threads=threads)
        return call

    original = config._attn_implementation
    report("attention in the bf16 copy:", timed(
        {"sdpa": attention("sdpa"), "eager": attention("eager")}, opts.runs), len(X), reference)
    config._attn_implementation = original
    report("batch size of the bf16 copy:", timed(
        {f"batch {b}": bf16(batch_size=b) for b in (32, 64, 128, 256)}, opts.runs), len(X), reference)


if __name__ == "__main__":
    main()
