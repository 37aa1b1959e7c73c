"""Dask scoring: a LocalCluster of 2 worker processes gives the tables of one process.

The corpus is invented here (outlets, sentences); targets are the default US, CN and EU.
"""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from framing.corpus import loading as corpus
from framing.infra.errors import ConfigError, DataError
from framing.runs import dask_scoring, pipeline, stream
from framing.stance import model_scoring

SENTENCES = [
    "Washington bullied its allies again over chips.",
    "The EU wants to reduce dependence on China.",
    "Beijing praised the cooperation and welcomed the talks.",
    "Brussels and Tokyo signed a deal on semiconductors.",
    "The US abused export controls to keep its hegemony.",
    "China was accused of coercion by the bloc.",
]
OUTLETS = ("Harbour Ledger", "Polder Post", "Ridge Times")


def _records(n: int = 31) -> list[dict]:
    out = []
    for i in range(n):
        text = " ".join(SENTENCES[(i + k) % len(SENTENCES)] for k in range(1 + i % 4))
        text += f" Filed as report {i}."  # no two texts alike: no exact duplicates
        # ids repeat after 19 rows: in a later partition, renamed n0~2 as corpus.load does
        out.append({"id": f"n{i % 19}", "outlet": OUTLETS[i % 3], "title": f"Story {i}",
                    "text": text, "date": f"2023-07-{1 + i % 28:02d}", "desk": f"d{i % 2}"})
    if n > 20:
        out[5]["text"] = ""  # an "empty" article: accounted for, not scored
        out[12]["text"] = "Dit is een Nederlandse zin over de Verenigde Staten en China."
        out[20]["text"] = "Questo articolo parla degli Stati Uniti e della Cina, in italiano."
    return out


@pytest.fixture(scope="module")
def parquet(tmp_path_factory) -> str:
    path = tmp_path_factory.mktemp("dask") / "corpus.parquet"
    pd.DataFrame(_records()).to_parquet(path, row_group_size=7)
    return str(path)


@pytest.fixture(scope="module")
def client():
    """One cluster for the module: starting one costs seconds."""
    distributed = pytest.importorskip("distributed")
    with (
        distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                                 dashboard_address=":0") as cluster,
        distributed.Client(cluster) as dask_client,
    ):
        yield dask_client


def _whole(path: str, settings: stream.StreamSettings) -> dict[str, pd.DataFrame]:
    """One in-memory pass over the whole file, as `framing score` does it."""
    articles = corpus.load(path, column_map=settings.column_map,
                           supported_languages=settings.languages, near_duplicates=False)
    return stream.ChunkScorer(settings)(articles)


def _plain(table: pd.DataFrame) -> pd.DataFrame:
    """Evidence as canonical JSON, so nested lists of dicts compare as values."""
    out = table.copy()
    if "evidence" in out.columns:
        out["evidence"] = [json.dumps(_lists(v), sort_keys=True) for v in out["evidence"]]
    return out


def _lists(value):
    if isinstance(value, dict):
        return {k: _lists(v) for k, v in value.items()}
    if isinstance(value, list | tuple | np.ndarray):
        return [_lists(v) for v in value]
    return value.item() if hasattr(value, "item") else value


def _cached_keys() -> list[str]:
    return sorted(dask_scoring._SCORERS)


def test_lexicon_on_two_workers_equals_one_process(parquet, client):
    settings = stream.StreamSettings(method="lexicon", near_duplicates=False, chunk_size=8)
    got = dask_scoring.score_dask(parquet, settings, client=client)
    whole = _whole(parquet, settings)
    assert set(got) == {"articles", "scores", "frames"}
    for name in ("articles", "scores", "frames"):
        pd.testing.assert_frame_equal(_plain(got[name]), _plain(whole[name]), check_exact=True)
    # the check has teeth: all statuses, repeated ids renamed, evidence present
    assert {"ok", "empty", "unsupported_language"} <= set(got["articles"]["status"])
    assert "n0~2" in set(got["scores"]["article_id"])
    assert got["articles"]["source"].iloc[-1].endswith("#row=31")
    assert got["scores"]["evidence"].map(len).gt(0).any()
    assert "" in set(got["frames"]["target"])
    # the scorer is cached per worker process: built at most once per worker, not per partition
    cached = [keys.count(settings.key()) for keys in client.run(_cached_keys).values()]
    assert 1 <= sum(cached) <= 2


def test_scorer_is_built_once_per_process_and_settings():
    settings = stream.StreamSettings(chunk_size=3)
    first = dask_scoring._scorer(settings)
    assert dask_scoring._scorer(stream.StreamSettings(chunk_size=3)) is first
    assert dask_scoring._scorer(stream.StreamSettings(chunk_size=4)) is not first


def test_partitioning_does_not_change_scores(parquet, client):
    settings = stream.StreamSettings(method="lexicon", near_duplicates=False, chunk_size=8)
    few = dask_scoring.score_dask(parquet, settings, client=client, npartitions=2)
    many = dask_scoring.score_dask(parquet, settings, client=client, npartitions=5)
    for name in ("articles", "scores", "frames"):
        pd.testing.assert_frame_equal(_plain(few[name]), _plain(many[name]), check_exact=True)


def test_duplicate_flags_are_per_partition(tmp_path, client):
    records = _records(12)
    records[9] = {**records[1], "id": "copy"}  # an exact copy of row 2, far from it
    path = tmp_path / "copies.parquet"
    pd.DataFrame(records).to_parquet(path)
    settings = stream.StreamSettings(near_duplicates=False, chunk_size=6)
    whole = _whole(str(path), settings)
    got = dask_scoring.score_dask(path, settings, client=client)
    assert whole["articles"]["duplicate_of"].iloc[9] == "n1"
    assert pd.isna(got["articles"]["duplicate_of"].iloc[9])  # the copy is in another partition
    together = dask_scoring.score_dask(path, settings, client=client, npartitions=1)
    assert together["articles"]["duplicate_of"].iloc[9] == "n1"
    pd.testing.assert_frame_equal(_plain(got["scores"]), _plain(whole["scores"]))


def test_column_map_and_file_without_rows(tmp_path, client):
    frame = pd.DataFrame(_records(9)).rename(columns={"text": "body"})
    path = tmp_path / "mapped.parquet"
    frame.to_parquet(path)
    settings = stream.StreamSettings(column_map={"text": "body"}, near_duplicates=False,
                                     chunk_size=4)
    got = dask_scoring.score_dask(path, settings, client=client)
    pd.testing.assert_frame_equal(_plain(got["scores"]), _plain(_whole(str(path), settings)["scores"]))

    empty = tmp_path / "empty.parquet"
    frame.iloc[:0].to_parquet(empty)
    got = dask_scoring.score_dask(empty, settings, client=client)
    assert got["articles"]["status"].tolist() == ["empty"]  # as corpus.load: one row, not none
    assert len(got["scores"]) == 0


def test_missing_text_column_comes_back_as_data_error(tmp_path, client):
    path = tmp_path / "notext.parquet"
    pd.DataFrame({"id": ["a"], "headline": ["x"]}).to_parquet(path)
    with pytest.raises(DataError):
        dask_scoring.score_dask(path, stream.StreamSettings(column_map={"text": "body"}),
                                client=client)


def test_bad_inputs_are_refused_before_any_cluster(tmp_path):
    jsonl = tmp_path / "corpus.jsonl"
    jsonl.write_text('{"text": "x"}\n', encoding="utf-8")
    with pytest.raises(ConfigError, match="Parquet"):
        dask_scoring.score_dask(jsonl, stream.StreamSettings())
    with pytest.raises(ConfigError, match="Parquet"):
        dask_scoring.score_dask(tmp_path / "c.parquet", stream.StreamSettings(fmt="jsonl"))
    with pytest.raises(DataError, match="does not exist"):
        dask_scoring.score_dask(tmp_path / "missing.parquet", stream.StreamSettings())
    broken = tmp_path / "broken.parquet"
    broken.write_text("id,text\n1,hello\n", encoding="utf-8")
    with pytest.raises(DataError, match="not a readable Parquet"):
        dask_scoring.score_dask(broken, stream.StreamSettings())


def test_bad_options_and_unreachable_scheduler(parquet):
    with pytest.raises(ConfigError, match="npartitions"):
        dask_scoring.score_dask(parquet, stream.StreamSettings(), npartitions=0)
    with pytest.raises(ConfigError, match="must be a distributed.Client"):
        dask_scoring.score_dask(parquet, stream.StreamSettings(), client="tcp://127.0.0.1:9")
    with pytest.raises(ConfigError, match="not both"):
        dask_scoring.score_dask(parquet, stream.StreamSettings(), client=object(), address="x")
    with pytest.raises(ConfigError, match="cannot reach the Dask scheduler"):
        dask_scoring.score_dask(parquet, stream.StreamSettings(), address="tcp://127.0.0.1:9",
                                timeout=1)


@pytest.mark.slow
def test_default_local_cluster_is_started_and_closed(parquet):
    settings = stream.StreamSettings(near_duplicates=False, chunk_size=16)
    got = dask_scoring.score_dask(parquet, settings)
    pd.testing.assert_frame_equal(_plain(got["scores"]), _plain(_whole(parquet, settings)["scores"]))


@pytest.mark.slow  # about 20 s: torch and the model load in both workers
def test_model_on_two_workers_equals_one_process(parquet, client, tmp_path, tiny_encoder_factory):
    from framing.stance.classifier import StanceClassifier, TrainingArguments

    articles = corpus.load(parquet, near_duplicates=False)
    sentences, mentions = pipeline.sentences_and_mentions(articles)
    examples = model_scoring.mention_examples(articles, sentences, mentions)
    labels = np.where(examples["sentence"].str.contains("bullied|abused"), "against",
                      np.where(examples["sentence"].str.contains("praised"), "favor", "neutral"))
    encoder = tiny_encoder_factory(examples["sentence"].tolist() + ["<< >>"])
    args = TrainingArguments(seed=3, epochs=1, batch_size=8, max_length=48, progress_bar=False,
                             num_threads=1, early_stopping_patience=None, class_weights=None)
    clf = StanceClassifier(model_path=encoder, args=args)
    clf.fit(examples.assign(target=examples["mention"]), labels)
    folder = clf.save(tmp_path / "model")

    settings = stream.StreamSettings(method="model", model=str(folder), near_duplicates=False,
                                     chunk_size=8)
    got = dask_scoring.score_dask(parquet, settings, client=client)
    whole = _whole(parquet, settings)
    assert len(got["predictions"]) == len(mentions) > 0
    pd.testing.assert_frame_equal(got["articles"], whole["articles"])
    for name in ("scores", "predictions"):
        # batches differ per partition: float sums may differ in the last bits
        pd.testing.assert_frame_equal(_plain(got[name]), _plain(whole[name]),
                                      check_exact=False, atol=1e-6)
