"""Simulated annotation loop on NewsMTSC: how many coded items does each sampling strategy need?

    python experiments/annotation_simulation.py [--seeds 13,14,15] [--start 100] [--batch 100]
        [--rounds 5] [--strategies random,uncertainty,disagreement] [--epochs 4]
        [--pool-size N] [--threads N] [--base-model DIR] [--out DIR]

Coding is simulated on NewsMTSC: the pool is the train split (``--pool-size`` draws a seeded
subsample), the coder is an oracle returning its gold label. Per seed, ``--start`` items are drawn
at random; then each round trains the hybrid model (the encoder, lexicon and [training] knobs of
``--train-config``, ``--epochs`` fixed epochs, no dev set: a researcher with a few hundred codes
has none to spare) on the items coded so far, scores NewsMTSC test-rw (macro-F1, accuracy),
predicts the rest of the pool and draws the next ``--batch`` items with
``framing.annotate.sample.sample_items`` (the same code as ``framing annotate sample``; no strata), so
``n_labels = start + round * batch``. ``disagreement`` draws only items whose lexicon label
differs from the model's; when fewer disagree than a batch needs, the rest is drawn at random
(``n_random_fill`` counts them). The seed draws the pool, the first items and the random picks,
and seeds the training; round 0 is the same model for every strategy of a seed (trained once).

Writes <out> (default reports/runs/annotation_simulation/<settings id>/): rounds/ (one CSV per
(strategy, seed, round), written as soon as it is done, so a rerun resumes where a run stopped),
batches/ (the items drawn after each round), start/ (round 0 per seed), results.csv (tidy),
summary.csv and results.md (mean and sd of macro-F1 over seeds per strategy and label count),
learning-curve.{svg,pdf,png} and manifest.json. Runs with other seeds, strategies or more rounds
and the same settings share the folder.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd

from framing.analysis import plots
from framing.annotate.sample import STRATEGIES, sample_items
from framing.infra import tableio
from framing.infra.errors import ConfigError, FramingError
from framing.lexicon.folder import load_lexicon
from framing.runs import config
from framing.runs import folders as runs
from framing.stance import datasets, training
from framing.stance.classifier import StanceClassifier, TrainingArguments
from framing.stance.evaluation import STANCE_LABELS, classification_report
from framing.stance.features import FEATURE_PREFIX, lexicon_rule

HERE = Path(__file__).resolve().parent
POOL_SPLIT, TEST_SPLIT = "train", "test-rw"
#: Model-based strategies run first, so round 0 of a seed is trained once with its pool predictions.
ORDER = ("uncertainty", "disagreement", "random")
#: Columns of results.csv (one row per strategy, seed and round); the *_seconds vary between runs.
RESULT_COLUMNS = ("strategy", "seed", "round", "n_labels", "macro_f1", "accuracy", "n_test",
                  *(f"n_{lab}" for lab in STANCE_LABELS), "n_random_fill", "pool_size", "epochs",
                  "steps", "train_seconds", "predict_seconds")


def parse_args(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--train-config", default=HERE / "models" / "newsmtsc-hybrid.toml", type=Path,
                        help="training config: encoder, lexicon, target set and [training] knobs")
    parser.add_argument("--seeds", default="13,14,15", help="comma-separated integers")
    parser.add_argument("--strategies", default=",".join(STRATEGIES),
                        help=f"comma-separated, among {','.join(STRATEGIES)}")
    parser.add_argument("--start", type=int, default=100, help="items coded before the first model")
    parser.add_argument("--batch", type=int, default=100, help="items coded per round")
    parser.add_argument("--rounds", type=int, default=5, help="batches added after the start")
    parser.add_argument("--epochs", type=int, default=4, help="training epochs per model (fixed)")
    parser.add_argument("--pool-size", type=int, help="subsample the pool (seeded); default: all of train")
    parser.add_argument("--threads", type=int, help="torch threads (default: the cores available)")
    parser.add_argument("--base-model", type=Path, help="encoder folder (e.g. a tiny test encoder)")
    parser.add_argument("--out", type=Path, help="run folder (default reports/runs/annotation_simulation/<id>)")
    opts = parser.parse_args(argv)
    for name in ("start", "batch", "epochs"):
        if getattr(opts, name) < 1:
            parser.error(f"--{name.replace('_', '-')} must be a positive integer")
    if opts.rounds < 0 or (opts.pool_size is not None and opts.pool_size <= opts.start):
        parser.error("--rounds must be >= 0 and --pool-size larger than --start")
    opts.seeds = [int(s) for s in opts.seeds.split(",") if s.strip()]
    opts.strategies = [s.strip() for s in opts.strategies.split(",") if s.strip()]
    unknown = sorted(set(opts.strategies) - set(STRATEGIES))
    if unknown or not opts.strategies or not opts.seeds:
        parser.error(f"--strategies among {','.join(STRATEGIES)} and at least one seed; got {unknown}")
    return opts


def settings(opts, cfg) -> dict:
    """What changes a result (seeds, strategies and rounds only add rows)."""
    knobs = cfg.result_knobs()
    return {"pool": POOL_SPLIT, "test": TEST_SPLIT, "pool_size": opts.pool_size, "start": opts.start,
            "batch": opts.batch, "epochs": opts.epochs, "lexicon": cfg.lexicon,
            "target_set": cfg.target_set, "language": cfg.language, "training": knobs,
            "base_model": str(opts.base_model.resolve()) if opts.base_model else cfg.base_model}


def as_items(table: pd.DataFrame) -> pd.DataFrame:
    """NewsMTSC rows in the item shape of ``sample_items`` (one row id = one item)."""
    return pd.DataFrame({"id": table["id"], "article_id": table["id"], "sent_id": 0,
                         "target": table["target"]})


def draw(items, n, *, seed, strategy, predictions=None, exclude=()) -> tuple[list[str], int]:
    """Item ids of the next batch and how many of them filled a short disagreement batch at random."""
    picked = sample_items(items, n, seed=seed, strategy=strategy, predictions=predictions,
                          strata=(), exclude=exclude).items["id"].tolist()
    fill = []
    if len(picked) < n and strategy != "random":
        fill = sample_items(items, n - len(picked), seed=seed, strategy="random", strata=(),
                            exclude=[*exclude, *picked]).items["id"].tolist()
    return picked + fill, len(fill)


def fit_and_score(labelled, test, rest, args, clf_kwargs, threads) -> tuple[dict, pd.DataFrame | None]:
    """Train on ``labelled``, score ``test``; predict ``rest`` (the uncoded pool) unless it is None."""
    started = time.perf_counter()
    clf = StanceClassifier(args=args, **clf_kwargs).fit(labelled, labelled["label"])
    trained = time.perf_counter()
    proba = clf.predict_proba(test, num_threads=threads)
    report = classification_report(test["label"], clf.classes_[proba.argmax(axis=1)],
                                   labels=list(clf.classes_))
    predictions = None
    if rest is not None and len(rest):
        p = clf.predict_proba(rest, num_threads=threads)
        predictions = pd.DataFrame({"id": rest["id"].to_numpy(),
                                    **{f"p_{lab}": p[:, k] for k, lab in enumerate(clf.classes_)},
                                    "predicted": clf.classes_[p.argmax(axis=1)]})
    return {"macro_f1": report["macro_f1"], "accuracy": report["accuracy"], "n_test": len(test),
            "steps": clf.metrics_["steps"], "train_seconds": round(trained - started, 3),
            "predict_seconds": round(time.perf_counter() - trained, 3)}, predictions


def prediction_table(predictions: pd.DataFrame, pool: pd.DataFrame) -> pd.DataFrame:
    """The prediction table ``sample_items`` reads; ``lexicon_signed`` is ``lex__polarity_sum``."""
    signed = pool.set_index("id")[f"{FEATURE_PREFIX}polarity_sum"]
    return predictions.assign(article_id=predictions["id"], sent_id=0,
                              target=predictions["id"].map(pool.set_index("id")["target"]),
                              lexicon_signed=predictions["id"].map(signed).to_numpy())


def simulate(strategy, seed, opts, out, pool, test, args, clf_kwargs) -> None:
    """Every round of one (strategy, seed); finished rounds (files in ``out``) are read back."""
    items = as_items(pool)
    labelled, _ = draw(items, opts.start, seed=seed, strategy="random")
    filled = 0
    for r in range(opts.rounds + 1):
        stem = f"{strategy}-seed{seed}-round{r:02d}.csv"
        done, batch_file = out / "rounds" / stem, out / "batches" / stem
        last = r == opts.rounds
        if done.is_file() and (last or batch_file.is_file()):
            if not last:
                batch = tableio.read_csv(batch_file, dtype={"id": str})
                labelled, filled = labelled + batch["id"].tolist(), filled + int(batch["random_fill"].sum())
            continue
        need_pool = strategy != "random" and not last
        table = pool.set_index("id").loc[labelled].reset_index()
        if r == 0:
            metrics, predictions = start_model(seed, out, table, pool, test, need_pool, args, clf_kwargs,
                                               opts.threads)
        else:
            rest = pool.loc[~pool["id"].isin(labelled)] if need_pool else None
            metrics, predictions = fit_and_score(table, test, rest, args, clf_kwargs, opts.threads)
        if not last:
            preds = prediction_table(predictions, pool) if need_pool else None
            batch, n_fill = draw(items, opts.batch, seed=seed, strategy=strategy, predictions=preds,
                                 exclude=labelled)
            tableio.write_csv(pd.DataFrame({"id": batch, "random_fill": [False] * (len(batch) - n_fill)
                                            + [True] * n_fill}), batch_file)
        counts = table["label"].value_counts()
        row = {"strategy": strategy, "seed": seed, "round": r, "n_labels": len(labelled), **metrics,
               **{f"n_{lab}": int(counts.get(lab, 0)) for lab in STANCE_LABELS},
               "n_random_fill": filled, "pool_size": len(pool), "epochs": opts.epochs}
        tableio.write_csv(pd.DataFrame([row], columns=list(RESULT_COLUMNS)), done)
        print(f"{strategy} seed {seed} round {r}: {len(labelled)} labels, macro-F1 "
              f"{metrics['macro_f1']:.3f} (training {metrics['train_seconds']:.0f} s, prediction "
              f"{metrics['predict_seconds']:.0f} s{', once per seed' if r == 0 else ''})", flush=True)
        if not last:
            labelled, filled = labelled + batch, filled + n_fill


def start_model(seed, out, table, pool, test, need_pool, args, clf_kwargs, threads):
    """Round 0 of ``seed``: the same items for every strategy, so trained once and kept in start/."""
    meta, preds = out / "start" / f"seed{seed}.json", out / "start" / f"seed{seed}.parquet"
    if meta.is_file() and (preds.is_file() or not need_pool):
        return json.loads(meta.read_text()), (pd.read_parquet(preds) if need_pool else None)
    rest = pool.loc[~pool["id"].isin(table["id"])] if need_pool else None
    metrics, predictions = fit_and_score(table, test, rest, args, clf_kwargs, threads)
    if predictions is not None:
        runs.write_table(predictions, preds)
    runs.write_json(metrics, meta)
    return metrics, predictions


def summarise(results: pd.DataFrame) -> pd.DataFrame:
    """Mean and sample sd (ddof 1; NaN for one seed) over seeds per (strategy, n_labels)."""
    order = {s: k for k, s in enumerate(STRATEGIES)}
    out = results.groupby(["strategy", "n_labels"]).agg(
        n_seeds=("seed", "nunique"), macro_f1_mean=("macro_f1", "mean"), macro_f1_sd=("macro_f1", "std"),
        accuracy_mean=("accuracy", "mean"), accuracy_sd=("accuracy", "std")).reset_index()
    return out.sort_values(["strategy", "n_labels"], key=lambda c: c.map(order) if c.name == "strategy"
                           else c, kind="stable", ignore_index=True)


def markdown(summary: pd.DataFrame, lexicon_f1: float, about: str) -> str:
    wide = summary.assign(cell=[f"{m:.3f} ± {s:.3f}" if np.isfinite(s) else f"{m:.3f}"
                                for m, s in zip(summary["macro_f1_mean"], summary["macro_f1_sd"], strict=True)])
    wide = wide.pivot(index="n_labels", columns="strategy", values="cell")
    wide = wide[[s for s in STRATEGIES if s in wide.columns]]
    lines = [f"Macro-F1 on NewsMTSC {TEST_SPLIT}, mean ± sd over seeds, by number of coded items. {about}",
             "", "| labelled items | " + " | ".join(wide.columns) + " |",
             "|---|" + "---|" * len(wide.columns)]
    lines += [f"| {n} | " + " | ".join(str(v) if isinstance(v, str) else "" for v in row) + " |"
              for n, row in zip(wide.index, wide.to_numpy(), strict=True)]
    lines += ["", f"Lexicon rule (sign of the lexicon polarity, no labels): {lexicon_f1:.3f}."]
    if "random" in set(summary["strategy"]):
        rnd = summary.loc[summary["strategy"] == "random"].iloc[-1]
        lines += ["", f"Items each strategy needs to reach random's macro-F1 at {int(rnd['n_labels'])} "
                      f"items ({rnd['macro_f1_mean']:.3f}, mean over seeds):"]
        for strategy, part in summary.groupby("strategy", sort=False):
            reached = part.loc[part["macro_f1_mean"] >= rnd["macro_f1_mean"], "n_labels"]
            lines.append(f"- {strategy}: " + (f"{int(reached.min())}" if len(reached) else
                                              f"more than {int(part['n_labels'].max())}"))
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    opts = parse_args(sys.argv[1:] if argv is None else argv)
    cfg = training.load_train_config(opts.train_config)
    spec = settings(opts, cfg)
    sid = hashlib.sha256(json.dumps(spec, sort_keys=True, default=str).encode()).hexdigest()[:12]
    out = opts.out or config.PROJECT_DIR / "reports" / "runs" / "annotation_simulation" / sid
    print(f"run folder: {out}", flush=True)
    if not cfg.lexicon:
        raise ConfigError(f"{opts.train_config}: the simulation needs a lexicon (features, disagreement)")
    lexicon = load_lexicon(cfg.lexicon)
    data = {s: datasets.load_newsmtsc(s) for s in (POOL_SPLIT, TEST_SPLIT)}
    size = min(opts.pool_size or len(data[POOL_SPLIT]), len(data[POOL_SPLIT]))
    if opts.start + opts.rounds * opts.batch > size:
        raise ConfigError(f"{opts.rounds} rounds of {opts.batch} after {opts.start} need "
                          f"{opts.start + opts.rounds * opts.batch} items; the pool has {size}")
    stored = out / "settings.json"
    if stored.is_file() and json.loads(stored.read_text(encoding="utf-8")) != json.loads(
            json.dumps(spec, default=str)):
        raise ConfigError(f"{out} holds a simulation with other settings ({stored}); choose another --out")
    runs.write_json(json.loads(json.dumps(spec, default=str)), stored)
    features: list[str] = []
    for split, table in data.items():
        data[split], features = training.with_features(table, lexicon, target_set=cfg.target_set,
                                                       language=cfg.language)
    lexicon_f1 = classification_report(data[TEST_SPLIT]["label"], lexicon_rule(data[TEST_SPLIT]),
                                       labels=STANCE_LABELS)["macro_f1"]
    base = (str(opts.base_model) if opts.base_model else config.resolve_model(cfg.base_model)
            if cfg.base_model and config.is_name(cfg.base_model) else cfg.base_model or None)
    args = TrainingArguments.from_dict({**cfg.training, "seed": 0, "epochs": opts.epochs,
                                        "progress_bar": False, "early_stopping_patience": None,
                                        "num_threads": opts.threads})
    clf_kwargs = {"model_path": base, "feature_columns": tuple(features), "lexicon_name": lexicon.id,
                  "lexicon_sha256": lexicon.sha256}
    for seed in opts.seeds:
        pool = data[POOL_SPLIT]
        if opts.pool_size and opts.pool_size < len(pool):
            ids, _ = draw(as_items(pool), opts.pool_size, seed=seed, strategy="random")
            pool = pool.loc[pool["id"].isin(set(ids))]
        for strategy in sorted(opts.strategies, key=ORDER.index):
            seeded = TrainingArguments.from_dict({**args.to_dict(), "seed": seed})
            simulate(strategy, seed, opts, out, pool.reset_index(drop=True), data[TEST_SPLIT], seeded,
                     clf_kwargs)
    results = pd.concat([tableio.read_csv(p) for p in sorted((out / "rounds").glob("*.csv"))], ignore_index=True)
    results = results[list(RESULT_COLUMNS)]
    results = results.sort_values(["strategy", "seed", "round"], key=lambda c: c.map(
        {s: k for k, s in enumerate(STRATEGIES)}) if c.name == "strategy" else c, ignore_index=True)
    tableio.write_csv(results, out / "results.csv")
    summary = summarise(results)
    tableio.write_csv(summary, out / "summary.csv")
    seeds = sorted(results["seed"].unique().tolist())
    about = (f"Seeds {', '.join(map(str, seeds))}; pool {POOL_SPLIT} ({int(results['pool_size'].max())} "
             f"items), start {opts.start}, batches of {opts.batch}, epochs per model {opts.epochs}.")
    runs.write_text(markdown(summary, lexicon_f1, about), out / "results.md")
    ax = plots.learning_curve(summary, references={"lexicon rule (no labels)": lexicon_f1},
                              ylabel=f"macro-F1 on NewsMTSC {TEST_SPLIT}")
    ax.set_title(f"mean ± sd over seeds {', '.join(map(str, seeds))}", fontsize=8)
    plots.save_figure(ax, out / "learning-curve", ("svg", "pdf", "png"))
    runs.write_json({"settings": spec, "settings_id": sid, "command_line": sys.argv, "seeds_run": seeds,
                     "strategies_run": sorted(results["strategy"].unique().tolist()),
                     "train_config": str(opts.train_config), "git": runs.git_state(),
                     "versions": runs.package_versions(), "lexicon": {"name": lexicon.id, "sha256": lexicon.sha256},
                     "inputs": {s: runs.file_sha256(datasets.newsmtsc_path(s)) for s in data}},
                    out / "manifest.json")
    print((out / "results.md").read_text(encoding="utf-8"))
    return 0


if __name__ == "__main__":
    try:
        sys.exit(main())
    except FramingError as err:
        print(f"error: {err}", file=sys.stderr)
        sys.exit(2)
