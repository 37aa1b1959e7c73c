"""Article level: which aggregation rule turns sentence predictions into the article's stance?

    python experiments/state_stance/aggregation.py [--model state-hybrid] [--out reports/...]

Scores every article coded at article level in the state set (dev and test splits, English and
Dutch) with the model once, then aggregates the same mention predictions under every rule of
framing.stance.scoring.AGGREGATIONS (and scores the lexicon rule for comparison), and compares each with
the article codes: macro-F1 of the labels and Spearman of the scores. The rule with the best dev
macro-F1 (ties: Spearman) is the one to make the default; the test rows report it.
Writes results.csv, results.md and predictions.parquet into the output folder.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import pandas as pd

from framing.infra import tableio
from framing.infra.errors import FramingError
from framing.runs import config
from framing.runs import folders as runs
from framing.stance import datasets, model_scoring, scoring
from framing.stance.evaluation import score_agreement
from framing.text import preprocess, targets


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", default="state-hybrid", help="saved model name or folder")
    parser.add_argument("--out", type=Path, default=config.PROJECT_DIR / "reports" / "runs" / "state_aggregation")
    parser.add_argument("--precision", default="fp32")
    opts = parser.parse_args(sys.argv[1:] if argv is None else argv)
    items, _ = datasets.read_state_items()
    coded = items.loc[items["unit"] == "article", ["article_id", "target", "label", "language", "split"]]
    articles = datasets.state_articles()
    sentences = preprocess.split_articles(articles)
    mentions = targets.find_mentions(sentences, articles, targets.load_targets("targets-v1"))
    model = model_scoring.load_model(opts.model)
    _, predictions = model_scoring.score_model(articles, sentences, mentions, model,
                                               precision=opts.precision, progress=True)
    lexicon, _ = scoring.score_lexicon(articles, sentences, mentions, article_frames=False)
    rows = []
    candidates = {f"{opts.model} {rule}": model_scoring.rescore(predictions, aggregation=rule)
                  for rule in scoring.AGGREGATIONS}
    candidates["lexicon rule"] = lexicon
    for name, scores in candidates.items():
        for split, part in coded.groupby("split", sort=True):
            rows.append(score_agreement(scores, part, by=["language"]).assign(rule=name, split=split))
    results = pd.concat(rows, ignore_index=True)[["rule", "split", "language", "n", "macro_f1", "accuracy", "spearman"]]
    dev = results[(results["split"] == "dev") & (results["language"] == "(all)")]
    best = dev.sort_values(["macro_f1", "spearman"], ascending=False, kind="stable").iloc[0]["rule"]
    opts.out.mkdir(parents=True, exist_ok=True)
    tableio.write_csv(results, opts.out / "results.csv")
    runs.write_table(predictions, opts.out / "predictions.parquet")
    lines = ["| rule | split | language | n | macro-F1 | Spearman |", "|---|---|---|---|---|---|"]
    for r in results.sort_values(["split", "language", "rule"], kind="stable").itertuples():
        lines.append(f"| {r.rule} | {r.split} | {r.language} | {r.n} | {r.macro_f1:.3f} | {r.spearman:.3f} |")
    lines.append(f"\nbest on dev (macro-F1, then Spearman): {best}")
    runs.write_text("\n".join(lines) + "\n", opts.out / "results.md")
    print("\n".join(lines))
    return 0


if __name__ == "__main__":
    try:
        sys.exit(main())
    except FramingError as err:
        print(f"error: {err}", file=sys.stderr)
        sys.exit(2)
