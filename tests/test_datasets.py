"""Labelled-data loaders: NewsMTSC on the real files, any CSV/JSONL on tiny files written here."""

from __future__ import annotations

import json

import pandas as pd
import pytest

from framing.datasets import (
    LABELLED_COLUMNS,
    NEWSMTSC_SPLITS,
    load_labelled,
    load_newsmtsc,
    newsmtsc_path,
)
from framing.errors import ConfigError, DataError

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
