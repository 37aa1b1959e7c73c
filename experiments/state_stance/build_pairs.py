"""Build a coded add-on set of training items (framing/data/state-pairs-v1) from a coding folder.

The add-on holds sentences that name two or more targets, each sentence coded toward every target
it names (`framing annotate sample --min-targets 2`), so a model sees the same words labelled
against one state and neutral toward another. Its articles hold no item of state-stance-v1, so all
its items are training items and no article is in two splits of the two sets together.

    WORK/sample/sample.csv      framing annotate sample RUN --min-targets 2 --exclude-articles
                                framing/data/state-stance-v1/items.csv ... --codebook codebook-state-v1
    WORK/import-label/          framing annotate import WORK/sample/sample.csv CODED.csv --coders passC
    WORK/import-holder/         the same with --field holder
    RUN                         the run folder the sample was drawn from (sentence offsets, leaning)

Usage: python experiments/state_stance/build_pairs.py WORK --run RUN -o framing/data/state-pairs-v1
(meta.toml and DATA-CARD.md of the output folder are written by hand; this writes items.csv and
codes.csv.)
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parent))

from build_set import _adjudicated, _sample_with_offsets  # noqa: E402

from framing.annotate.importing import IMPORT_FILES  # noqa: E402
from framing.annotate.split import keyed_items  # noqa: E402
from framing.infra import tableio  # noqa: E402
from framing.stance.datasets import read_state_items  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("work", type=Path)
    parser.add_argument("--run", type=Path, required=True, help="run folder the sample was drawn from")
    parser.add_argument("--corpus", default="allsides", help="corpus name, as in meta.toml")
    parser.add_argument("--language", default="en")
    parser.add_argument("-o", "--out", type=Path, required=True)
    args = parser.parse_args()
    sentences = pd.read_parquet(args.run / "mentions.sentences.parquet", columns=["article_id", "sent_id", "start", "end"])
    articles = pd.read_parquet(args.run / "articles.parquet", columns=["article_id", "leaning"])
    leaning = articles.set_index(articles["article_id"].astype(str))["leaning"].astype(str)
    sample = _sample_with_offsets(args.work / "sample" / "sample.csv", sentences, leaning)
    base_items, _ = read_state_items()
    shared = set(sample["article_id"].astype(str)) & set(base_items["article_id"])
    if shared:
        raise SystemExit(f"{len(shared)} article(s) also hold items of state-stance-v1; draw with --exclude-articles")
    items = keyed_items(sample, _adjudicated(args.work / "import-label"),
                        splits=dict.fromkeys(sample["article_id"].astype(str), "train"), corpus=args.corpus,
                        holders=_adjudicated(args.work / "import-holder"),
                        extra_columns={"leaning": sample["leaning"]})
    items = items.sort_values(["unit", "language", "item_id"], kind="stable")
    codes = []
    for field, folder in (("label", "import-label"), ("holder", "import-holder")):
        raw = tableio.read_csv(args.work / folder / IMPORT_FILES["codes"], dtype=str, keep_default_na=False)
        codes.append(raw[["id", "coder", "label"]].rename(columns={"label": "code"})
                     .assign(field=field, unit="mention", language=args.language))
    all_codes = pd.concat(codes, ignore_index=True).sort_values(["unit", "field", "language", "id", "coder"],
                                                                kind="stable")
    args.out.mkdir(parents=True, exist_ok=True)
    tableio.write_csv(items, args.out / "items.csv", lineterminator="\n")
    tableio.write_csv(all_codes, args.out / "codes.csv", lineterminator="\n")
    print(pd.crosstab(items["target"], items["label"]).to_string())
    print(f"wrote {args.out / 'items.csv'} ({len(items)} items) and {args.out / 'codes.csv'} ({len(all_codes)} codes)")


if __name__ == "__main__":
    main()
