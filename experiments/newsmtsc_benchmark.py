"""NewsMTSC benchmark driver: train on train, select on dev-rw, report test-rw and test-mt.

    python experiments/newsmtsc_benchmark.py [--config experiments/newsmtsc_benchmark.toml]
        [--variants lexicon,tfidf] [--seeds 13,14] [--epochs 2] [--force]

Writes reports/runs/<name>/<settings id>/: results/<variant>-seed<seed>.csv (one per finished
model, so an interrupted run keeps what it finished and a rerun skips it), results.csv (all of
them, tidy), results.md (beside the paper's numbers), predictions/, manifest.json. Runs with
other variants or seeds but the same settings share the folder; --epochs changes the settings id.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import newsmtsc_protocol as bm  # the study protocol, beside this driver

from framing.infra import tableio
from framing.infra.errors import FramingError
from framing.runs import config
from framing.runs import folders as runs
from framing.stance import datasets
from framing.stance.classifier import StanceClassifier
from framing.stance.features import lexicon_rule

HERE = Path(__file__).resolve().parent


def parse_args(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--config", default=HERE / "newsmtsc_benchmark.toml", type=Path)
    parser.add_argument("--variants", help=f"comma-separated, among {','.join(bm.VARIANTS)}")
    parser.add_argument("--seeds", help="comma-separated integers")
    parser.add_argument("--epochs", type=int, help="override training.epochs")
    parser.add_argument("--threads", type=int, help="override training.num_threads (torch)")
    parser.add_argument("--precision", choices=("fp32", "bf16"),
                        help="training precision (bf16: autocast forward, fused AdamW)")
    parser.add_argument("--root", default=config.PROJECT_DIR / "reports" / "runs", type=Path)
    parser.add_argument("--force", action="store_true", help="rerun finished (variant, seed)")
    parser.add_argument("--out", type=Path, help="also copy results.csv and results.md here")
    parser.add_argument(
        "--save-models",
        action="store_true",
        help="save each trained transformer/hybrid as models_dir()/newsmtsc-<variant>-seed<seed>",
    )
    return parser.parse_args(argv)


def run_one(variant, seed, cfg, data, features, feature_seconds, lexicon, save_to=None):
    """Fit one variant with one seed; returns (results table, predictions per test split)."""
    train, dev = data[bm.TRAIN_SPLIT], data[bm.SELECT_SPLIT]
    tests = {s: data[s] for s in bm.TEST_SPLITS}
    extra = feature_seconds if variant in bm.LEXICON_VARIANTS else None
    sha = lexicon.sha256 if variant in bm.LEXICON_VARIANTS else ""
    if variant == "lexicon":
        return bm.result_rows(
            variant, seed, tests, lexicon_rule, bm.lexicon_rule_info(dev), extra, sha
        )
    if variant in ("lexicon_lr", "tfidf"):
        model, info = bm.fit_select_linear(
            variant, train, dev, features, seed, cfg.linear, cfg.tfidf
        )
        return bm.result_rows(
            variant,
            seed,
            tests,
            lambda t: model.predict(bm.model_input(variant, t, features)),
            info,
            extra,
            sha,
        )
    clf = StanceClassifier(
        args=cfg.training_arguments(seed),
        feature_columns=tuple(features) if variant == "hybrid" else (),
        lexicon_name=lexicon.id if variant == "hybrid" else None,
        lexicon_sha256=lexicon.sha256 if variant == "hybrid" else None,
    )
    clf.fit(train, train["label"], X_dev=dev, y_dev=dev["label"])
    print(f"{variant} seed {seed}: history {clf.history_}", flush=True)
    if save_to is not None:
        print(f"{variant} seed {seed}: saved to {clf.save(save_to)}", flush=True)
    return bm.result_rows(variant, seed, tests, clf.predict, bm.neural_info(clf), extra, sha)


def main(argv: list[str] | None = None) -> int:
    opts = parse_args(sys.argv[1:] if argv is None else argv)
    cfg = bm.load_benchmark_config(
        opts.config,
        variants=opts.variants.split(",") if opts.variants else None,
        seeds=[int(s) for s in opts.seeds.split(",")] if opts.seeds else None,
        epochs=opts.epochs,
        threads=opts.threads,
        precision=opts.precision,
    )
    out = opts.root / runs.safe_name(cfg.name) / cfg.settings_id()
    (out / "results").mkdir(parents=True, exist_ok=True)
    print(f"run folder: {out}", flush=True)
    splits = (bm.TRAIN_SPLIT, bm.SELECT_SPLIT, *bm.TEST_SPLITS)
    data = {s: datasets.load_newsmtsc(s, data_dir=cfg.data_dir) for s in splits}
    features, feature_seconds, lexicon = [], {}, None
    if any(v in bm.LEXICON_VARIANTS for v in cfg.variants):
        data, features, feature_seconds, lexicon = bm.with_lexicon_features(data, cfg)
        print(f"lexicon features: {len(features)} columns; seconds per split {feature_seconds}")
    for variant in cfg.variants:
        for seed in cfg.seeds:
            done = out / "results" / f"{variant}-seed{seed}.csv"
            if done.is_file() and not opts.force:
                print(f"{variant} seed {seed}: done before, skipped ({done})", flush=True)
                continue
            print(f"{variant} seed {seed}: running", flush=True)
            save_to = None
            if opts.save_models and variant in bm.NEURAL_VARIANTS:
                save_to = config.models_dir() / f"newsmtsc-{variant}-seed{seed}"
            result, predictions = run_one(
                variant, seed, cfg, data, features, feature_seconds, lexicon, save_to
            )
            for split, predicted in predictions.items():
                table = data[split][["id", "label"]].assign(predicted=predicted)
                runs.write_table(
                    table, out / "predictions" / f"{variant}-seed{seed}-{split}.parquet"
                )
            tableio.write_csv(result, done)
            print(result.to_string(index=False), flush=True)
    results = bm.read_results(sorted((out / "results").glob("*.csv")))
    tableio.write_csv(results, out / "results.csv")
    summary = bm.summarise(results)
    runs.write_text(bm.markdown_table(summary, cfg.paper), out / "results.md")
    runs.write_json(
        {
            "config": cfg.to_dict(),
            "command_line": sys.argv,
            "git": runs.git_state(),
            "versions": runs.package_versions(),
            "seeds_run": sorted(results["seed"].unique().tolist()),
            "inputs": {
                s: runs.file_sha256(datasets.newsmtsc_path(s, data_dir=cfg.data_dir))
                for s in splits
            },
            "lexicon": None if lexicon is None else {"name": lexicon.id, "sha256": lexicon.sha256},
        },
        out / "manifest.json",
    )
    if opts.out:
        for name in ("results.csv", "results.md"):
            runs.write_text((out / name).read_text(encoding="utf-8"), opts.out / name)
    print((out / "results.md").read_text(encoding="utf-8"))
    return 0


if __name__ == "__main__":
    try:
        sys.exit(main())
    except FramingError as err:
        print(f"error: {err}", file=sys.stderr)
        sys.exit(2)
