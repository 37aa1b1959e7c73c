"""Profile of the hybrid model's bf16 inference on real AllSides mentions, and its two bf16 paths.

Builds the hybrid inputs of a random sample of AllSides articles as ``bench_scale.py`` does
(sentences and mentions, ``mention_examples``, the model's lexicon features, dedupe as
``predict_mentions`` does), then prints:

1. the token-length distribution of the inputs;
2. where a bf16 ``predict_proba`` spends its time: building inputs and features, tokenisation,
   batching (padding), the forward pass, and the forward pass by torch operator type
   (``torch.profiler``), for both bf16 paths;
3. speed of ``precision="bf16"`` (a bfloat16 copy with fused oneDNN linear kernels) against
   ``bf16_autocast=True`` (the float32 model under autocast) and fp32, runs interleaved in one
   process, medians of ``--runs``; only the ratios mean much on a machine that does other work;
4. argmax agreement and the largest probability change of each against fp32.

    FRAMING_DATA=/work/shared python benchmarks/profile_inference.py [--articles 520]
        [--threads 2] [--runs 3] [--model newsmtsc-hybrid]
"""

from __future__ import annotations

import argparse
import statistics
import time
from pathlib import Path

import numpy as np
from bench_scale import allsides_sample, sample_articles

from framing.runs import pipeline
from framing.stance import classifier as C
from framing.stance import model_scoring


def hybrid_inputs(n_articles: int, clf):
    """Deduplicated classifier inputs of ``n_articles`` random AllSides articles."""
    articles = sample_articles(allsides_sample(n_articles), n_articles)
    sents, ments = pipeline.sentences_and_mentions(articles, n_jobs=1)
    examples = model_scoring.mention_examples(articles, sents, ments)
    examples, _ = model_scoring.lexicon_features(examples, clf.lexicon_vectorizer())
    columns = ["sentence", "mention", "span_start", "span_end", *model_scoring.fused_columns(clf)]
    key = examples[columns].astype(str).agg("\x1f".join, axis=1)
    first = ~key.duplicated().to_numpy()
    inputs = examples.loc[first].drop(columns="target").rename(columns={"mention": "target"})
    return inputs, len(examples)


def stage_times(clf, X, torch, autocast: bool) -> dict:
    """Seconds of each stage of one bf16 predict_proba, and the operator table of its forward."""
    from torch.profiler import ProfilerActivity, profile

    t0 = time.perf_counter()
    texts, pairs = clf._inputs(X, "X")
    raw = clf._raw_features(X, "X", clf._fitted_columns())
    feats = C._apply_standardisation(raw, clf.feature_mean_, clf.feature_scale_)
    t1 = time.perf_counter()
    enc = C._encode(clf.tokenizer_, texts, pairs, clf._max_length(), clf._spans(texts))
    t2 = time.perf_counter()
    model = clf._inference_model(torch, "bf16", autocast)
    order = np.argsort(enc["lengths"], kind="stable")
    batches = [C._collate(torch, enc, feats, order[i : i + 64], 0) for i in range(0, len(order), 64)]
    t3 = time.perf_counter()
    ctx = torch.autocast("cpu", dtype=torch.bfloat16) if autocast else torch.inference_mode()
    with torch.inference_mode(), ctx:
        t4 = time.perf_counter()
        for batch in batches:
            torch.softmax(model(**batch).double(), dim=-1).numpy()
        t5 = time.perf_counter()
        with profile(activities=[ProfilerActivity.CPU]) as prof:
            for batch in batches:
                model(**batch)
    ops = sorted(prof.key_averages(), key=lambda e: -e.self_cpu_time_total)
    total = sum(e.self_cpu_time_total for e in ops)
    return {"inputs + features": t1 - t0, "tokenisation": t2 - t1, "batching": t3 - t2,
            "forward": t5 - t4, "ops": [(e.key, e.self_cpu_time_total / total) for e in ops[:10]]}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--articles", type=int, default=520)
    parser.add_argument("--threads", type=int, default=C.available_cores())
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--model", default="newsmtsc-hybrid")
    opts = parser.parse_args()
    import torch

    torch.set_num_threads(opts.threads)
    clf = model_scoring.load_model(opts.model)
    X, n_rows = hybrid_inputs(opts.articles, clf)
    cpuinfo = Path("/proc/cpuinfo")
    lines = cpuinfo.read_text().splitlines() if cpuinfo.exists() else []
    cpu = next((line.split(":", 1)[1].strip() for line in lines if line.startswith("model name")), "?")
    print(f"{cpu}, {opts.threads} threads, torch {torch.__version__}; {opts.articles} articles, "
          f"{n_rows} mention rows, {len(X)} distinct inputs")
    texts, pairs = clf._inputs(X, "X")
    lengths = C._encode(clf.tokenizer_, texts, pairs, clf._max_length())["lengths"]
    print(f"tokens per input: mean {lengths.mean():.1f}, median {np.median(lengths):.0f}, "
          f"p90 {np.percentile(lengths, 90):.0f}, p99 {np.percentile(lengths, 99):.0f}, max "
          f"{lengths.max()}; at the 128 limit {(lengths >= 128).sum()}, over 64 "
          f"{(lengths > 64).mean():.1%}")
    for autocast in (True, False):
        clf.predict_proba(X.iloc[:64], precision="bf16", bf16_autocast=autocast)
        s = stage_times(clf, X, torch, autocast)
        whole = s["inputs + features"] + s["tokenisation"] + s["batching"] + s["forward"]
        print(f"bf16 {'autocast' if autocast else 'fused'}: " + ", ".join(
            f"{k} {s[k]:.2f}s ({s[k] / whole:.0%})"
            for k in ("inputs + features", "tokenisation", "batching", "forward")))
        print("  forward by operator (self time): " + ", ".join(
            f"{name} {share:.0%}" for name, share in s["ops"]))
    paths = {"bf16 autocast": {"precision": "bf16", "bf16_autocast": True},
             "bf16 fused": {"precision": "bf16"}, "fp32": {"precision": "fp32"}}
    times = {k: [] for k in paths}
    out = {}
    for _ in range(opts.runs):
        for name, kw in paths.items():
            t0 = time.perf_counter()
            out[name] = clf.predict_proba(X, num_threads=opts.threads, **kw)
            times[name].append(time.perf_counter() - t0)
    base = statistics.median(times["bf16 autocast"])
    for name in paths:
        t = statistics.median(times[name])
        agree = (out[name].argmax(1) == out["fp32"].argmax(1)).mean()
        print(f"{name:<14} {len(X) / t:6.0f} inputs/s  x{base / t:.2f} vs autocast  (runs "
              f"{', '.join(f'{v:.2f}' for v in times[name])} s)  argmax = fp32 {agree:.2%}, "
              f"max |p - p_fp32| {np.abs(out[name] - out['fp32']).max():.4f}")


if __name__ == "__main__":
    main()
