"""Build the coded state-stance set (framing/data/state-stance-v1) from a coding folder.

The coding folder holds what `framing annotate` wrote and the coders filled in (it has article
text, so it stays outside the project); this driver keeps only labels keyed to sentences:

    WORK/<lang>/sample/sample.csv            framing annotate sample ... --codebook codebook-state-v1
    WORK/<lang>/article-sample/sample.csv    framing annotate sample ... --unit article
    WORK/<lang>/sentences.parquet            framing mentions ... --sentences (sentence offsets)
    WORK/<lang>/import-label/                framing annotate import ... --adjudication ...
    WORK/<lang>/import-holder/               framing annotate import ... --field holder --adjudication ...
    WORK/<lang>/article-import/              framing annotate import (article sample)
    WORK/<lang>/train-sample/, train-import-label/, train-import-holder/   (optional) training
                                             items coded once, from articles outside the parts above

Usage: python experiments/state_stance/build_set.py WORK -o framing/data/state-stance-v1
"""

from __future__ import annotations

import argparse
from pathlib import Path

import pandas as pd

from framing.annotate.importing import IMPORT_FILES
from framing.annotate.read import read_sample
from framing.annotate.split import keyed_items, split_by_article
from framing.infra import tableio

#: Corpus name per language folder of the coding folder (as in meta.toml).
CORPORA = {"en": "allsides", "nl": "dpgmedia"}
SPLIT_SEED = 2026


def _sample_with_offsets(path: Path, sentences: pd.DataFrame, leaning: pd.Series) -> pd.DataFrame:
    sample = read_sample(path)
    sample["leaning"] = sample["article_id"].astype(str).map(leaning).astype(object).fillna("").to_numpy()
    offsets = sentences.assign(article_id=sentences["article_id"].astype(str)).set_index(["article_id", "sent_id"])
    key = pd.MultiIndex.from_arrays([sample["article_id"].astype(str), sample["sent_id"].astype(int)])
    found = offsets.reindex(key)
    sample["start"] = found["start"].astype("Int64").to_numpy()
    sample["end"] = found["end"].astype("Int64").to_numpy()
    return sample


def _adjudicated(folder: Path) -> pd.DataFrame:
    return tableio.read_csv(folder / IMPORT_FILES["adjudicated"], dtype=str, keep_default_na=False).assign(
        n_codes=lambda t: pd.to_numeric(t["n_codes"]))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("work", type=Path)
    parser.add_argument("-o", "--out", type=Path, required=True)
    args = parser.parse_args()
    tables, codes = [], []
    for lang, corpus in CORPORA.items():
        base = args.work / lang
        sentences = pd.read_parquet(base / "sentences.parquet")
        articles = pd.read_parquet(base / "articles.parquet")
        leaning = (articles.set_index(articles["article_id"].astype(str))["leaning"].astype(str)
                   if "leaning" in articles.columns else pd.Series(dtype=object))
        mention = _sample_with_offsets(base / "sample" / "sample.csv", sentences, leaning)
        article = _sample_with_offsets(base / "article-sample" / "sample.csv", sentences, leaning)
        article["start"] = article["end"] = pd.NA
        splits = split_by_article([*mention["article_id"], *article["article_id"]], seed=SPLIT_SEED,
                                  holdout=article["article_id"])
        extra = {"leaning": mention["leaning"]}
        tables.append(keyed_items(mention, _adjudicated(base / "import-label"), splits=splits,
                                     corpus=corpus, holders=_adjudicated(base / "import-holder"),
                                     extra_columns=extra))
        tables.append(keyed_items(article, _adjudicated(base / "article-import"), splits=splits,
                                     corpus=corpus,
                                     extra_columns={"leaning": article["leaning"]}))
        extra_train = base / "train-sample" / "sample.csv"
        folders = [("mention", "label", "import-label"), ("mention", "holder", "import-holder"),
                   ("article", "label", "article-import")]
        if extra_train.is_file():
            # Training items coded once, from articles outside every other part: all go to train.
            more = _sample_with_offsets(extra_train, sentences, leaning)
            coded = set(splits)
            if coded & set(more["article_id"]):
                raise SystemExit(f"{extra_train}: articles also in the double-coded parts; draw with --exclude-articles")
            tables.append(keyed_items(more, _adjudicated(base / "train-import-label"),
                                         splits=dict.fromkeys(more["article_id"], "train"), corpus=corpus,
                                         holders=_adjudicated(base / "train-import-holder"),
                                         extra_columns={"leaning": more["leaning"]}))
            folders += [("mention", "label", "train-import-label"), ("mention", "holder", "train-import-holder")]
        for unit, field, folder in folders:
            raw = tableio.read_csv(base / folder / IMPORT_FILES["codes"], dtype=str, keep_default_na=False)
            decided = _adjudicated(base / folder)
            decided = decided.loc[decided["resolution"] == "adjudicated", ["id", "label"]].assign(coder="adjudicator")
            both = pd.concat([raw[["id", "coder", "label"]], decided[["id", "coder", "label"]]])
            codes.append(both.rename(columns={"label": "code"}).assign(field=field, unit=unit, language=lang))
    items = pd.concat(tables, ignore_index=True).sort_values(["unit", "language", "item_id"], kind="stable")
    args.out.mkdir(parents=True, exist_ok=True)
    tableio.write_csv(items, args.out / "items.csv", lineterminator="\n")
    all_codes = pd.concat(codes, ignore_index=True).sort_values(["unit", "field", "language", "id", "coder"],
                                                                kind="stable")
    tableio.write_csv(all_codes, args.out / "codes.csv", lineterminator="\n")
    print(items.groupby(["unit", "language", "split"]).size().to_string())
    print(f"wrote {args.out / 'items.csv'} ({len(items)} items) and {args.out / 'codes.csv'} ({len(all_codes)} codes)")


if __name__ == "__main__":
    main()
