"""State-stance benchmark driver: every model of experiments/state_benchmark.toml, every seed.

    python experiments/state_benchmark.py [--config experiments/state_benchmark.toml]
        [--models lexicon,state-hybrid] [--seeds 13] [--force] [--save-models]

Writes reports/runs/<name>/<protocol id>/: results/<model>-<model id>-seed<seed>.csv (one per
finished model and definition, so an interrupted run keeps what it finished, a rerun skips it, and a
changed model definition is run anew), results.csv (the config's current models, tidy, with
per-class F1), results.md (mean ± sd over seeds), predictions/, manifest.json.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import sys
import tomllib
from pathlib import Path

import newsmtsc_protocol as bm  # the NewsMTSC study protocol, beside this driver
import pandas as pd

from framing.infra import tableio
from framing.infra.errors import ConfigError, FramingError
from framing.runs import config
from framing.runs import folders as runs
from framing.stance import training
from framing.stance.classifier import StanceClassifier, TrainingArguments
from framing.stance.evaluation import STANCE_LABELS, classification_report
from framing.stance.features import lexicon_rule
from framing.text.voice import VOICE_FEATURES

HERE = Path(__file__).resolve().parent
KINDS = ("lexicon", "tfidf", "transformer", "hybrid")


def load(path: Path, models: list[str] | None, seeds: list[int] | None) -> dict:
    cfg = tomllib.loads(path.read_text(encoding="utf-8"))
    chosen = [m for m in cfg["models"] if models is None or m["name"] in models]
    unknown = sorted(set(models or []) - {m["name"] for m in cfg["models"]})
    bad = [m["name"] for m in chosen if m.get("kind") not in KINDS]
    if unknown or bad or not chosen:
        raise ConfigError(f"{path}: unknown models {unknown} or kinds {bad}; kinds: {list(KINDS)}")
    cfg["run_models"], cfg["run_seeds"] = chosen, list(seeds or cfg["seeds"])
    return cfg


def _digest(data) -> str:
    return hashlib.sha256(json.dumps(data, sort_keys=True).encode()).hexdigest()[:12]


def settings_id(cfg: dict) -> str:
    """The evaluation protocol (test splits, lexicon, targets): one folder per protocol."""
    return _digest({k: cfg.get(k) for k in ("tests", "lexicon", "target_set", "language")})


def model_id(model: dict, cfg: dict) -> str:
    """A model's own definition and the knobs it uses: a changed model is a new result file."""
    knobs = {"lexicon": {}, "tfidf": {"linear": cfg["linear"], "tfidf": cfg["tfidf"]}}.get(model["kind"])
    if knobs is None:
        knobs = {k: v for k, v in cfg["training"].items() if k not in training.NO_RESULT_KNOBS}
    return _digest({"model": model, "knobs": knobs})


def per_class_rows(results: pd.DataFrame, predictions: dict, data: dict, tests: dict) -> pd.DataFrame:
    extra = []
    for split, predicted in predictions.items():
        report = classification_report(data[tests[split]]["label"], predicted, labels=STANCE_LABELS)
        extra.append({f"f1_{r.label}": r.f1 for r in report["per_class"].itertuples()} | {"split": split})
    return results.merge(pd.DataFrame(extra), on="split")


def run_one(model: dict, seed: int, cfg: dict, data: dict, features: list[str], save_to: Path | None,
            reuse: Path | None = None):
    kind, tests = model["kind"], {name: data[spec] for name, spec in cfg["tests"].items()}
    dev = data[model["select"]]
    if kind == "lexicon":
        return bm.result_rows(model["name"], seed, tests, lexicon_rule, bm.lexicon_rule_info(dev))
    train = data[training.SPEC_JOIN.join(model["train"])]
    if kind == "tfidf":
        fitted, info = bm.fit_select_linear("tfidf", train, dev, [], seed, cfg["linear"], cfg["tfidf"])
        return bm.result_rows(model["name"], seed, tests,
                              lambda t: fitted.predict(bm.model_input("tfidf", t, features)), info)
    if reuse is not None and (reuse / "config.json").is_file():
        # A model saved earlier with these very settings (e.g. by `framing train` of the same
        # recipe and seed): evaluated, not trained again.
        clf = StanceClassifier.load(reuse)
        print(f"{model['name']} seed {seed}: evaluating the saved model {reuse}", flush=True)
        info = {"selected": f"epoch={clf.metrics_.get('best_epoch')}",
                "dev_macro_f1": (clf.metrics_.get("dev") or {}).get("macro_f1", float("nan")),
                "train_seconds": float("nan"), "epochs_run": None}
        return bm.result_rows(model["name"], seed, tests, clf.predict, info)
    if kind == "hybrid":
        features = [f for f in features if not f.startswith("voice__")] + (
            list(VOICE_FEATURES) if model.get("voice") else [])
    knobs = {**cfg["training"], **model.get("training", {}), "seed": seed}
    knobs = {k: (None if k == "eval_every" and v == 0 else v) for k, v in knobs.items()}
    base = model.get("base")  # e.g. "newsmtsc-hybrid-seed{seed}": go on from that saved model's encoder
    if base and not (config.models_dir() / base.format(seed=seed)).is_dir():
        raise ConfigError(f"{model['name']}: base model {base.format(seed=seed)} not found under "
                          f"{config.models_dir()}; run its model first with --save-models")
    clf = StanceClassifier(
        model_path=config.models_dir() / base.format(seed=seed) if base else None,
        args=TrainingArguments.from_dict(knobs),
        feature_columns=tuple(features) if kind == "hybrid" else (),
        lexicon_name=cfg["lexicon"] if kind == "hybrid" else None,
        pooling=model.get("pooling", "mean"),
    )
    clf.fit(train, train["label"], X_dev=dev, y_dev=dev["label"])
    print(f"{model['name']} seed {seed}: history {clf.history_}", flush=True)
    if save_to is not None:
        print(f"saved to {clf.save(save_to)}", flush=True)
    return bm.result_rows(model["name"], seed, tests, clf.predict, bm.neural_info(clf))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--config", default=HERE / "state_benchmark.toml", type=Path)
    parser.add_argument("--models", help="comma-separated model names of the config")
    parser.add_argument("--seeds", help="comma-separated integers")
    parser.add_argument("--root", default=config.PROJECT_DIR / "reports" / "runs", type=Path)
    parser.add_argument("--force", action="store_true", help="rerun finished (model, seed)")
    parser.add_argument("--save-models", action="store_true", help="save neural models as <name>-seed<seed>")
    parser.add_argument("--reuse-models", action="store_true",
                        help="evaluate models_dir()/<name>-seed<seed> when it exists instead of training it")
    opts = parser.parse_args(sys.argv[1:] if argv is None else argv)
    cfg = load(opts.config, opts.models.split(",") if opts.models else None,
               [int(s) for s in opts.seeds.split(",")] if opts.seeds else None)
    out = opts.root / runs.safe_name(cfg["name"]) / settings_id(cfg)
    (out / "results").mkdir(parents=True, exist_ok=True)
    print(f"run folder: {out}", flush=True)
    specs = {s for m in cfg["run_models"] for s in (training.SPEC_JOIN.join(m.get("train", [])), m["select"]) if s}
    specs |= set(cfg["tests"].values())
    data, features = {}, []
    for spec in sorted(specs):
        table = training.load_dataset(spec)
        data[spec], features = training.with_features(table, cfg["lexicon"], target_set=cfg["target_set"],
                                                      language=cfg["language"], voice=True)
        print(f"{spec}: {len(table)} rows", flush=True)
    for model in cfg["run_models"]:
        for seed in cfg["run_seeds"]:
            done = out / "results" / f"{model['name']}-{model_id(model, cfg)}-seed{seed}.csv"
            if done.is_file() and not opts.force:
                print(f"{model['name']} seed {seed}: done before, skipped", flush=True)
                continue
            print(f"{model['name']} seed {seed}: running", flush=True)
            save_to = (config.models_dir() / f"{model['name']}-seed{seed}"
                       if opts.save_models and model["kind"] in ("transformer", "hybrid") else None)
            reuse = config.models_dir() / f"{model['name']}-seed{seed}" if opts.reuse_models else None
            result, predictions = run_one(model, seed, cfg, data, features, save_to, reuse)
            result = per_class_rows(result, predictions, data, cfg["tests"])
            for split, predicted in predictions.items():
                table = data[cfg["tests"][split]][["id", "label"]].assign(predicted=predicted)
                runs.write_table(table, out / "predictions" / f"{model['name']}-{model_id(model, cfg)}-seed{seed}-{split}.parquet")
            tableio.write_csv(result, done)
            print(result[["variant", "split", "n", "macro_f1", "dev_macro_f1"]].to_string(index=False), flush=True)
    current = [out / "results" / f"{m['name']}-{model_id(m, cfg)}-seed{seed}.csv" for m in cfg["models"]
               for seed in cfg["seeds"]]
    results = pd.concat([tableio.read_csv(p) for p in current if p.is_file()], ignore_index=True)
    tableio.write_csv(results, out / "results.csv")
    runs.write_text(markdown(results, [m["name"] for m in cfg["models"]], list(cfg["tests"])), out / "results.md")
    runs.write_json({"config": {k: v for k, v in cfg.items() if not k.startswith("run_")},
                     "command_line": sys.argv, "git": runs.git_state(), "versions": runs.package_versions(),
                     "inputs": {s: training.dataset_sha256(s) for s in sorted(specs)}}, out / "manifest.json")
    print((out / "results.md").read_text(encoding="utf-8"))
    return 0


def markdown(results: pd.DataFrame, order: list[str], splits: list[str]) -> str:
    """Macro-F1 per model and test split (mean ± sd over seeds), then per-class F1 on the state tests."""

    def cell(values: pd.Series) -> str:
        return "–" if values.empty else (f"{100 * values.mean():.1f}" + (
            f" ± {100 * values.std(ddof=1):.1f}" if len(values) > 1 else ""))

    lines = ["| model | seeds | " + " | ".join(f"macro-F1 {s}" for s in splits) + " |",
             "|---|---|" + "---|" * len(splits)]
    for name in [m for m in order if m in set(results["variant"])]:
        part = results[results["variant"] == name]
        seeds = ",".join(map(str, sorted(part["seed"].unique())))
        lines.append(f"| {name} | {seeds} | " + " | ".join(cell(part.loc[part["split"] == s, "macro_f1"])
                                                       for s in splits) + " |")
    lines += ["", "| model | split | F1 against | F1 neutral | F1 favor |", "|---|---|---|---|---|"]
    for name in [m for m in order if m in set(results["variant"])]:
        for split in [s for s in splits if s.startswith("state")]:
            part = results[(results["variant"] == name) & (results["split"] == split)]
            lines.append(f"| {name} | {split} | " + " | ".join(cell(part[f"f1_{lab}"]) for lab in STANCE_LABELS) + " |")
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    try:
        sys.exit(main())
    except FramingError as err:
        print(f"error: {err}", file=sys.stderr)
        sys.exit(2)
