"""One scorer: ``framing score``, ``framing stream``, the Dask path and ``framing run`` give the same
tables for the same scoring config and corpus (the bundled demo corpus, written for the project)."""

from __future__ import annotations

import dataclasses
import json

import pandas as pd
import pytest
from click.testing import CliRunner

from framing.cli import main
from framing.corpus import loading as corpus
from framing.runs import config, dask_scoring, stream
from framing.runs.config import ScoringConfig, TargetsConfig
from framing.stance.scorer import Scorer

#: Not the default band (0.1): every entry point must pass it on.
BAND = 0.25
KEY = ["article_id", "target"]
COMPARED = ["article_id", "outlet", "target", "method", "score", "label", "confidence",
            "n_mentions", "n_cues", "evidence"]


def _invoke(args: list[str]) -> None:
    result = CliRunner().invoke(main, args)
    assert result.exit_code == 0, result.output + result.stderr


def _canonical(scores: pd.DataFrame) -> pd.DataFrame:
    table = scores[COMPARED].sort_values(KEY).reset_index(drop=True)
    table["evidence"] = [json.dumps(_plain(e), sort_keys=True) for e in table["evidence"]]
    return table


def _plain(value):
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if hasattr(value, "tolist"):
        return _plain(value.tolist())
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    return value


@pytest.fixture(scope="module")
def demo_parquet(tmp_path_factory):
    folder = tmp_path_factory.mktemp("one-scorer")
    records = pd.read_json(config.demo_corpus_path() / "articles.jsonl", lines=True)
    path = folder / "demo.parquet"
    records.to_parquet(path)
    return folder, path


@pytest.fixture(scope="module")
def four_entry_points(demo_parquet):
    folder, path = demo_parquet
    out: dict[str, pd.DataFrame] = {}
    # 1. framing ingest + framing score
    _invoke(["ingest", str(path), "-o", str(folder / "articles.parquet"), "-j", "1"])
    _invoke(["score", str(folder / "articles.parquet"), "-o", str(folder / "scores.parquet"),
             "--neutral-band", str(BAND), "-j", "2"])
    out["score"] = pd.read_parquet(folder / "scores.parquet")
    # 2. framing stream (chunks of 7 articles)
    _invoke(["stream", str(path), "-o", str(folder / "stream"), "--chunk-size", "7",
             "--neutral-band", str(BAND)])
    out["stream"] = pd.read_parquet(folder / "stream" / "scores.parquet")
    # 3. the Dask path, in-process workers
    distributed = pytest.importorskip("distributed")
    settings = stream.StreamSettings(ScoringConfig(neutral_band=BAND), chunk_size=9)
    with (
        distributed.LocalCluster(n_workers=1, threads_per_worker=1, processes=False,
                                 dashboard_address=":0") as cluster,
        distributed.Client(cluster) as client,
    ):
        out["dask"] = dask_scoring.score_dask(path, settings, client=client)["scores"]
    # 4. framing run on a config with the same scoring settings
    (folder / "exp.toml").write_text(
        f'name = "one-scorer"\nseed = 13\n[corpus]\ninputs = ["{path.as_posix()}"]\n'
        f'[scoring]\nmethod = "lexicon"\nneutral_band = {BAND}\n[compare]\nmin_n = 3\n',
        encoding="utf-8",
    )
    _invoke(["run", str(folder / "exp.toml"), "--root", str(folder / "runs"), "-j", "1"])
    (run_dir,) = (folder / "runs" / "one-scorer").iterdir()
    out["run"] = pd.read_parquet(run_dir / "scores.parquet")
    return out


def test_every_entry_point_gives_the_same_scores(four_entry_points):
    reference = _canonical(four_entry_points["score"])
    assert len(reference) > 50 and set(reference["target"]) == {"US", "CN", "EU"}
    for name, scores in four_entry_points.items():
        pd.testing.assert_frame_equal(_canonical(scores), reference, obj=name)


def test_the_neutral_band_reaches_every_entry_point(four_entry_points):
    """With band 0.25, scores between 0.1 and 0.25 are neutral everywhere (not only in runs)."""
    for name, scores in four_entry_points.items():
        inside = scores["score"].abs() < BAND
        assert inside.any(), name
        assert (scores.loc[inside, "label"] == "neutral").all(), name
        assert ((scores["score"].abs() >= 0.1) & inside).any(), name  # the band made a difference


def test_a_scorer_is_the_same_function_of_its_config(demo_parquet):
    _, path = demo_parquet
    articles = corpus.load(path)
    cfg = ScoringConfig(neutral_band=BAND)
    first = Scorer(cfg)(articles)
    again = Scorer(dataclasses.replace(cfg))(articles, n_jobs=2)
    pd.testing.assert_frame_equal(_canonical(first["scores"]), _canonical(again["scores"]))
    narrower = Scorer(dataclasses.replace(cfg, targets=TargetsConfig(kinds=("name",))))(articles)
    assert len(narrower["mentions"]) < len(first["mentions"])


def test_experiment_configs_carry_their_targets_into_the_scoring_config(tmp_path):
    cfg = config.ExperimentConfig.from_dict(
        {"name": "x", "seed": 1, "corpus": {"inputs": ["a.csv"]},
         "targets": {"kinds": ["name"]}, "scoring": {"neutral_band": 0.3}},
        check_paths=False,
    )
    assert cfg.scoring.targets == cfg.targets and cfg.scoring.targets.kinds == ("name",)
    assert cfg.scoring.neutral_band == 0.3
    built = config.ExperimentConfig("y", 1, cfg.corpus, targets=TargetsConfig(kinds=("name",)))
    assert built.scoring.targets.kinds == ("name",)


def test_the_public_api_is_documented_and_runnable():
    """Every public name has a docstring with an example and a row in docs/api.md."""
    import doctest
    from pathlib import Path

    import framing

    doc = (Path(__file__).resolve().parents[1] / "docs" / "api.md").read_text(encoding="utf-8")
    for name in framing.__all__:
        obj = getattr(framing, name)
        assert obj.__doc__, name
        assert f"`{name}" in doc, name
        assert doctest.DocTestParser().get_examples(obj.__doc__), f"{name} has no example"
    assert set(dir(framing)) >= set(framing.__all__)
    with pytest.raises(AttributeError):
        framing.no_such_thing  # noqa: B018


def test_the_lexicon_method_follows_the_aggregation_rule():
    """author-v1 leaves out the cues of quoted and reported sentences; smoothed-v1 counts them."""
    articles = corpus.articles_from_frame(pd.DataFrame({
        "id": ["q1"], "outlet": ["Harbour Ledger"],
        "text": ['"Washington abused export controls to keep its hegemony," the minister said. '
                 "The United States signed a trade agreement with its partners."],
    }), "example.csv")
    tables = {
        rule: Scorer(ScoringConfig(method="lexicon", aggregation=rule))(articles)
        for rule in ("smoothed-v1", "author-v1")
    }
    voices = set(tables["smoothed-v1"]["mentions"]["voice"])
    assert {"author"} < voices, voices  # one narrated and one quoted mention of the US
    both = {rule: t["scores"].set_index("target").loc["US", "score"] for rule, t in tables.items()}
    assert both["smoothed-v1"] < 0
    assert both["author-v1"] > both["smoothed-v1"]
    # n_cues still counts every cue attributed to the target, whatever its weight.
    n_cues = {rule: int(t["scores"].set_index("target").loc["US", "n_cues"]) for rule, t in tables.items()}
    assert n_cues["smoothed-v1"] == n_cues["author-v1"]
