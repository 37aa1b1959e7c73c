"""Labelled-data loaders: NewsMTSC on the real files, any CSV/JSONL on tiny files written here."""

from __future__ import annotations

import hashlib
import json

import pandas as pd
import pytest

from framing.infra.errors import ConfigError, DataError
from framing.stance import datasets as ds
from framing.stance.datasets import (
    LABELLED_COLUMNS,
    NEWSMTSC_SPLITS,
    load_labelled,
    load_newsmtsc,
    newsmtsc_path,
)

NEWSMTSC_COUNTS = {"train": 8739, "dev-rw": 343, "test-rw": 803, "dev-mt": 442, "test-mt": 1034}


@pytest.mark.parametrize("split", list(NEWSMTSC_SPLITS))
def test_newsmtsc_split_counts_and_spans(data_dir, split):
    table = load_newsmtsc(split, data_dir=data_dir)
    assert list(table.columns) == list(LABELLED_COLUMNS)
    assert len(table) == NEWSMTSC_COUNTS[split]
    assert set(table["label"]) == {"against", "neutral", "favor"}
    assert table["id"].is_unique
    covered = [
        s[a:b] == t
        for s, a, b, t in zip(
            table["sentence"], table["span_start"], table["span_end"], table["target"], strict=True
        )
    ]
    assert all(covered)


def test_newsmtsc_train_label_distribution(data_dir):
    # Counts from the dataset's provenance note: neg 3,316 / neu 3,028 / pos 2,395.
    counts = load_newsmtsc("train", data_dir=data_dir)["label"].value_counts().to_dict()
    assert counts == {"against": 3316, "neutral": 3028, "favor": 2395}


def _write_newsmtsc(root, lines):
    path = newsmtsc_path("dev-rw", data_dir=root)
    path.parent.mkdir(parents=True)
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def test_newsmtsc_polarity_maps_to_stance(tmp_path):
    rows = [
        {
            "mention": "Norland",
            "polarity": p,
            "from": 4,
            "to": 11,
            "sentence": "Why Norland waits.",
            "id": f"x{p}",
        }
        for p in (-1, 0, 1)
    ]
    _write_newsmtsc(tmp_path, [json.dumps(r) for r in rows])
    table = load_newsmtsc("dev-rw", data_dir=tmp_path)
    assert table["label"].tolist() == ["against", "neutral", "favor"]
    assert table["span_start"].tolist() == [4, 4, 4]
    assert table["target"].tolist() == ["Norland"] * 3


def test_newsmtsc_missing_file_names_it(tmp_path):
    with pytest.raises(DataError, match="newsmtsc-rw-hf/dev.jsonl"):
        load_newsmtsc("dev-rw", data_dir=tmp_path)


def test_newsmtsc_unknown_split():
    with pytest.raises(ConfigError, match="test-rw"):
        load_newsmtsc("validation")


@pytest.mark.parametrize(
    ("line", "message"),
    [
        (
            '{"mention": "Norland", "polarity": 2, "from": 4, "to": 11, "sentence": "Why Norland waits.", "id": "a"}',
            "polarity 2",
        ),
        (
            '{"mention": "Norland", "polarity": 0, "from": 0, "to": 7, "sentence": "Why Norland waits.", "id": "a"}',
            "not the mention",
        ),
        ('{"mention": "Norland"}', "missing fields"),
        ("{not json", "not valid JSON"),
    ],
)
def test_newsmtsc_bad_line_names_file_and_line(tmp_path, line, message):
    good = json.dumps(
        {"mention": "A", "polarity": 0, "from": 0, "to": 1, "sentence": "A b.", "id": "g"}
    )
    _write_newsmtsc(tmp_path, [good, line])
    with pytest.raises(DataError, match=rf"dev.jsonl, line 2: .*{message}"):
        load_newsmtsc("dev-rw", data_dir=tmp_path)


def test_load_labelled_csv_with_column_map(tmp_path):
    path = tmp_path / "coded.csv"
    pd.DataFrame(
        {
            "text": ["Norland praised Sudmark.", "Sudmark rejected the deal."],
            "actor": ["Sudmark", "Sudmark"],
            "stance": ["Favor ", "-1"],
            "start": [16, ""],
            "end": [23, ""],
        }
    ).to_csv(path, index=False)
    table = load_labelled(
        path,
        column_map={
            "sentence": "text",
            "target": "actor",
            "label": "stance",
            "span_start": "start",
            "span_end": "end",
        },
    )
    assert list(table.columns) == list(LABELLED_COLUMNS)
    assert table["label"].tolist() == ["favor", "against"]
    assert table.loc[0, "span_start"] == 16
    assert pd.isna(table.loc[1, "span_start"])
    assert table["id"].tolist() == ["coded.csv#row=1", "coded.csv#row=2"]


def test_load_labelled_jsonl_keeps_ids(tmp_path):
    path = tmp_path / "coded.jsonl"
    rows = [{"sentence": "Norland waits.", "target": "Norland", "label": "neutral", "id": "n1"}]
    path.write_text("\n".join(json.dumps(r) for r in rows) + "\n\n", encoding="utf-8")
    table = load_labelled(path)
    assert table["id"].tolist() == ["n1"]
    assert table["span_start"].isna().all()


def test_load_labelled_unknown_label_names_row_and_line(tmp_path):
    path = tmp_path / "coded.csv"
    path.write_text("sentence,target,label\nA b.,A,favor\nC d.,C,positive\n", encoding="utf-8")
    with pytest.raises(DataError, match=r"row 2 \(line 3\): unknown label 'positive'.*against"):
        load_labelled(path)


def test_load_labelled_missing_columns(tmp_path):
    path = tmp_path / "coded.csv"
    path.write_text("text,target,label\nA b.,A,favor\n", encoding="utf-8")
    with pytest.raises(DataError, match=r"missing columns \['sentence'\]"):
        load_labelled(path)


def test_load_labelled_span_outside_sentence(tmp_path):
    path = tmp_path / "coded.jsonl"
    path.write_text(
        json.dumps(
            {"sentence": "Short.", "target": "S", "label": "favor", "span_start": 2, "span_end": 40}
        )
        + "\n",
        encoding="utf-8",
    )
    with pytest.raises(DataError, match="line 1: span"):
        load_labelled(path)


def test_load_labelled_rejects_other_file_types(tmp_path):
    path = tmp_path / "coded.xlsx"
    path.write_bytes(b"")
    with pytest.raises(DataError, match=r"\.csv, \.jsonl"):
        load_labelled(path)
    with pytest.raises(DataError, match="not found"):
        load_labelled(tmp_path / "absent.csv")


# --- the coded state set (state-stance-v1) ------------------------------------------------------


def test_state_set_has_no_article_in_two_splits_and_no_text():
    items, meta = ds.read_state_items()
    assert meta["codebook"]["id"] == "codebook-state-v1"
    splits = items.groupby(["corpus", "article_id"])["split"].nunique()
    assert (splits == 1).all(), splits[splits > 1].head()
    # Articles coded at article level are never trained on.
    held = set(items.loc[items["unit"] == "article", "article_id"])
    assert not (items["article_id"].isin(held) & (items["split"] == "train")).any()
    assert "sentence" not in items.columns and "text" not in items.columns
    assert items["text_sha256"].str.fullmatch(r"[0-9a-f]{64}").all()


def test_state_set_sizes_meet_the_design():
    items, _ = ds.read_state_items()
    mention = items[items["unit"] == "mention"]
    en, nl = mention[mention["language"] == "en"], mention[mention["language"] == "nl"]
    assert len(en) >= 1500 and len(nl) >= 400
    assert (en["target"].value_counts()[["CN", "EU"]] >= 400).all()
    assert set(en["leaning"]) == {"left", "center", "right"}
    assert (en["split"] == "test").sum() >= 500 and (nl["split"] == "test").sum() >= 150
    assert (items["unit"] == "article").sum() >= 200
    assert set(items["label"]) == {"against", "neutral", "favor"}
    assert set(mention["holder"]) <= {"author", "target", "other", "unclear"}
    # Dev and test items are coded twice; extra training items once (label_resolution "single").
    assert (mention.loc[mention["split"] != "train", "n_coders"] == 2).all()
    single = mention["label_resolution"] == "single"
    assert (mention.loc[single, "split"] == "train").all() and (mention.loc[single, "n_coders"] == 1).all()


def test_state_pairs_add_on_is_train_only_in_new_articles_each_sentence_toward_several_targets():
    pairs, meta = ds.read_state_items("state-pairs-v1")
    base, _ = ds.read_state_items()
    assert meta["codebook"]["id"] == "codebook-state-v1" and meta["extends"] == "state-stance-v1"
    assert (pairs["split"] == "train").all() and (pairs["unit"] == "mention").all()
    # No article of the add-on holds an item of the base set: no article in two splits of the two.
    assert not set(pairs["article_id"]) & set(base["article_id"])
    assert not set(pairs["item_id"]) & set(base["item_id"])
    per_sentence = pairs.groupby(["article_id", "sent_id"])["target"].nunique()
    assert len(per_sentence) >= 900 and (per_sentence >= 2).all()
    assert set(pairs["label"]) == {"against", "neutral", "favor"}
    assert set(pairs["holder"]) <= {"author", "target", "other", "unclear"}
    assert (pairs["label_resolution"] == "single").all() and (pairs["n_coders"] == 1).all()
    assert "sentence" not in pairs.columns and pairs["text_sha256"].str.fullmatch(r"[0-9a-f]{64}").all()


def test_state_spec_names_another_coded_set(tmp_path):
    from framing.stance import training

    assert training._state_spec("state:train", "x") == ("train", None, None)
    assert training._state_spec("state:test-nl", "x") == ("test", "nl", None)
    assert training._state_spec("state:train@state-pairs-v1", "x") == ("train", None, "state-pairs-v1")
    assert training._state_spec("state:train-en@/some/folder", "x") == ("train", "en", "/some/folder")
    for bad in ("state:train@", "state:valid@state-pairs-v1"):
        with pytest.raises(ConfigError, match="not a state split"):
            training._state_spec(bad, "x")
    # The content hash follows the named set's items.
    assert training.dataset_sha256("state:train@state-pairs-v1") != training.dataset_sha256("state:train")
    folder, data = _tiny_state_set(tmp_path, "China objected to the plan.")
    assert training.dataset_sha256(f"state:test@{folder}") == hashlib.sha256(
        (folder / "items.csv").read_bytes()).hexdigest()


def _tiny_state_set(tmp_path, text_of_first: str):
    from framing.corpus import loading as corpus
    from framing.text import preprocess

    data = tmp_path / "shared"
    (data / "data" / "tiny").mkdir(parents=True)
    records = [{"id": "n1", "title": "", "text": "The EU met in June. China objected to the plan."},
               {"id": "n2", "title": "Trade", "text": "The US raised tariffs."}]
    pd.DataFrame(records).to_json(data / "data" / "tiny" / "a.jsonl", orient="records", lines=True)
    articles = corpus.load(data / "data" / "tiny" / "a.jsonl", column_map={"article_id": "id"})
    sentences = preprocess.split_articles(articles).set_index(["article_id", "sent_id"])
    folder = tmp_path / "state-tiny"
    folder.mkdir()
    (folder / "meta.toml").write_text(
        '[codebook]\nid = "codebook-state-v1"\n[corpora.tiny]\npath = "data/tiny/a.jsonl"\n'
        'columns = { article_id = "id" }\n', encoding="utf-8")
    rows = []
    for aid, sid, target, mention, label, split in (("n1", 2, "CN", "China", "against", "test"),
                                                    ("n2", 1, "US", "US", "neutral", "train")):
        sentence = sentences.loc[(aid, sid)]
        text = text_of_first if aid == "n1" else sentence["text"]
        start = sentence["text"].index(mention)
        rows.append({"item_id": f"{aid}:{sid}:{target}", "unit": "mention", "corpus": "tiny", "language": "en",
                     "article_id": aid, "sent_id": sid, "section": "body", "start": sentence["start"],
                     "end": sentence["end"], "text_sha256": hashlib.sha256(text.encode()).hexdigest(),
                     "target": target, "mention": mention, "span_start": start, "span_end": start + len(mention),
                     "outlet": "x", "leaning": "", "split": split, "label": label, "label_resolution": "agreed",
                     "holder": "author", "holder_resolution": "agreed", "n_coders": 2})
    pd.DataFrame(rows).to_csv(folder / "items.csv", index=False)
    return folder, data


def test_load_state_reads_text_back_from_the_corpus(tmp_path):
    folder, data = _tiny_state_set(tmp_path, "China objected to the plan.")
    table = ds.load_state(folder=folder, data_dir=data)
    assert table["sentence"].tolist() == ["China objected to the plan.", "The US raised tariffs."]
    assert table["target"].tolist() == ["China", "US"]
    row = table.iloc[0]
    assert row["sentence"][row["span_start"]:row["span_end"]] == "China"
    assert ds.load_state("train", folder=folder, data_dir=data)["id"].tolist() == ["n2:1:US"]


def test_load_state_refuses_changed_text(tmp_path):
    folder, data = _tiny_state_set(tmp_path, "China welcomed the plan.")
    with pytest.raises(DataError, match="1 of 2 coded item"):
        ds.load_state(folder=folder, data_dir=data)


def test_load_state_bad_split_and_language():
    with pytest.raises(ConfigError, match="unknown state split"):
        ds.load_state("validation")
    with pytest.raises(ConfigError, match="unknown language"):
        ds.load_state("test", language="fr")


@pytest.mark.slow
def test_load_state_on_the_shared_corpora(data_dir):
    table = ds.load_state("test", data_dir=data_dir)
    assert (table["language"] == "en").sum() >= 500 and (table["language"] == "nl").sum() >= 150
    spans = [s[a:b] for s, a, b in zip(table["sentence"], table["span_start"], table["span_end"], strict=True)]
    assert spans == table["target"].tolist()
    articles = ds.load_state("test", unit="article", data_dir=data_dir)
    assert len(articles) >= 150 and articles["sentence"].str.len().min() > 100
    # The add-on: every sentence read back and checked by sha256, each toward two or more targets.
    pairs = ds.load_state("train", folder="state-pairs-v1", data_dir=data_dir)
    assert len(pairs) == 2003
    assert (pairs.groupby(["article_id", "sent_id"])["target_id"].nunique() >= 2).all()
    spans = [s[a:b] for s, a, b in zip(pairs["sentence"], pairs["span_start"], pairs["span_end"], strict=True)]
    assert spans == pairs["target"].tolist()


def test_park_rows_name_a_state_and_map_classes(data_dir):
    table = ds.load_park("test", data_dir=data_dir)
    assert len(table) > 100 and set(table["target_id"]) <= {"US", "CN", "EU"}
    against = table[table["park_class"].isin([3, 4])]
    assert (against["label"].isin(["against", "neutral"])).all() and (against["label"] == "against").any()
    assert (table.loc[table["park_class"] == 0, "label"] == "neutral").all()
    spans = [s[a:b] for s, a, b in zip(table["sentence"], table["span_start"], table["span_end"], strict=True)]
    assert spans == table["target"].tolist()
