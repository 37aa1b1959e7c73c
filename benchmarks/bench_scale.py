"""Benchmark suite: per-stage throughput on AllSides, the naive baseline, the compute bound.

One run prints, medians of ``--runs`` runs on this machine:

1. **Compute bound.** Matmul GFLOP/s (fp32 and bf16) at the shape of the classifier's feed-forward
   layer, and the classifier's FLOPs per token (counted from its config, checked against
   ``torch.utils.flop_counter``).
2. **Lexicon-only stages** on all 37,554 articles: ingest (read, clean, language id), sentences and
   mentions, lexicon scoring (matching, then aggregation into scores and frames), with peak
   memory. End to end after ingest = sentences and mentions + lexicon scoring.
3. **Hybrid stages** on a random sample of articles: sentences and mentions, lexicon features,
   model inference, aggregation; articles/s end to end after ingest.
4. **Naive baseline** in the same run: a transformers ``pipeline`` over every sentence of every
   article of a smaller sample, padded to the model's max length (128 tokens), batch 16, the
   same encoder (all-MiniLM-L6-v2); the ratio hybrid / naive in articles/s.
5. **Optimisations, each on its own**: a ladder that switches them on one at a time (all
   sentences -> mention sentences only -> dedupe -> length bucketing -> inference mode -> threads
   matched to cores -> bf16 autocast -> bf16 weights with fused linear kernels / int8), each
   step's speed-up measured, plus the achieved fraction of the compute bound.
6. **Accuracy of the lower precisions**: NewsMTSC test macro-F1 at fp32, bf16 and int8.

A script, not a test: the targets are read off its output (``--json`` also writes the figures).
The full AllSides hybrid run and its peak memory: ``benchmarks/bench_stream.py``.

    python benchmarks/bench_scale.py [--runs 3] [--sample 1000] [--naive-sample 40]
        [--model newsmtsc-hybrid] [--skip lexicon,hybrid,naive,ladder,accuracy] [--json FILE]
"""

from __future__ import annotations

import argparse
import contextlib
import json
import platform
import statistics
import threading
import time
from pathlib import Path

import numpy as np
import pandas as pd
import psutil

from framing.runs import config, pipeline
from framing.stance import model_scoring, scoring
from framing.stance.classifier import available_cores, default_model_path

ALLSIDES_MAP = {"article_id": "ID", "outlet": "source", "text": "content_original", "published": "date"}
MAX_LENGTH = 128
NAIVE_BATCH = 16
#: Matmul shape of the encoder's feed-forward layer for a batch of 64 rows of 64 tokens.
MATMUL_SHAPE = (4096, 384, 1536)


class PeakMemory:
    """Peak resident memory of this process and its children, sampled every 50 ms."""

    def __init__(self) -> None:
        self.peak = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        me = psutil.Process()
        while not self._stop.is_set():
            with contextlib.suppress(psutil.Error):
                total = me.memory_info().rss + sum(
                    c.memory_info().rss for c in me.children(recursive=True)
                )
                self.peak = max(self.peak, total)
            self._stop.wait(0.05)

    def __enter__(self) -> PeakMemory:
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._stop.set()
        self._thread.join()

    @property
    def gib(self) -> float:
        return self.peak / 2**30


def timed(fn, runs: int):
    """(median seconds, all seconds, last result) of ``runs`` calls of ``fn``."""
    times, result = [], None
    for _ in range(runs):
        t0 = time.perf_counter()
        result = fn()
        times.append(time.perf_counter() - t0)
    return statistics.median(times), times, result


def fmt_runs(times) -> str:
    return ", ".join(f"{t:.1f}" for t in times)


# -- 1. compute bound ----------------------------------------------------------------------------


def matmul_gflops(dtype_name: str, threads: int, runs: int) -> float:
    import torch

    torch.set_num_threads(threads)
    m, k, n = MATMUL_SHAPE
    gen = torch.Generator().manual_seed(0)
    dtype = {"fp32": torch.float32, "bf16": torch.bfloat16}[dtype_name]
    a = torch.randn(m, k, generator=gen).to(dtype)
    b = torch.randn(k, n, generator=gen).to(dtype)
    reps = 20
    for _ in range(3):
        a @ b
    rates = []
    for _ in range(max(runs, 5)):
        t0 = time.perf_counter()
        for _ in range(reps):
            a @ b
        rates.append(2 * m * k * n * reps / (time.perf_counter() - t0) / 1e9)
    return statistics.median(rates)


def flops_per_token(cfg, width: int) -> float:
    """Forward FLOPs per token of a BERT encoder at sequence width ``width`` (2 per multiply-add).

    Per layer: Q, K, V and output projections 4·2·h², feed-forward 2·2·h·i, attention scores and
    weighted values 2·2·width·h. Embeddings, layer norms, softmax and the small head are left out
    (under 1%).
    """
    h, i, layers = cfg.hidden_size, cfg.intermediate_size, cfg.num_hidden_layers
    return layers * (8 * h * h + 4 * h * i + 4 * width * h)


def check_flops(encoder_path: Path, cfg) -> tuple[float, float]:
    """(counted by torch, our formula) FLOPs of one 128-token sentence."""
    import torch
    from torch.utils.flop_counter import FlopCounterMode
    from transformers import AutoModel

    model = AutoModel.from_pretrained(encoder_path).eval()
    ids = torch.ones((1, MAX_LENGTH), dtype=torch.long)
    with torch.inference_mode(), FlopCounterMode(display=False) as counter:
        model(input_ids=ids, attention_mask=torch.ones_like(ids))
    return counter.get_total_flops(), flops_per_token(cfg, MAX_LENGTH) * MAX_LENGTH


def batch_flops(lengths: np.ndarray, batch_size: int, cfg, *, sort: bool = True,
                pad_to: int | None = None) -> tuple[float, float]:
    """(FLOPs computed incl. padding, FLOPs on real tokens) of predicting rows of these lengths."""
    order = np.argsort(lengths, kind="stable") if sort else np.arange(len(lengths))
    done = useful = 0.0
    for start in range(0, len(order), batch_size):
        part = lengths[order[start : start + batch_size]]
        width = max(int(part.max()), pad_to or 0)
        done += len(part) * width * flops_per_token(cfg, width)
        useful += float(sum(n * flops_per_token(cfg, int(n)) for n in part))
    return done, useful


# -- data ------------------------------------------------------------------------------------------


def allsides_path() -> Path:
    return config.data_dir() / "data" / "allsides_baly2020" / "articles.parquet"


def sample_articles(articles: pd.DataFrame, n: int, seed: int = 0) -> pd.DataFrame:
    ok = articles.loc[articles["status"].isin(("ok", "too_large"))]
    return ok.sample(n=min(n, len(ok)), random_state=seed).sort_index()


def allsides_sample(n: int, seed: int = 0) -> pd.DataFrame:
    """Article table of ``n`` AllSides articles drawn at random (ingested on their own)."""
    from framing.corpus import loading as corpus

    raw = pd.read_parquet(allsides_path())
    raw = raw.sample(n=min(n, len(raw)), random_state=seed).sort_index()
    return corpus.articles_from_frame(raw, allsides_path(), column_map=ALLSIDES_MAP)


# -- 2. lexicon-only stages ------------------------------------------------------------------------


def lexicon_stages(runs: int, jobs: int, report: dict) -> pd.DataFrame:
    path = allsides_path()
    with PeakMemory() as mem:
        t_ingest, all_t, articles = timed(
            lambda: pipeline.ingest([path], column_map=ALLSIDES_MAP, n_jobs=jobs), runs)
        n = len(articles)
        print(f"ingest (read, clean, language id), {jobs} jobs: {t_ingest:.1f}s = {n / t_ingest:.0f} "
              f"articles/s (runs {fmt_runs(all_t)})")
        t_sm, all_t, (sents, ments) = timed(
            lambda: pipeline.sentences_and_mentions(articles, n_jobs=jobs), runs)
        print(f"sentences + mentions, {jobs} jobs: {t_sm:.1f}s = {n / t_sm:.0f} articles/s "
              f"({len(sents):,} sentences, {len(ments):,} mention rows; runs {fmt_runs(all_t)})")
        lex = scoring.resolve_lexicon(None)
        rows = {}
        for frames in (True, False):
            t_match, all_m, _ = timed(
                lambda f=frames: scoring.match_cues(articles, sents, ments, lexicon=lex,
                                                    all_sentences=f, n_jobs=jobs), runs)
            t_score, all_s, _ = timed(
                lambda f=frames: scoring.score_lexicon(articles, sents, ments, lexicon=lex,
                                                       article_frames=f, n_jobs=jobs), runs)
            t_fused, all_f, _ = timed(
                lambda f=frames: pipeline.lexicon_scores(articles, lexicon=lex, article_frames=f,
                                                         n_jobs=jobs), runs)
            what = "with article frames" if frames else "stance only"
            e2e = t_sm + t_score
            print(f"lexicon scoring {what}, {jobs} jobs: {t_score:.1f}s = {n / t_score:.0f} articles/s "
                  f"(runs {fmt_runs(all_s)}); of which matching {t_match:.1f}s, aggregation "
                  f"{max(t_score - t_match, 0):.1f}s")
            print(f"  lexicon-only end to end after ingest ({what}): stages one after the other "
                  f"{e2e:.1f}s = {n / e2e:.0f} articles/s; one pass per chunk and worker "
                  f"(pipeline.lexicon_scores) {t_fused:.1f}s = {n / t_fused:.0f} articles/s "
                  f"(runs {fmt_runs(all_f)})")
            rows[what] = {"match_s": t_match, "score_s": t_score, "e2e_s": e2e,
                          "e2e_articles_per_s": n / e2e, "one_pass_s": t_fused,
                          "one_pass_articles_per_s": n / t_fused}
    print(f"peak memory (process tree, RSS): {mem.gib:.2f} GiB")
    report["lexicon"] = {"articles": n, "ingest_s": t_ingest, "sentences_mentions_s": t_sm,
                         "settings": rows, "peak_gib": mem.gib}
    return articles


# -- 3. hybrid stages --------------------------------------------------------------------------------


class StageTimer:
    """Adds up the time spent in named functions of a module while in the ``with`` block."""

    def __init__(self, module, names) -> None:
        self.module, self.names, self.seconds = module, names, dict.fromkeys(names, 0.0)

    def __enter__(self) -> StageTimer:
        self.saved = {name: getattr(self.module, name) for name in self.names}
        for name, fn in self.saved.items():
            setattr(self.module, name, self._wrap(name, fn))
        return self

    def _wrap(self, name, fn):
        def wrapper(*args, **kwargs):
            t0 = time.perf_counter()
            try:
                return fn(*args, **kwargs)
            finally:
                self.seconds[name] += time.perf_counter() - t0
        return wrapper

    def __exit__(self, *exc) -> None:
        for name, fn in self.saved.items():
            setattr(self.module, name, fn)


def hybrid_stages(sample: pd.DataFrame, clf, runs: int, jobs: int, precision: str, report: dict) -> dict:
    n = len(sample)
    t_sm, _, (sents, ments) = timed(lambda: pipeline.sentences_and_mentions(sample, n_jobs=jobs), runs)
    per_run = []
    for _ in range(runs):
        with StageTimer(model_scoring, ("mention_examples", "lexicon_features", "predict_mentions",
                                        "_cues")) as timer:
            t0 = time.perf_counter()
            model_scoring.score_model(sample, sents, ments, clf, method="hybrid", precision=precision)
            total = time.perf_counter() - t0
        s = timer.seconds
        per_run.append({
            "lexicon_s": s["mention_examples"] + s["lexicon_features"] + s["_cues"],
            "inference_s": s["predict_mentions"],
            "aggregation_s": total - sum(s.values()),
            "total_s": total,
        })
    med = {k: statistics.median(r[k] for r in per_run) for k in per_run[0]}
    e2e = t_sm + med["total_s"]
    print(f"hybrid ({precision}) on {n} sampled articles, {len(ments):,} mention rows:")
    print(f"  sentences + mentions {t_sm:.2f}s ({n / t_sm:.0f} art/s) | lexicon features "
          f"{med['lexicon_s']:.2f}s ({n / med['lexicon_s']:.0f} art/s) | inference "
          f"{med['inference_s']:.2f}s ({len(ments) / med['inference_s']:.0f} mentions/s, "
          f"{n / med['inference_s']:.0f} art/s) | aggregation {med['aggregation_s']:.2f}s "
          f"({n / max(med['aggregation_s'], 1e-9):.0f} art/s)")
    print(f"  hybrid end to end after ingest: {e2e:.1f}s = {n / e2e:.1f} articles/s")
    out = {"articles": n, "mentions": len(ments), "sentences_mentions_s": t_sm, **med,
           "e2e_s": e2e, "e2e_articles_per_s": n / e2e}
    report.setdefault("hybrid", {})[precision] = out
    return {"sentences": sents, "mentions": ments, **out}


# -- 4. naive baseline --------------------------------------------------------------------------------


def naive_pipeline(threads: int):
    import torch
    from transformers import AutoModelForSequenceClassification, AutoTokenizer
    from transformers import pipeline as hf_pipeline
    from transformers.utils import logging as hf_logging

    hf_logging.set_verbosity_error()  # "newly initialised head" is expected: the head is untrained
    torch.set_num_threads(threads)
    path = default_model_path()
    model = AutoModelForSequenceClassification.from_pretrained(path, num_labels=3)
    tok = AutoTokenizer.from_pretrained(path)
    return hf_pipeline("text-classification", model=model, tokenizer=tok, device="cpu")


def naive_baseline(sample: pd.DataFrame, runs: int, threads: int, report: dict) -> dict:
    from framing.text import preprocess

    sents = preprocess.split_articles(sample)
    texts = sents["text"].tolist()
    clf = naive_pipeline(threads)
    kwargs = dict(padding="max_length", truncation=True, max_length=MAX_LENGTH, batch_size=NAIVE_BATCH)
    clf(texts[:NAIVE_BATCH], **kwargs)  # warm-up
    t, all_t, _ = timed(lambda: clf(texts, **kwargs), runs)
    n = len(sample)
    print(f"naive baseline: transformers pipeline over all {len(texts):,} sentences of {n} articles, "
          f"padded to {MAX_LENGTH}, batch {NAIVE_BATCH}, {threads} threads: {t:.1f}s = "
          f"{len(texts) / t:.1f} sentences/s = {n / t:.2f} articles/s (runs {fmt_runs(all_t)})")
    out = {"articles": n, "sentences": len(texts), "seconds": t, "articles_per_s": n / t,
           "sentences_per_s": len(texts) / t}
    report["naive"] = out
    return out


# -- 5. optimisation ladder ---------------------------------------------------------------------------


def all_sentence_examples(sample: pd.DataFrame, sents: pd.DataFrame, clf) -> pd.DataFrame:
    """Every sentence as a classifier row (no target, zero features): 'classify everything'."""
    # The classifier needs a second segment: a one-word stand-in costs what a short target does.
    rows = pd.DataFrame({"sentence": sents["text"].to_numpy(), "target": "none", "mention": "none",
                         "span_start": np.nan, "span_end": np.nan})
    for col in clf.feature_columns:
        rows[col] = 0.0
    return rows


def ladder(big: pd.DataFrame, small: pd.DataFrame, clf, cfg, runs: int, threads: int,
           gflops: dict, report: dict) -> None:
    """Switch the optimisations on one at a time; articles/s and speed-up of each step."""
    from framing.text import preprocess

    def mention_rows(sample):
        sents, ments = pipeline.sentences_and_mentions(sample, n_jobs=1)
        ex = model_scoring.mention_examples(sample, sents, ments)
        ex, _ = model_scoring.lexicon_features(ex, clf.lexicon_name or scoring.DEFAULT_LEXICON)
        return ex

    small_all = all_sentence_examples(small, preprocess.split_articles(small), clf)
    small_mentions = mention_rows(small)
    big_mentions = mention_rows(big)
    base = dict(pad_to=MAX_LENGTH, length_sorted=False, grad_mode="grad", num_threads=1,
                precision="fp32", dedupe=False, batch_size=NAIVE_BATCH)
    steps = [
        ("all sentences, padded to 128, autograd on, 1 thread, fp32", small, small_all, {}),
        ("+ only sentences that mention a target", small, small_mentions, {}),
        ("(same, on the larger sample)", big, big_mentions, {}),
        ("+ dedupe identical (sentence, target) inputs", big, big_mentions, {"dedupe": True}),
        ("+ length-bucketed dynamic padding", big, big_mentions,
         {"dedupe": True, "pad_to": None, "length_sorted": True}),
        ("+ inference mode", big, big_mentions,
         {"dedupe": True, "pad_to": None, "length_sorted": True, "grad_mode": "inference"}),
        (f"+ threads matched to cores ({threads})", big, big_mentions,
         {"dedupe": True, "pad_to": None, "length_sorted": True, "grad_mode": "inference",
          "num_threads": threads}),
        ("+ batch 64", big, big_mentions,
         {"dedupe": True, "pad_to": None, "length_sorted": True, "grad_mode": "inference",
          "num_threads": threads, "batch_size": 64}),
        ("+ bf16 autocast", big, big_mentions,
         {"dedupe": True, "pad_to": None, "length_sorted": True, "grad_mode": "inference",
          "num_threads": threads, "batch_size": 64, "precision": "bf16", "bf16_autocast": True}),
        ("+ bf16 weights cast once, fused oneDNN linear (bf16)", big, big_mentions,
         {"dedupe": True, "pad_to": None, "length_sorted": True, "grad_mode": "inference",
          "num_threads": threads, "batch_size": 64, "precision": "bf16"}),
        ("  or int8 dynamic quantization instead", big, big_mentions,
         {"dedupe": True, "pad_to": None, "length_sorted": True, "grad_mode": "inference",
          "num_threads": threads, "batch_size": 64, "precision": "int8"}),
    ]
    print("optimisation ladder (model inference only; articles/s of the sample; speed-up vs the "
          "line above):")
    rows, previous = [], None
    for label, sample, examples, change in steps:
        options = {**base, **change}
        t, all_t, _ = timed(lambda o=options, e=examples: model_scoring.predict_mentions(e, clf, **o), runs)
        rate = len(sample) / t
        speedup = rate / previous if previous and not label.startswith(("(", " ")) else float("nan")
        lengths = _lengths(examples, clf, options["dedupe"])
        done, useful = batch_flops(lengths, options["batch_size"], cfg,
                                   sort=options["length_sorted"], pad_to=options["pad_to"])
        bound = gflops["bf16" if options["precision"] == "bf16" else "fp32"]
        achieved = done / t / 1e9
        row = {"step": label, "articles": len(sample), "rows": len(examples),
               "distinct_rows": len(lengths), "seconds": t, "articles_per_s": rate,
               "speedup": speedup, "gflops_done": achieved, "gflops_useful": useful / t / 1e9,
               "fraction_of_fp32_bound": achieved / gflops["fp32"],
               "fraction_of_own_bound": achieved / bound, "runs": all_t}
        rows.append(row)
        print(f"  {label:<62} {len(lengths):>6} inputs {t:7.2f}s {rate:8.2f} art/s "
              f"{'' if np.isnan(speedup) else f'x{speedup:.2f}':>7} | {achieved:6.1f} GFLOP/s "
              f"done ({useful / t / 1e9:6.1f} on real tokens) = {achieved / gflops['fp32']:.0%} of "
              f"the fp32 bound")
        if not label.startswith(" "):
            previous = rate
    report["ladder"] = rows


def _lengths(examples: pd.DataFrame, clf, dedupe: bool) -> np.ndarray:
    """Token lengths of the inputs the classifier sees (after dedupe), as predict_proba encodes them."""
    from framing.stance.classifier import _encode

    rows = examples
    if dedupe:
        cols = ["sentence", "mention", "span_start", "span_end", *clf.feature_columns]
        cols = [c for c in cols if c in rows.columns]
        rows = rows.loc[~rows[cols].astype(str).duplicated()]
    if "mention" in rows.columns:
        rows = rows.drop(columns="target").rename(columns={"mention": "target"})
    texts, pairs = clf._inputs(rows, "X")
    return _encode(clf.tokenizer_, texts, pairs, clf._max_length())["lengths"]


# -- 6. accuracy of the lower precisions --------------------------------------------------------------


def precision_accuracy(clf, report: dict) -> None:
    from framing.stance import training

    out = {}
    for precision in ("fp32", "bf16", "int8"):
        out[precision] = {}
        for split in ("test-rw", "test-mt"):
            rep = training.evaluate(clf, f"newsmtsc:{split}", precision=precision)
            out[precision][split] = rep["macro_f1"]
    print("NewsMTSC test macro-F1 by precision (points; difference to fp32):")
    for precision, scores in out.items():
        diffs = ", ".join(
            f"{split} {100 * f1:.2f} ({100 * (f1 - out['fp32'][split]):+.2f})" for split, f1 in scores.items()
        )
        print(f"  {precision}: {diffs}")
    report["accuracy"] = out


# -- main ---------------------------------------------------------------------------------------------


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--jobs", type=int, default=pipeline.default_jobs())
    parser.add_argument("--threads", type=int, default=available_cores())
    parser.add_argument("--sample", type=int, default=1000, help="articles of the hybrid sample")
    parser.add_argument("--naive-sample", type=int, default=40, help="articles of the naive baseline")
    parser.add_argument("--ladder-sample", type=int, default=200,
                        help="articles of the optimisation ladder (from the hybrid sample)")
    parser.add_argument("--model", default="newsmtsc-hybrid", help="saved hybrid model")
    parser.add_argument("--skip", default="", help="comma-separated: lexicon,hybrid,naive,ladder,accuracy")
    parser.add_argument("--json", type=Path, help="also write the figures here")
    opts = parser.parse_args()
    skip = {s.strip() for s in opts.skip.split(",") if s.strip()}

    import torch
    from transformers import AutoConfig

    report: dict = {"date": time.strftime("%Y-%m-%d"), "machine": platform.processor() or platform.machine(),
                    "cores": available_cores(), "python": platform.python_version(),
                    "torch": torch.__version__, "runs": opts.runs}
    print(f"machine: {report['machine']}, cores {report['cores']}, python {report['python']}, "
          f"torch {report['torch']}, medians of {opts.runs} runs")
    cfg = AutoConfig.from_pretrained(default_model_path())
    gflops = {p: matmul_gflops(p, opts.threads, opts.runs) for p in ("fp32", "bf16")}
    counted, ours = check_flops(default_model_path(), cfg)
    torch.set_num_threads(opts.threads)
    print(f"matmul {MATMUL_SHAPE}, {opts.threads} threads: fp32 {gflops['fp32']:.0f} GFLOP/s, "
          f"bf16 {gflops['bf16']:.0f} GFLOP/s")
    print(f"all-MiniLM-L6-v2 at {MAX_LENGTH} tokens: {ours / 1e9:.2f} GFLOP per sentence by formula, "
          f"{counted / 1e9:.2f} counted by torch; {flops_per_token(cfg, 40) / 1e6:.1f} MFLOP per token at "
          f"40 tokens; fp32 bound at 128 tokens {gflops['fp32'] * 1e9 / ours:.0f} sentences/s")
    report["bound"] = {"gflops": gflops, "gflop_per_sentence_128": ours / 1e9,
                       "gflop_per_sentence_128_counted": counted / 1e9}

    articles = None
    if "lexicon" not in skip:
        articles = lexicon_stages(opts.runs, opts.jobs, report)
    needs_sample = {"hybrid", "naive", "ladder"} - skip
    clf = None
    if needs_sample or "accuracy" not in skip:
        clf = model_scoring.load_model(opts.model)
    if needs_sample:
        big = sample_articles(allsides_sample(opts.sample), opts.sample)
        small = sample_articles(big, opts.naive_sample, seed=1)
        del articles
        hybrid = {}
        if "hybrid" not in skip:
            for precision in ("fp32", "bf16"):
                hybrid[precision] = hybrid_stages(big, clf, opts.runs, opts.jobs, precision, report)
        if "naive" not in skip:
            naive = naive_baseline(small, opts.runs, opts.threads, report)
            for precision, h in hybrid.items():
                ratio = h["e2e_articles_per_s"] / naive["articles_per_s"]
                print(f"hybrid ({precision}) end to end after ingest / naive baseline inference: "
                      f"{h['e2e_articles_per_s']:.1f} / {naive['articles_per_s']:.2f} articles/s = x{ratio:.0f}")
                report["hybrid"][precision]["ratio_to_naive"] = ratio
        if "ladder" not in skip:
            medium = sample_articles(big, opts.ladder_sample, seed=2)
            ladder(medium, small, clf, cfg, opts.runs, opts.threads, gflops, report)
    if "accuracy" not in skip:
        precision_accuracy(clf, report)
    if opts.json:
        opts.json.parent.mkdir(parents=True, exist_ok=True)
        opts.json.write_text(json.dumps(report, indent=2, default=float) + "\n", encoding="utf-8")
        print(f"wrote {opts.json}")


if __name__ == "__main__":
    main()
