"""Manual coding: items, stratified sampling, export, reading codes back, agreement, adjudication."""

from __future__ import annotations

import csv
import io
import json
import math
import xml.etree.ElementTree as ET
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from click.testing import CliRunner

from framing.annotate.agreement import adjudicate, agreement, codes_sha256, disagreements
from framing.annotate.cli import annotate
from framing.annotate.codebook import load_codebook
from framing.annotate.export import write_sample
from framing.annotate.importing import import_codes, write_import
from framing.annotate.items import ALL, ARTICLE_SENT_ID, article_items, mark_spans, mention_items
from framing.annotate.read import read_codes, read_sample, read_sample_ids
from framing.annotate.sample import SAMPLE_COLUMNS, sample_items
from framing.annotate.split import split_by_article
from framing.infra.cli_errors import EXIT_USAGE
from framing.infra.errors import ConfigError, DataError
from framing.stance.datasets import load_labelled

# Tiny invented corpus: (article_id, outlet, language, title, body sentences).
ARTICLES = [
    ("a1", "Harbour Ledger", "en", "Washington and Beijing talk trade",
     ["Officials from Washington met in Geneva.", "Beijing called the talks useful.",
      "The EU watched closely."]),
    ("a2", "Harbour Ledger", "en", "",
     ["Beijing criticised the new duties.", "Washington said the duties would stay."]),
    ("a3", "Polder Post", "nl", "Brussel en Beijing",
     ["Brussel wil praten met Beijing.", "De VS kijken toe."]),
    ("a4", "Polder Post", "nl", "",
     ["Beijing en Brussel tekenen een akkoord.", "Brussel noemt het een doorbraak."]),
    # A wire copy of a2: flagged as a near duplicate, so never sampled.
    ("a5", "Harbour Ledger", "en", "",
     ["Beijing criticised the new duties.", "Washington said the duties would stay."]),
]
ALIASES = {"Washington": "US", "De VS": "US", "Beijing": "CN", "EU": "EU", "Brussel": "EU"}


def _tables(articles=ARTICLES):
    """Article, sentence and mention tables in the shapes of ``framing.infra.schema``."""
    art_rows, sent_rows, ment_rows = [], [], []
    for aid, outlet, lang, title, body in articles:
        text = " ".join(body)
        art_rows.append({"article_id": aid, "outlet": outlet, "published": "2024-05-01",
                         "language": lang, "language_score": 1.0, "title": title, "text": text,
                         "source": f"test#{aid}", "status": "ok", "reason": "", "duplicate_of": None,
                         "near_duplicate_of": "a2" if aid == "a5" else None})
        sections = ([("title", 0, title, 0)] if title else [])
        pos = 0
        for k, sent in enumerate(body, start=1):
            sections.append(("body", k, sent, pos))
            pos += len(sent) + 1
        for section, sid, sent, start in sections:
            sent_rows.append({"article_id": aid, "sent_id": sid, "section": section, "start": start,
                              "end": start + len(sent), "text": sent})
            hits: dict[str, list] = {}
            for alias, target in ALIASES.items():
                at = sent.find(alias)
                if at >= 0:
                    hits.setdefault(target, []).append(([start + at, start + at + len(alias)], alias))
            for target, found in sorted(hits.items()):
                ment_rows.append({"article_id": aid, "sent_id": sid, "section": section,
                                  "target": target, "n": len(found), "spans": [f[0] for f in found],
                                  "aliases": [f[1] for f in found], "sentence": sent})
    return pd.DataFrame(art_rows), pd.DataFrame(sent_rows), pd.DataFrame(ment_rows)


@pytest.fixture()
def items():
    return mention_items(*_tables())


@pytest.fixture(scope="module")
def codebook():
    return load_codebook()


def _predictions(items, rows):
    """A prediction table in the shape of model_scoring's: one row per item id given."""
    out = []
    for rid, (pa, pn, pf, lex) in rows.items():
        aid, sid, tgt = rid.split(":")
        probs = {"against": pa, "neutral": pn, "favor": pf}
        out.append({"article_id": aid, "sent_id": int(sid), "target": tgt, "p_against": pa,
                    "p_neutral": pn, "p_favor": pf, "predicted": max(probs, key=probs.get),
                    "lexicon_signed": lex})
    return pd.DataFrame(out)


def _fill(sample_csv: Path, out: Path, labels: dict[str, str], *, drop=(), delimiter=",") -> Path:
    """Copy a sample CSV with the label column filled in (as a coder would), keeping comments."""
    rows = list(csv.reader(io.StringIO(sample_csv.read_text(encoding="utf-8"))))
    head = next(i for i, r in enumerate(rows) if r and r[0] == "id")
    col = rows[head].index("label")
    kept = rows[: head + 1]
    for row in rows[head + 1:]:
        if row[0] in drop:
            continue
        row[col] = labels.get(row[0], "")
        kept.append(row)
    buf = io.StringIO()
    csv.writer(buf, delimiter=delimiter, lineterminator="\n").writerows(kept)
    out.write_text(buf.getvalue(), encoding="utf-8")
    return out


# --------------------------------------------------------------------------------------------
# Codebook


def test_default_codebook(codebook):
    assert codebook.id == "codebook-stance-v1"
    assert codebook.labels == ("against", "neutral", "favor")
    assert all(len(codebook.definitions[lab].split()) > 30 for lab in codebook.labels)
    assert "[[" in codebook.coding_unit and codebook.ordered
    assert len(codebook.sha256) == 64


@pytest.mark.parametrize(
    "body, message",
    [
        ('name = "x"\nversion = 1\ncoding_unit = "u"\n[[labels]]\nvalue = "a"\ndefinition = "d"\n', "two or more"),
        ('name = "x"\nversion = 1\ncoding_unit = "u"\n[[labels]]\nvalue = "a"\ndefinition = "d"\n'
         '[[labels]]\nvalue = "a"\ndefinition = "e"\n', "repeated"),
        ('name = "x"\nversion = 1\ncoding_unit = "u"\n[[labels]]\nvalue = "Yes"\ndefinition = "d"\n'
         '[[labels]]\nvalue = "no"\ndefinition = "e"\n', "lower-case"),
        ('name = "x"\nversion = 0\ncoding_unit = "u"\n', "version"),
        ('name = "x"\nversion = 1\ncoding_unit = "u"\ncolour = 1\n[[labels]]\nvalue = "a"\n'
         'definition = "d"\n[[labels]]\nvalue = "b"\ndefinition = "e"\n', "unknown keys"),
        ("name = ", "TOML"),
    ],
)
def test_bad_codebook_names_file_and_key(tmp_path, body, message):
    path = tmp_path / "cb.toml"
    path.write_text(body, encoding="utf-8")
    with pytest.raises(ConfigError, match=message) as err:
        load_codebook(path)
    assert "cb.toml" in str(err.value)


def test_user_codebook_with_extra_label(tmp_path):
    path = tmp_path / "cb.toml"
    path.write_text('name = "mine"\nversion = 2\ncoding_unit = "one sentence"\n'
                    '[[labels]]\nvalue = "favor"\ndefinition = "good"\n'
                    '[[labels]]\nvalue = "off_target"\ndefinition = "not the actor"\n', encoding="utf-8")
    cb = load_codebook(path)
    assert cb.id == "mine-v2" and cb.labels == ("favor", "off_target") and not cb.ordered


# --------------------------------------------------------------------------------------------
# Items


def test_mark_spans():
    assert mark_spans("Beijing and Brussel", [[12, 19], [0, 7]]) == "[[Beijing]] and [[Brussel]]"
    assert mark_spans("abc", [[0, 2], [1, 3], [5, 9]]) == "[[ab]]c"  # overlap and outside skipped


def test_mention_items_ids_spans_context(items):
    by_id = items.set_index("id")
    row = by_id.loc["a1:2:CN"]
    assert row["sentence"] == "Beijing called the talks useful."
    assert (row["span_start"], row["span_end"]) == (0, 7)  # section offset minus sentence start
    assert row["sentence_marked"] == "[[Beijing]] called the talks useful."
    assert row["context_before"] == "Officials from Washington met in Geneva."
    assert row["context_after"] == "The EU watched closely."
    # The title is the sentence before the first body sentence; no sentence before the title.
    assert by_id.loc["a1:1:US", "context_before"] == "Washington and Beijing talk trade"
    assert by_id.loc["a1:0:US", "context_before"] == ""
    assert by_id.loc["a2:2:US", "context_after"] == ""
    assert by_id.loc["a3:1:EU", "outlet"] == "Polder Post" and by_id.loc["a3:1:EU", "language"] == "nl"
    assert by_id.loc["a1:1:US", "mention"] == "Washington"


def test_mention_items_drop_wire_copies():
    arts, sents, ments = _tables()
    kept = mention_items(arts, sents, ments)
    assert not kept["article_id"].eq("a5").any()
    everything = mention_items(arts, sents, ments, drop_duplicates=False)
    assert everything["article_id"].eq("a5").sum() == 2
    assert len(everything) == len(ments)


def test_mention_items_repeated_mention_is_an_error():
    arts, sents, ments = _tables()
    with pytest.raises(DataError, match="repeats"):
        mention_items(arts, sents, pd.concat([ments, ments.iloc[:1]], ignore_index=True))


# --------------------------------------------------------------------------------------------
# Sampling


def test_random_sample_is_seeded_and_stratified(items):
    one = sample_items(items, 6, seed=3)
    again = sample_items(items, 6, seed=3)
    other = sample_items(items, 6, seed=4)
    assert one.items["id"].tolist() == again.items["id"].tolist()
    assert set(one.items["id"]) != set(other.items["id"]) or one.items["id"].tolist() != other.items["id"].tolist()
    # Equal allocation: 6 strata with items (2 outlets x their languages x 3 targets) get one each.
    strata = one.strata.set_index(["outlet", "language", "target"])
    assert strata["drawn"].sum() == 6 and (strata["drawn"] == 1).all()
    assert one.items["label"].eq("").all() and one.items["note"].eq("").all()
    assert list(one.items.columns) == list(SAMPLE_COLUMNS)


def test_random_key_does_not_depend_on_other_items(items):
    # Drawing one item per stratum from a corpus with an extra article keeps the earlier choices
    # wherever the extra article adds no item to that stratum.
    extra = [("a9", "Harbour Ledger", "en", "", ["Washington spoke."])]
    bigger = mention_items(*_tables(ARTICLES + extra))
    small = sample_items(items, 6, seed=11).items.set_index("stratum")["id"]
    large = sample_items(bigger, 6, seed=11).items.set_index("stratum")["id"]
    for stratum in small.index:
        if stratum != "Harbour Ledger | en | US":
            assert small[stratum] == large[stratum]


def test_equal_allocation_redistributes_small_strata(items):
    sample = sample_items(items, 9, seed=1, strata=["language"])
    counts = sample.items["language"].value_counts()
    sizes = items["language"].value_counts()
    assert counts.sum() == 9 and counts.min() >= min(4, sizes.min())


def test_proportional_allocation(items):
    sample = sample_items(items, 4, seed=1, strata=["target"], allocation="proportional")
    sizes = items["target"].value_counts()
    drawn = sample.items["target"].value_counts().reindex(sizes.index, fill_value=0)
    expected = 4 * sizes / sizes.sum()
    assert (drawn - expected).abs().max() < 1


def test_exclude_and_too_large_n(items):
    first = sample_items(items, 5, seed=2)
    rest = sample_items(items, 100, seed=2, exclude=first.items["id"])
    assert not set(first.items["id"]) & set(rest.items["id"])
    assert len(first.items) + len(rest.items) == len(items)
    assert any("excluded 5" in n for n in rest.notes)
    assert any("only" in n for n in rest.notes)


@pytest.mark.parametrize(
    "kwargs, message",
    [
        ({"n": 0, "seed": 1}, "positive integer"),
        ({"n": 3, "seed": "x"}, "seed"),
        ({"n": 3, "seed": 1, "strategy": "smart"}, "accepted"),
        ({"n": 3, "seed": 1, "strategy": "uncertainty"}, "needs predictions"),
        ({"n": 3, "seed": 1, "strata": ["party"]}, "party"),
        ({"n": 3, "seed": 1, "allocation": "optimal"}, "allocation"),
    ],
)
def test_sample_bad_options(items, kwargs, message):
    with pytest.raises(ConfigError, match=message):
        sample_items(items, **kwargs)


def test_whole_sentences_bring_every_target(items, tmp_path, run_dir):
    # Sentences naming two targets: a1 title (US, CN), a3 title and a3:1, a4:1 (EU, CN).
    width = items.groupby(["article_id", "sent_id"])["target"].nunique()
    several = {f"{a}:{s}" for (a, s), k in width.items() if k >= 2}
    assert len(several) >= 3
    drawn = sample_items(items, 2, seed=5, strata=["language"], min_targets=2)
    sentence = drawn.items["id"].str.rsplit(":", n=1).str[0]
    assert sentence.nunique() == 2 and set(sentence) <= several
    # every target of a drawn sentence is an item, and a sentence's items sit side by side
    for key in set(sentence):
        assert sorted(drawn.items.loc[sentence == key, "target"]) == sorted(
            items.loc[items["article_id"] + ":" + items["sent_id"].astype(str) == key, "target"])
    runs = (sentence != sentence.shift()).sum()
    assert runs == 2
    assert drawn.params["n_sentences"] == 2 and drawn.params["n_drawn"] == len(drawn.items)
    again = sample_items(items, 2, seed=5, strata=["language"], min_targets=2)
    assert again.items["id"].tolist() == drawn.items["id"].tolist()
    everything = sample_items(items, 99, seed=5, strata=[], min_targets=2)
    assert set(everything.items["id"].str.rsplit(":", n=1).str[0]) == several
    assert any("only" in note for note in everything.notes)
    with pytest.raises(ConfigError, match="not target"):
        sample_items(items, 2, seed=5, min_targets=2)
    with pytest.raises(ConfigError, match="random only"):
        sample_items(items, 2, seed=5, strata=[], min_targets=2, strategy="uncertainty")
    res = CliRunner().invoke(annotate, ["sample", str(run_dir), "-o", str(tmp_path / "s"), "-n", "2",
                                        "--seed", "5", "--strata", "language", "--min-targets", "2"])
    assert res.exit_code == 0, res.output
    assert "in 2 sentence(s)" in res.output
    assert read_sample_ids(tmp_path / "s" / "sample.csv") == drawn.items["id"].tolist()


def test_uncertainty_takes_the_highest_entropy_per_stratum(items):
    us_en = items.loc[(items["target"] == "US") & (items["language"] == "en"), "id"].tolist()
    assert len(us_en) >= 3
    rows = {rid: (0.9, 0.05, 0.05, 0.0) for rid in items["id"]}
    rows[us_en[1]] = (0.34, 0.33, 0.33, 0.0)  # the most uncertain US/en item
    rows[us_en[2]] = (0.5, 0.5, 0.0, 0.0)
    sample = sample_items(items, 6, seed=5, strategy="uncertainty", predictions=_predictions(items, rows))
    picked = sample.items.set_index("stratum")
    assert picked.loc["Harbour Ledger | en | US", "id"] == us_en[1]
    assert picked.loc["Harbour Ledger | en | US", "priority"] == pytest.approx(
        -sum(p * math.log(p) for p in (0.34, 0.33, 0.33)) / math.log(3))


def test_uncertainty_ignores_items_without_prediction(items):
    some = items["id"].iloc[:4]
    rows = {rid: (0.2, 0.3, 0.5, 0.0) for rid in some}
    sample = sample_items(items, 20, seed=5, strategy="uncertainty", predictions=_predictions(items, rows))
    assert set(sample.items["id"]) == set(some)
    assert any("no prediction" in n for n in sample.notes)


def test_disagreement_ranks_confident_contradictions(items):
    ids = items["id"].tolist()
    rows = {rid: (0.1, 0.8, 0.1, 0.0) for rid in ids}  # lexicon neutral, model neutral: agree
    rows[ids[0]] = (0.05, 0.05, 0.9, -2.0)  # lexicon against, model favor (confident)
    rows[ids[1]] = (0.6, 0.3, 0.1, 0.0)  # lexicon neutral, model against
    rows[ids[2]] = (0.7, 0.2, 0.1, -1.0)  # both against: agree
    sample = sample_items(items, 10, seed=5, strategy="disagreement", strata=(),
                          predictions=_predictions(items, rows))
    assert set(sample.items["id"]) == {ids[0], ids[1]}
    assert sample.items.set_index("id").loc[ids[0], "priority"] == pytest.approx(0.9)
    assert any("drew 2" in n for n in sample.notes)
    top = sample_items(items, 1, seed=5, strategy="disagreement", strata=(),
                       predictions=_predictions(items, rows))
    assert top.items["id"].tolist() == [ids[0]]


@pytest.mark.parametrize(
    "change, message",
    [
        (lambda p: p.drop(columns="lexicon_signed"), "lexicon_signed"),
        (lambda p: pd.concat([p, p.iloc[:1]]), "repeats"),
        (lambda p: p.assign(p_favor=1.5), "outside"),
        (lambda p: p.assign(predicted="positive"), "positive"),
        (lambda p: p.assign(article_id=p["article_id"] + "-other"), "match none"),
    ],
)
def test_bad_predictions(items, change, message):
    preds = change(_predictions(items, {rid: (0.2, 0.3, 0.5, 0.0) for rid in items["id"]}))
    with pytest.raises(DataError, match=message):
        sample_items(items, 3, seed=1, strategy="uncertainty", predictions=preds)


# --------------------------------------------------------------------------------------------
# Export


def test_write_sample_files(tmp_path, items, codebook):
    sample = sample_items(items, 6, seed=3)
    paths = write_sample(sample, tmp_path / "s", codebook=codebook, meta={"inputs": "x"})
    text = paths["sample"].read_text(encoding="utf-8")
    assert text.startswith('"# framing annotation sample.')
    for lab in codebook.labels:
        assert f"# {lab}: {codebook.definitions[lab][:40]}" in text
    back = read_sample(paths["sample"])
    assert back["id"].tolist() == sample.items["id"].tolist()
    assert back["label"].eq("").all()
    assert back["span_start"].tolist() == sample.items["span_start"].tolist()
    assert codebook.sha256 in back.attrs["codebook"]
    tasks = json.loads(paths["tasks"].read_text(encoding="utf-8"))
    assert [t["data"]["item_id"] for t in tasks] == sample.items["id"].tolist()
    assert all("label" not in t["data"] and "predicted" not in t["data"] for t in tasks)
    root = ET.fromstring(paths["config"].read_text(encoding="utf-8"))
    choices = root.find(".//Choices")
    assert choices.get("name") == "label" and choices.get("toName") == "sentence"
    assert [c.get("value") for c in choices.findall("Choice")] == list(codebook.labels)
    fields = {e.get("value")[1:] for e in root.iter() if (e.get("value") or "").startswith("$")}
    assert fields <= set(tasks[0]["data"])
    manifest = json.loads(paths["manifest"].read_text())
    assert manifest["seed"] == 3 and manifest["codebook"]["sha256"] == codebook.sha256
    before = {k: p.read_bytes() for k, p in paths.items()}
    write_sample(sample_items(items, 6, seed=3), tmp_path / "s", codebook=codebook, meta={"inputs": "x"})
    assert {k: p.read_bytes() for k, p in paths.items()} == before


# --------------------------------------------------------------------------------------------
# Reading codes back


@pytest.fixture()
def drawn(tmp_path, items, codebook):
    sample = sample_items(items, 8, seed=9)
    paths = write_sample(sample, tmp_path / "s", codebook=codebook)
    return paths["sample"], sample.items["id"].tolist()


def test_read_codes_csv_with_blank_and_semicolons(tmp_path, drawn, codebook):
    sample_csv, ids = drawn
    labels = {rid: "Favor " for rid in ids}
    labels[ids[0]] = ""
    path = _fill(sample_csv, tmp_path / "ann.csv", labels, delimiter=";")
    codes = read_codes(path, read_sample(sample_csv), codebook)
    assert codes["coder"].unique().tolist() == ["ann"]
    assert codes.set_index("id").loc[ids[0], "label"] == ""
    assert codes.set_index("id").loc[ids[1], "label"] == "favor"


def test_unknown_label_names_file_line_and_accepted(tmp_path, drawn, codebook):
    sample_csv, ids = drawn
    path = _fill(sample_csv, tmp_path / "c.csv", {ids[2]: "positive"})
    with pytest.raises(DataError) as err:
        read_codes(path, read_sample(sample_csv), codebook)
    msg = str(err.value)
    assert "c.csv" in msg and "line" in msg and ids[2] in msg and "positive" in msg and "against" in msg


def test_missing_rows_and_duplicate_and_foreign_ids(tmp_path, drawn, codebook):
    sample_csv, ids = drawn
    sample = read_sample(sample_csv)
    short = _fill(sample_csv, tmp_path / "short.csv", {}, drop={ids[3]})
    with pytest.raises(DataError, match="1 sample item"):
        read_codes(short, sample, codebook)
    codes = read_codes(short, sample, codebook, allow_missing=True)
    assert codes.set_index("id").loc[ids[3], "label"] == ""
    text = sample_csv.read_text(encoding="utf-8")
    last = text.rstrip("\n").split("\n")[-1]
    (tmp_path / "dup.csv").write_text(text + last + "\n", encoding="utf-8")
    with pytest.raises(DataError, match="twice"):
        read_codes(tmp_path / "dup.csv", sample, codebook)
    (tmp_path / "foreign.csv").write_text(text + "zz:1:US" + last[last.index(","):] + "\n", encoding="utf-8")
    with pytest.raises(DataError, match="not in the sample"):
        read_codes(tmp_path / "foreign.csv", sample, codebook)


def test_label_studio_exports(tmp_path, drawn, codebook):
    sample_csv, ids = drawn
    sample = read_sample(sample_csv)

    def result(label):
        return [{"from_name": "label", "to_name": "sentence", "type": "choices",
                 "value": {"choices": [label]}}]

    tasks = []
    for k, rid in enumerate(ids):
        annotations = [{"completed_by": 1, "result": result("favor"), "was_cancelled": False}]
        if k != 0:  # annotator 2 did not do the first task and cancelled the second
            annotations.append({"completed_by": {"email": "b@x.org"}, "result": result("against" if k == 2 else "favor"),
                                "was_cancelled": k == 1})
        tasks.append({"id": 100 + k, "data": {"item_id": rid}, "annotations": annotations})
    path = tmp_path / "project.json"
    path.write_text(json.dumps(tasks), encoding="utf-8")
    codes = read_codes(path, sample, codebook)
    assert sorted(codes["coder"].unique()) == ["project:1", "project:b@x.org"]
    wide = codes.pivot(index="id", columns="coder", values="label")
    assert wide.loc[ids[0], "project:b@x.org"] == "" and wide.loc[ids[1], "project:b@x.org"] == ""
    assert wide.loc[ids[2], "project:b@x.org"] == "against"
    minimal = [{"id": 1, "item_id": rid, "label": "neutral", "annotator": "c@x.org"} for rid in ids]
    (tmp_path / "min.json").write_text(json.dumps(minimal), encoding="utf-8")
    codes = read_codes(tmp_path / "min.json", sample, codebook, coder="carol")
    assert codes["coder"].unique().tolist() == ["carol"] and codes["label"].eq("neutral").all()
    tasks[0]["data"] = {"text": "no id"}
    path.write_text(json.dumps(tasks), encoding="utf-8")
    with pytest.raises(DataError, match="item_id"):
        read_codes(path, sample, codebook)


# --------------------------------------------------------------------------------------------
# Agreement and adjudication


def _codes(table: dict[str, list[str]]) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Long codes and a sample from {coder: labels per item}; items alternate targets US/CN."""
    n = len(next(iter(table.values())))
    sample = pd.DataFrame({"id": [f"x:{i}:{'US' if i % 2 else 'CN'}" for i in range(n)],
                           "target": ["US" if i % 2 else "CN" for i in range(n)]})
    rows = [{"id": sample["id"][i], "coder": c, "label": labs[i]} for c, labs in table.items() for i in range(n)]
    return pd.DataFrame(rows), sample


def test_perfect_agreement(codebook):
    labels = ["against", "neutral", "favor", "favor", "neutral", "against"]
    codes, sample = _codes({"a": labels, "b": labels})
    table = agreement(codes, sample, codebook)["agreement"].set_index(["target", "label"])
    row = table.loc[(ALL, ALL)]
    assert row["alpha"] == pytest.approx(1.0) and row["kappa_mean"] == pytest.approx(1.0)
    assert row["pct_agree"] == 1.0 and row["n_pairable"] == 6
    assert set(table.index.get_level_values("target")) == {ALL, "US", "CN"}
    assert set(table.index.get_level_values("label")) == {ALL, *codebook.labels}


def test_alpha_and_kappa_match_independent_implementations(codebook):
    from nltk.metrics.agreement import AnnotationTask
    from sklearn.metrics import cohen_kappa_score

    a = ["against", "neutral", "favor", "favor", "neutral", "against", "neutral", "favor", "neutral", "neutral"]
    b = ["against", "favor", "favor", "neutral", "neutral", "against", "neutral", "favor", "against", "neutral"]
    c = ["neutral", "neutral", "favor", "favor", "neutral", "against", "favor", "favor", "neutral", "neutral"]
    codes, sample = _codes({"a": a, "b": b, "c": c})
    out = agreement(codes, sample, codebook)
    row = out["agreement"].set_index(["target", "label"]).loc[(ALL, ALL)]
    task = AnnotationTask(data=[(r.coder, r.id, r.label) for r in codes.itertuples()])
    assert row["alpha"] == pytest.approx(task.alpha(), abs=1e-9)
    pairs = out["pairs"].query("target == @ALL").set_index(["coder_a", "coder_b"])
    assert pairs.loc[("a", "b"), "kappa"] == pytest.approx(cohen_kappa_score(a, b))
    assert row["kappa_mean"] == pytest.approx(np.mean([cohen_kappa_score(x, y) for x, y in ((a, b), (a, c), (b, c))]))
    # Per-label rows are the binary "is favor" coding.
    binary = AnnotationTask(data=[(r.coder, r.id, r.label == "favor") for r in codes.itertuples()])
    fav = out["agreement"].set_index(["target", "label"]).loc[(ALL, "favor")]
    assert fav["alpha"] == pytest.approx(binary.alpha(), abs=1e-9)
    assert 0 < row["alpha"] < 1


def test_missing_codes_and_undefined_statistics(codebook):
    codes, sample = _codes({"a": ["favor", "favor", "", "favor"], "b": ["favor", "", "favor", "favor"]})
    out = agreement(codes, sample, codebook)
    row = out["agreement"].set_index(["target", "label"]).loc[(ALL, ALL)]
    assert row["n_coded"] == 4 and row["n_pairable"] == 2 and row["n_codes"] == 6
    assert math.isnan(row["alpha"]) and "one value" in row["note"]
    assert math.isnan(row["kappa_mean"])
    assert out["coders"].set_index("coder").loc["a", "n_skipped"] == 1
    lone, sample1 = _codes({"a": ["favor", "against"]})
    table = agreement(lone, sample1, codebook)["agreement"]
    assert table["alpha"].isna().all() and table["note"].str.contains("two coders").all()


def test_adjudication_rule_and_disagreements():
    codes, sample = _codes({
        "a": ["favor", "favor", "against", "favor", "", "neutral"],
        "b": ["favor", "favor", "favor", "", "", "against"],
        "c": ["favor", "against", "neutral", "", "", ""],
    })
    adj = adjudicate(codes, sample).set_index("id")
    ids = sample["id"].tolist()
    assert adj.loc[ids[0], ["label", "resolution"]].tolist() == ["favor", "agreed"]
    assert adj.loc[ids[1], ["label", "resolution"]].tolist() == ["favor", "majority"]
    assert adj.loc[ids[2], ["label", "resolution"]].tolist() == ["", "unresolved"]
    assert adj.loc[ids[3], ["label", "resolution"]].tolist() == ["favor", "single"]
    assert adj.loc[ids[4], ["label", "resolution"]].tolist() == ["", "uncoded"]
    assert adj.loc[ids[5], "codes"] == "against 1, neutral 1"
    decided = adjudicate(codes, sample, decisions={ids[2]: "neutral", ids[0]: "against"}).set_index("id")
    assert decided.loc[ids[2], ["label", "resolution"]].tolist() == ["neutral", "adjudicated"]
    assert decided.loc[ids[0], "label"] == "against"
    full = sample.assign(mention="m", context_before="", sentence_marked="s", context_after="")
    dis = disagreements(codes, full)
    assert dis["id"].tolist() == [ids[1], ids[2], ids[5]]
    assert dis.set_index("id").loc[ids[1], ["code:a", "code:b", "code:c", "majority"]].tolist() == [
        "favor", "favor", "against", "favor"]
    assert dis["adjudicated"].eq("").all()


def test_codes_sha256_changes_with_a_code():
    codes, _ = _codes({"a": ["favor", "neutral"], "b": ["favor", "favor"]})
    changed = codes.copy()
    changed.loc[0, "label"] = "against"
    assert codes_sha256(codes) != codes_sha256(changed)
    assert codes_sha256(codes) == codes_sha256(codes.sample(frac=1, random_state=0))


def test_import_end_to_end(tmp_path, drawn, codebook):
    sample_csv, ids = drawn
    cycle = ["against", "neutral", "favor"]
    a = {rid: cycle[k % 3] for k, rid in enumerate(ids)}
    b = dict(a, **{ids[0]: "favor" if a[ids[0]] != "favor" else "neutral", ids[1]: ""})
    files = [_fill(sample_csv, tmp_path / "a.csv", a), _fill(sample_csv, tmp_path / "b.csv", b)]
    result = import_codes(sample_csv, files, codebook=codebook)
    assert result.disagreements["id"].tolist() == [ids[0]]
    res = result.adjudicated.set_index("id")["resolution"]
    assert res[ids[0]] == "unresolved" and res[ids[1]] == "single"
    out = write_import(result, tmp_path / "imp")
    labelled = load_labelled(out["labelled"])
    assert len(labelled) == len(ids) - 1 and ids[0] not in set(labelled["id"])
    first = labelled.iloc[0]
    assert first["sentence"][first["span_start"]:first["span_end"]] == first["target"]
    # Adjudicate the disagreement through the written disagreements.csv.
    filled = pd.read_csv(out["disagreements"], dtype=str, keep_default_na=False)
    filled["adjudicated"] = "neutral"
    filled.to_csv(tmp_path / "decided.csv", index=False)
    again = import_codes(sample_csv, files, codebook=codebook, decisions_path=tmp_path / "decided.csv")
    out2 = write_import(again, tmp_path / "imp2")
    assert len(load_labelled(out2["labelled"])) == len(ids)
    assert out2["labelled_sha256"] != out["labelled_sha256"]
    assert out2["codes_sha256"] == out["codes_sha256"]
    manifest = json.loads(out2["manifest"].read_text())
    assert manifest["labelled_sha256"] == out2["labelled_sha256"] and manifest["n_coders"] == 2
    with pytest.raises(ConfigError, match="both"):
        import_codes(sample_csv, [files[0], files[0]], codebook=codebook)


# --------------------------------------------------------------------------------------------
# Command line


@pytest.fixture()
def run_dir(tmp_path):
    from framing.runs.folders import write_table

    arts, sents, ments = _tables()
    folder = tmp_path / "run"
    write_table(arts, folder / "articles.parquet")
    write_table(sents, folder / "mentions.sentences.parquet")
    write_table(ments, folder / "mentions.mentions.parquet")
    return folder


def test_cli_sample_and_import(tmp_path, run_dir):
    runner = CliRunner()
    res = runner.invoke(annotate, ["sample", str(run_dir), "-o", str(tmp_path / "s"), "-n", "6", "--seed", "4"])
    assert res.exit_code == 0, res.output
    assert "drew 6 item(s)" in res.output
    sample_csv = tmp_path / "s" / "sample.csv"
    ids = read_sample_ids(sample_csv)
    a = _fill(sample_csv, tmp_path / "a.csv", {rid: "neutral" for rid in ids})
    b = _fill(sample_csv, tmp_path / "b.csv", {rid: "neutral" if k else "favor" for k, rid in enumerate(ids)})
    res = runner.invoke(annotate, ["import", str(sample_csv), str(a), str(b), "-o", str(tmp_path / "i"),
                                   "--coders", "ann,bob"])
    assert res.exit_code == 0, res.output
    assert "disagreements: 1 " in res.output and "labelled sha256" in res.output
    coders = pd.read_csv(tmp_path / "i" / "coders.csv")
    assert coders["coder"].tolist() == ["ann", "bob"]
    res = runner.invoke(annotate, ["sample", str(run_dir), "-o", str(tmp_path / "s2"), "-n", "50", "--seed", "4",
                                   "--exclude", str(sample_csv)])
    assert res.exit_code == 0, res.output
    assert not set(read_sample_ids(tmp_path / "s2" / "sample.csv")) & set(ids)
    items = mention_items(*_tables())
    preds = _predictions(items, {rid: (0.1, 0.1, 0.8, -1.0 if k < 2 else 1.0)
                                 for k, rid in enumerate(items["id"])})
    preds.to_parquet(tmp_path / "preds.parquet")
    res = runner.invoke(annotate, ["sample", str(run_dir), "-o", str(tmp_path / "s3"), "-n", "5", "--seed", "4",
                                   "--strategy", "disagreement", "--predictions", str(tmp_path / "preds.parquet")])
    assert res.exit_code == 0, res.output
    assert set(read_sample_ids(tmp_path / "s3" / "sample.csv")) == set(items["id"][:2])
    assert json.loads((tmp_path / "s3" / "sample.json").read_text())["inputs"]["predictions"]["sha256"]


def test_cli_errors_are_one_line(tmp_path, run_dir):
    runner = CliRunner()
    res = runner.invoke(annotate, ["sample", str(run_dir), "-o", str(tmp_path / "s"), "-n", "4", "--seed", "1",
                                   "--strategy", "disagreement"])
    assert res.exit_code == EXIT_USAGE and "error:" in res.output and "predictions" in res.output
    runner.invoke(annotate, ["sample", str(run_dir), "-o", str(tmp_path / "s"), "-n", "4", "--seed", "1"])
    sample_csv = tmp_path / "s" / "sample.csv"
    bad = _fill(sample_csv, tmp_path / "bad.csv", {read_sample_ids(sample_csv)[1]: "pro"})
    res = runner.invoke(annotate, ["import", str(sample_csv), str(bad), "-o", str(tmp_path / "i")])
    assert res.exit_code == EXIT_USAGE
    assert "error:" in res.output and "bad.csv" in res.output and "'pro'" in res.output
    assert "Traceback" not in res.output
    res = runner.invoke(annotate, ["sample", str(tmp_path), "-o", str(tmp_path / "s3"), "-n", "4", "--seed", "1"])
    assert res.exit_code == EXIT_USAGE and "articles" in res.output


# --------------------------------------------------------------------------------------------
# Real seeds


def test_seeds_sample_code_import(tmp_path, seeds_dir, codebook):
    from framing.runs import pipeline

    articles = pipeline.ingest([seeds_dir])
    sentences, mentions = pipeline.sentences_and_mentions(articles)
    items = mention_items(articles, sentences, mentions)
    sample = sample_items(items, 24, seed=13)
    assert len(sample.items) == 24
    assert set(sample.items["language"]) == {"en", "nl"}
    assert set(sample.items["target"]) == {"US", "CN", "EU"}
    row = sample.items.iloc[0]
    assert row["sentence"][row["span_start"]:row["span_end"]] == row["mention"]
    paths = write_sample(sample, tmp_path / "s", codebook=codebook)
    ids = sample.items["id"].tolist()
    cycle = codebook.labels
    first = {rid: cycle[k % 3] for k, rid in enumerate(ids)}
    second = {rid: (cycle[(k + 1) % 3] if k % 4 == 0 else first[rid]) for k, rid in enumerate(ids)}
    files = [_fill(paths["sample"], tmp_path / "c1.csv", first),
             _fill(paths["sample"], tmp_path / "c2.csv", second)]
    result = import_codes(paths["sample"], files, codebook=codebook)
    overall = result.agreement.set_index(["target", "label"]).loc[(ALL, ALL)]
    assert 0 < overall["alpha"] < 1 and overall["n_pairable"] == 24
    assert sorted(result.disagreements["id"]) == sorted(ids[k] for k in range(0, 24, 4))
    out = write_import(result, tmp_path / "i")
    labelled = load_labelled(out["labelled"])
    assert len(labelled) == 24 - 6
    assert (labelled["label"].isin(codebook.labels)).all()


# --- codebook-state-v1: holders, rules, article unit, splits ------------------------------------


def test_state_codebook_loads_with_holders_rules_and_article_unit():
    cb = load_codebook("codebook-state-v1")
    assert cb.id == "codebook-state-v1" and cb.ordered
    assert cb.labels == ("against", "neutral", "favor")
    assert cb.holders == ("author", "target", "other", "unclear")
    names = [r["name"] for r in cb.rules]
    for needed in ("reported speech", "the target as the speaker", "demonyms and the public",
                   "a policy versus the state", "hedges", "sarcasm and irony", "metonyms",
                   "headlines", "Dutch constructions"):
        assert needed in names
    assert all(r["examples"] for r in cb.rules)
    assert cb.article_unit and cb.article_instructions
    holder = cb.for_field("holder")
    assert holder.labels == cb.holders and not holder.ordered and holder.sha256 == cb.sha256


def test_state_codebook_examples_use_only_its_own_values():
    cb = load_codebook("codebook-state-v1")
    for rule in cb.rules:
        for example in rule["examples"]:
            for coded in example.split(" | ")[1:]:
                label, _, holder = coded.split(": ", 1)[1].partition(", ")
                assert label in cb.labels, (rule["name"], example)
                assert holder.split(" ")[0] in cb.holders, (rule["name"], example)


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        ('[[holders]]\nvalue = "author"\ndefinition = "d"\n', "two or more \\[\\[holders\\]\\]"),
        ('[[rules]]\nname = "x"\n', "rules\\[1\\] needs a non-empty 'name' and 'rule'"),
        ('[article]\nunit = ""\ninstructions = "i"\n', "\\[article\\] must be a table"),
    ],
)
def test_bad_state_codebook_parts_name_the_key(tmp_path, extra, message):
    path = tmp_path / "cb.toml"
    path.write_text('name = "x"\nversion = 1\ncoding_unit = "u"\n[[labels]]\nvalue = "a"\ndefinition = "d"\n'
                    '[[labels]]\nvalue = "b"\ndefinition = "d"\n' + extra, encoding="utf-8")
    with pytest.raises(ConfigError, match=message):
        load_codebook(path)


def test_label_only_codebook_has_no_holder_field():
    with pytest.raises(ConfigError, match="no coded field 'holder'"):
        load_codebook().for_field("holder")


def test_split_by_article_is_stable_and_keeps_holdout_out_of_train():
    ids = [f"a{i}" for i in range(400)]
    held = ids[:100]
    first = split_by_article(ids, seed=7, holdout=held)
    assert set(first) == set(ids)
    assert not any(first[a] == "train" for a in held)
    # An article's split does not depend on the other articles.
    assert split_by_article(ids[200:], seed=7) == {a: first[a] for a in ids[200:]}
    shares = pd.Series([first[a] for a in ids[100:]]).value_counts(normalize=True)
    assert 0.35 < shares["train"] < 0.55 and 0.3 < shares["test"] < 0.5


def test_article_items_mark_every_mention_of_the_target():
    arts = pd.DataFrame({"article_id": ["a", "b"], "title": ["EU and China", ""],
                         "text": ["The EU met China. The EU left.", "Only China."],
                         "outlet": ["X", "Y"], "language": ["en", "en"], "leaning": ["left", "right"]})
    ms = pd.DataFrame({
        "article_id": ["a", "a", "a", "a", "b"], "sent_id": [0, 0, 1, 2, 1],
        "section": ["title", "title", "body", "body", "body"], "target": ["EU", "CN", "EU", "EU", "CN"],
        "spans": [[[0, 2]], [[7, 12]], [[4, 6]], [[22, 24]], [[5, 10]]],
        "aliases": [["EU"], ["China"], ["EU"], ["EU"], ["China"]],
    })
    items = article_items(arts, ms, article_columns=["leaning"])
    eu = items.set_index("id").loc["a:-1:EU"]
    assert eu["n_mentions"] == 3 and eu["sent_id"] == ARTICLE_SENT_ID
    assert eu["sentence_marked"] == "[[EU]] and China\n\nThe [[EU]] met China. The [[EU]] left."
    assert items.set_index("id").loc["b:-1:CN", "sentence"] == "Only China."
    assert items.set_index("id").loc["b:-1:CN", "leaning"] == "right"


def test_holder_field_import_agreement_and_adjudication(tmp_path):
    cb = load_codebook("codebook-state-v1")
    items = pd.DataFrame({"id": [f"a{i}:1:US" for i in range(6)], "article_id": [f"a{i}" for i in range(6)],
                          "sent_id": 1, "section": "body", "target": "US", "mention": "US", "outlet": "x",
                          "language": "en", "sentence": "The US said so.", "span_start": 4, "span_end": 6,
                          "sentence_marked": "The [[US]] said so.", "context_before": "", "context_after": ""})
    drawn = sample_items(items, 6, seed=1, strata=[])
    paths = write_sample(drawn, tmp_path / "s", codebook=cb)
    header = paths["sample"].read_text(encoding="utf-8").splitlines()
    assert any("Fill the column 'holder' too" in line for line in header)
    blind = [line for line in paths["coder"].read_text(encoding="utf-8").splitlines() if not line.startswith(('"#', "#"))]
    assert blind[0] == "id,target,mention,context_before,sentence_marked,context_after,label,holder,note"
    ids = drawn.items["id"].tolist()
    for coder, holders in (("a", ["author", "other", "target", "author", "other", "author"]),
                           ("b", ["author", "other", "target", "author", "author", "author"])):
        pd.DataFrame({"id": ids, "label": "neutral", "holder": holders, "note": ""}).to_csv(
            tmp_path / f"{coder}.csv", index=False)
    result = import_codes(paths["sample"], [tmp_path / "a.csv", tmp_path / "b.csv"], codebook=cb,
                          field="holder")
    overall = result.agreement.query("target == '(all)' and label == '(all)'").iloc[0]
    assert overall["pct_agree"] == pytest.approx(5 / 6)
    assert len(result.disagreements) == 1
    decisions = tmp_path / "d.csv"
    pd.DataFrame({"id": [ids[4]], "adjudicated": ["other"]}).to_csv(decisions, index=False)
    again = import_codes(paths["sample"], [tmp_path / "a.csv", tmp_path / "b.csv"], codebook=cb,
                         field="holder", decisions_path=decisions)
    assert again.labelled.set_index("id").loc[ids[4], "holder"] == "other"
    with pytest.raises(DataError, match="unknown label 'maybe'"):
        pd.DataFrame({"id": ids, "label": "neutral", "holder": "maybe", "note": ""}).to_csv(
            tmp_path / "c.csv", index=False)
        import_codes(paths["sample"], [tmp_path / "c.csv"], codebook=cb, field="holder")
