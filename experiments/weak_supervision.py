"""Weak supervision, measured honestly: lexicon labels of one corpus, gold labels of another.

    python experiments/weak_supervision.py [--corpus allsides] [--per-label 2000] [--epochs 2]
        [--seed 13] [--out reports/runs/weak_supervision]

Builds weak labels from the AllSides articles (``framing.stance.training.weak_labels``: only mentions
the lexicon is sure of), fine-tunes the hybrid model on them, and evaluates it on NewsMTSC test-rw
and test-mt, whose labels were coded by people. The weak labels themselves are never used to
evaluate. Writes ``<out>/weak_labels.csv``, the model under ``models_dir()/allsides-weak-hybrid``
and ``<out>/results.json`` (test reports, label counts, hashes).
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from framing.infra.errors import FramingError
from framing.infra.tableio import write_csv
from framing.runs import config, pipeline
from framing.runs.folders import write_text
from framing.stance import training

ALLSIDES = {
    "path": "data/allsides_baly2020/articles.parquet",
    "columns": {"article_id": "ID", "outlet": "source", "text": "content_original", "published": "date"},
}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--per-label", type=int, default=2000)
    parser.add_argument("--epochs", type=int, default=2)
    parser.add_argument("--seed", type=int, default=13)
    parser.add_argument("--name", default="allsides-weak-hybrid")
    parser.add_argument("--out", type=Path, default=config.PROJECT_DIR / "reports/runs/weak_supervision")
    opts = parser.parse_args(argv)
    source = config.data_dir() / ALLSIDES["path"]
    jobs = pipeline.default_jobs()
    articles = pipeline.ingest([source], column_map=ALLSIDES["columns"], languages=["en"], n_jobs=jobs)
    sentences, mentions = pipeline.sentences_and_mentions(articles, n_jobs=jobs)
    weak = training.weak_labels(
        articles, sentences, mentions, seed=opts.seed, per_label=opts.per_label
    )
    counts = weak["label"].value_counts().sort_index().to_dict()
    print(f"weak labels: {len(weak)} {counts}", flush=True)
    labels_path = opts.out / "weak_labels.csv"
    write_csv(weak, labels_path)
    cfg = training.TrainConfig(
        name=opts.name,
        seed=opts.seed,
        train=str(labels_path),
        test=("newsmtsc:test-rw", "newsmtsc:test-mt"),
        training={"epochs": opts.epochs, "batch_size": 16, "max_length": 128,
                  "class_weights": "balanced", "progress_bar": True},
    )
    folder, record = training.train(cfg)
    result = {
        "weak_label_counts": counts,
        "label_source": record["label_source"],
        "corpus_sha256": training.dataset_sha256(str(source)),
        "model": str(folder),
        "train_seconds": record["train_seconds"],
        "test": {spec: {k: rep[k] for k in ("n", "macro_f1", "accuracy", "ece", "per_class")}
                 for spec, rep in record["test"].items()},
        "settings": cfg.to_dict(),
    }
    write_text(json.dumps(result, indent=2, sort_keys=True) + "\n", opts.out / "results.json")
    for spec, rep in record["test"].items():
        print(f"{spec}: macro-F1 {rep['macro_f1']:.3f}, accuracy {rep['accuracy']:.3f} "
              f"(trained on {len(weak)} weak labels, no gold label seen)")
    return 0


if __name__ == "__main__":
    try:
        sys.exit(main())
    except FramingError as err:
        print(f"error: {err}", file=sys.stderr)
        sys.exit(2)
