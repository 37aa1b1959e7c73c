"""The multiverse: every contrast under every combination of the analyst's choices.

A toy corpus written for these tests: outlet Alpha narrates against the US, Beta in favour, and
Gamma narrates in favour while quoting a minister against. Alpha vs Beta holds in every
specification; Beta vs Gamma flips with the voice choice (all voices: Gamma is less favourable
than Beta; the author's voice only: the two are alike).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from framing.analysis import multiverse as mv
from framing.corpus import loading as corpus
from framing.infra.errors import ConfigError
from framing.runs import config
from framing.stance.scorer import Scorer
from framing.stance.scoring import match_cues
from framing.stance.settings import ScoringConfig
from framing.text.targets import load_targets

NEG = ("The United States abused export controls to safeguard its hegemony and coerced its "
       "allies.", "The United States bullied its partners and abused its hegemony.")
POS = ("The United States signed a win-win partnership with its partners.",
       "The United States signed a mutually beneficial agreement, a win-win partnership.")
QUOTE = ('"The United States abused its hegemony and bullied its partners," the minister said.',
         '"Washington coerced its allies and abused export controls," an official said.')
FILLER = "The talks went on for a second day."

BASELINE = {"scorer": "lexicon", "target_kinds": "default kinds", "aggregation": "smoothed-v1",
            "neutral_band": "0", "unit": "article"}
CHOICES = {"scorer": ["lexicon"], "target_kinds": ["default kinds", "name, short_name"],
           "aggregation": ["smoothed-v1", "author-v1"], "neutral_band": ["0", "0.1", "0.2"],
           "unit": ["article", "sentence"]}


def _toy_articles() -> pd.DataFrame:
    rows = []
    for i in range(8):
        neg, pos, quote = NEG[i % 2], POS[i % 2], QUOTE[i % 2]
        extra = f" {FILLER}" if i % 3 == 0 else ""
        rows.append({"id": f"a{i}", "outlet": "Alpha", "text": neg + extra})
        rows.append({"id": f"b{i}", "outlet": "Beta", "text": pos + extra})
        rows.append({"id": f"c{i}", "outlet": "Gamma", "text": f"{quote} {pos}{extra}"})
    return corpus.articles_from_frame(pd.DataFrame(rows), "toy.csv")


@pytest.fixture(scope="module")
def toy():
    articles = _toy_articles()
    tables = Scorer(ScoringConfig(method="lexicon"))(articles)
    cues = match_cues(articles, tables["sentences"], tables["mentions"])
    kinds = mv.mention_kinds(tables["mentions"], load_targets())
    units = mv.lexicon_units(cues, tables["mentions"], kinds)
    return articles, tables, units


@pytest.fixture(scope="module")
def table(toy):
    articles, _, units = toy
    return mv.contrasts([mv.Evidence("lexicon", units)], mv.group_series(articles, ["outlet"]),
                        CHOICES, baseline=BASELINE, random_state=13, n_boot=300)


def test_combinations_are_counted(table):
    specs = mv.specifications(CHOICES)
    assert len(specs) == 1 * 2 * 2 * 3 * 2 == 24
    assert specs["spec"].tolist() == list(range(1, 25))
    assert not specs.duplicated(list(mv.DIMENSIONS)).any()
    # Every specification has every contrast (3 outlets: 3 pairs) of the one target.
    assert table.groupby("spec").size().eq(3).all()
    assert table["spec"].nunique() == 24
    assert table.loc[table["baseline"], "spec"].nunique() == 1


def test_the_configured_specification_is_the_runs_contrast(toy, table):
    articles, tables, _ = toy
    scores = tables["scores"]
    means = scores.groupby("outlet")["score"].mean()
    base = table.loc[table["baseline"]].set_index("pair")["diff"]
    assert base["Alpha vs Beta"] == pytest.approx(means["Alpha"] - means["Beta"])
    assert base["Beta vs Gamma"] == pytest.approx(means["Beta"] - means["Gamma"])


def test_one_contrast_holds_and_another_flips_with_the_voice(table):
    summary = mv.robustness(table).set_index("pair")
    assert summary.loc["Alpha vs Beta", "verdict"] == "holds"
    assert summary.loc["Alpha vs Beta", "sign"] == "\u2212"
    assert summary.loc["Alpha vs Beta", "share_excluding_zero"] == 1.0
    assert summary.loc["Beta vs Gamma", "verdict"] == "flips"
    by_voice = table.loc[table["pair"] == "Beta vs Gamma"].groupby("aggregation")["diff"]
    assert (by_voice.get_group("smoothed-v1") > 0).all()  # Gamma less favourable with quotes
    assert (by_voice.get_group("author-v1").abs() < 1e-9).all()  # the author's voice alike


def test_author_only_leaves_out_articles_without_an_author_mention():
    units = pd.DataFrame({
        "article_id": ["x", "x", "y"], "sent_id": [1, 2, 1], "target": "US",
        "signed": [-0.8, 0.4, -0.9], "mass": 1.0, "mention": 1,
        "voice": ["quoted", "author", "quoted"], "kinds": "name",
    })
    mask = np.ones(3, dtype=bool)
    everyone = mv._values(units, mask, "smoothed-v1", "article")
    author = mv._values(units, mask, "author-v1", "article")
    assert everyone["article_id"].tolist() == ["x", "y"]
    assert author["article_id"].tolist() == ["x"]  # y only quotes others
    assert author["score"].iloc[0] == pytest.approx(0.4 / 3)


def test_the_band_zeroes_weak_scores_and_the_kinds_filter_mentions(toy):
    articles, _, units = toy
    one = {**BASELINE}
    choices = {k: [v] for k, v in one.items()}
    wide = mv.contrasts([mv.Evidence("lexicon", units)], mv.group_series(articles, ["outlet"]),
                        {**choices, "neutral_band": ["0.95"]}, random_state=1, n_boot=50)
    assert (wide["diff"].abs() < 1e-12).all()  # every score inside the band counts as 0
    names = mv.contrasts([mv.Evidence("lexicon", units)], mv.group_series(articles, ["outlet"]),
                         {**choices, "target_kinds": ["capital_metonym"]}, random_state=1,
                         n_boot=50, min_n=1)
    # Only Gamma's quotes name the US as "Washington": the other outlets drop out.
    assert set(names["pair"]) == set()


def test_the_same_inputs_give_the_same_table(toy, table):
    articles, _, units = toy
    again = mv.contrasts([mv.Evidence("lexicon", units)], mv.group_series(articles, ["outlet"]),
                         CHOICES, baseline=BASELINE, random_state=13, n_boot=300)
    pd.testing.assert_frame_equal(table, again)


def test_a_multiverse_table_in_a_config(tmp_path):
    data = {"name": "m", "seed": 1, "corpus": {"inputs": [str(tmp_path)]},
            "multiverse": {"method": ["lexicon"], "aggregation": ["smoothed-v1", "author-v1"],
                           "neutral_band": [0, 0.1], "target_kinds": [[], ["name"]]}}
    cfg = config.ExperimentConfig.from_dict(data, check_paths=False)
    assert cfg.multiverse.enabled
    assert cfg.multiverse.target_kinds == ((), ("name",))
    assert config.ExperimentConfig.from_dict(cfg.to_dict(), check_paths=False) == cfg
    plain = config.ExperimentConfig.from_dict({k: v for k, v in data.items() if k != "multiverse"},
                                              check_paths=False)
    assert "multiverse" not in plain.to_dict()  # configs without one keep their run ids
    from framing.runs.multiverse import choices_of

    choices, baseline = choices_of(cfg)
    assert choices["target_kinds"] == ["default kinds", "name"]
    assert choices["neutral_band"] == ["0", "0.1"]
    assert baseline["unit"] == "article" and choices["unit"] == ["article"]
    with pytest.raises(ConfigError, match="need a model"):
        config.ExperimentConfig.from_dict(
            {**data, "multiverse": {"method": ["hybrid"]}}, check_paths=False)
    with pytest.raises(ConfigError, match="unit"):
        config.ExperimentConfig.from_dict(
            {**data, "multiverse": {"unit": ["paragraph"]}}, check_paths=False)


def _toy_run(tmp_path, root):
    rows = _toy_articles()[["article_id", "outlet", "text"]].rename(columns={"article_id": "id"})
    corpus_file = tmp_path / "toy.csv"
    if not corpus_file.exists():
        rows.to_csv(corpus_file, index=False)
    toml = tmp_path / "toy_multiverse.toml"
    toml.write_text(
        'name = "toy_multiverse"\nseed = 7\n[corpus]\ninputs = ["toy.csv"]\nlanguages = ["en"]\n'
        '[compare]\nby = ["outlet"]\nn_boot = 200\nn_perm = 199\nmin_n = 5\n'
        '[multiverse]\naggregation = ["smoothed-v1", "author-v1"]\nneutral_band = [0.0, 0.1]\n'
        'unit = ["article", "sentence"]\nn_boot = 200\n', encoding="utf-8")
    from framing.runs import pipeline

    return pipeline.run_experiment(config.load_config(toml), root=root, n_jobs=1)


def test_a_run_with_a_multiverse_table_reports_the_robustness_of_its_contrasts(tmp_path):
    report = _toy_run(tmp_path, tmp_path / "runs")
    run = report.parent
    html = report.read_text(encoding="utf-8")
    markdown = (run / "report.md").read_text(encoding="utf-8")
    for text in (html, markdown):
        assert "Robustness of conclusions" in text
        assert "8 specifications" in text
    summary = pd.read_parquet(run / "robustness.parquet").set_index("pair")
    assert summary.loc["Alpha vs Beta", "verdict"] == "holds"
    assert summary.loc["Beta vs Gamma", "verdict"] == "flips"
    curve = run / "figures" / "specification-curve-us.svg"
    first = curve.read_bytes()
    # A second run folder from scratch draws the same bytes.
    again = _toy_run(tmp_path, tmp_path / "runs-again").parent
    assert (again / "figures" / "specification-curve-us.svg").read_bytes() == first
    assert (again / "robustness.parquet").read_bytes() == (run / "robustness.parquet").read_bytes()


def test_the_multiverse_command_needs_a_multiverse_table(tmp_path):
    from click.testing import CliRunner

    from framing.cli import main

    toml = tmp_path / "plain.toml"
    (tmp_path / "a.txt").write_text("The United States signed a deal.", encoding="utf-8")
    toml.write_text('name = "plain"\nseed = 1\n[corpus]\ninputs = ["a.txt"]\n', encoding="utf-8")
    result = CliRunner().invoke(main, ["multiverse", str(toml), "--root", str(tmp_path / "runs")])
    assert result.exit_code == 2
    assert "no [multiverse] table" in result.output


def test_a_kind_choice_cannot_widen_the_runs_kinds(tmp_path):
    from framing.runs.multiverse import _check_kinds
    from framing.stance import scorer

    base = {"name": "m", "seed": 1, "corpus": {"inputs": [str(tmp_path)]}}
    narrow = config.ExperimentConfig.from_dict(
        {**base, "targets": {"kinds": ["name"]},
         "multiverse": {"target_kinds": [["name"], ["name", "demonym"]]}}, check_paths=False)
    with pytest.raises(ConfigError, match="demonym"):
        _check_kinds(narrow, scorer.target_spec(narrow.scoring).load())
    default = config.ExperimentConfig.from_dict(
        {**base, "targets": {"kinds": ["name"]}, "multiverse": {"target_kinds": [[]]}},
        check_paths=False)
    with pytest.raises(ConfigError, match="default kinds"):
        _check_kinds(default, scorer.target_spec(default.scoring).load())


def test_the_multiverse_command_computes_it_chunk_by_chunk_with_the_runs_results(tmp_path):
    """`framing multiverse` keeps only each chunk's units: the same table as the run's, and the
    run's report rebuilt; without a run first it writes the multiverse and says so."""
    from click.testing import CliRunner

    from framing.cli import main

    report = _toy_run(tmp_path, tmp_path / "runs")
    run = report.parent
    expected = pd.read_parquet(run / "multiverse.parquet")
    (run / "multiverse.parquet").unlink()
    report.write_text("stale", encoding="utf-8")
    toml = tmp_path / "toy_multiverse.toml"
    result = CliRunner().invoke(main, ["multiverse", str(toml), "--root", str(tmp_path / "runs"),
                                       "--chunk-size", "5", "-j", "1"])
    assert result.exit_code == 0, result.output
    assert "multiverse units" in result.output or "chunks of 5 articles" in result.output
    got = pd.read_parquet(run / "multiverse.parquet")
    pd.testing.assert_frame_equal(got, expected, check_exact=False, rtol=1e-9)
    assert "Robustness of conclusions" in report.read_text(encoding="utf-8")
    fresh = CliRunner().invoke(main, ["multiverse", str(toml), "--root", str(tmp_path / "fresh"),
                                      "-j", "1"])
    assert fresh.exit_code == 0, fresh.output
    assert "no report in the run folder yet" in fresh.output
    folder = next((tmp_path / "fresh" / "toy_multiverse").iterdir())
    summary = pd.read_parquet(folder / "robustness.parquet").set_index("pair")
    assert summary.loc["Alpha vs Beta", "verdict"] == "holds"
    assert summary.loc["Beta vs Gamma", "verdict"] == "flips"
    assert (folder / "figures" / "specification-curve-us.svg").is_file()


def test_min_mentions_leaves_out_articles_that_mention_the_target_less_often(toy):
    """Gamma's articles mention the US in two sentences (the quote and the narration), Alpha's
    and Beta's in one: with at least 2 mentions only Gamma is left, so no pair remains."""
    articles, _, units = toy
    choices = {**{d: [BASELINE[d]] for d in BASELINE}, "min_mentions": ["1", "2"]}
    table = mv.contrasts([mv.Evidence("lexicon", units)], mv.group_series(articles, ["outlet"]),
                         choices, baseline=BASELINE, random_state=13, n_boot=100, min_n=3)
    assert table["min_mentions"].unique().tolist() == ["1"]  # "2": no pair left to compare
    assert table["baseline"].all() and len(table) == 3
    values = mv._values(units, np.ones(len(units), dtype=bool), "smoothed-v1", "article")
    per_outlet = values.assign(outlet=values["article_id"].map(
        articles.set_index("article_id")["outlet"])).groupby("outlet")["n_mentions"].unique()
    assert [list(per_outlet[o]) for o in ("Alpha", "Beta", "Gamma")] == [[1], [1], [2]]
    alpha_gamma = mv.contrasts(
        [mv.Evidence("lexicon", units)], mv.group_series(articles, ["outlet"]),
        {**choices, "min_mentions": ["2"]}, random_state=13, n_boot=100, min_n=1)
    assert alpha_gamma.empty


def test_lexicon_versions_are_scorers_of_the_multiverse(tmp_path):
    """multiverse.lexicon lists lexicons: one scorer each, the run's marked as the baseline; a
    lexicon without the hegemony cues no longer sees Alpha as against the US."""
    import shutil

    from framing.infra.paths import lexicon_folder

    softer = tmp_path / "softer-v1"
    shutil.copytree(lexicon_folder("framing-stance-v1"), softer)
    terms = pd.read_csv(softer / "terms.csv", keep_default_na=False)
    terms = terms.loc[terms["category"] != "hegemony_containment"]
    terms.to_csv(softer / "terms.csv", index=False)
    meta = (softer / "meta.toml").read_text(encoding="utf-8")
    (softer / "meta.toml").write_text(meta.replace('name = "framing-stance"', 'name = "softer"'),
                                      encoding="utf-8")
    rows = _toy_articles()[["article_id", "outlet", "text"]].rename(columns={"article_id": "id"})
    rows.to_csv(tmp_path / "toy.csv", index=False)
    toml = tmp_path / "toy_lexicons.toml"
    toml.write_text(
        'name = "toy_lexicons"\nseed = 7\n[corpus]\ninputs = ["toy.csv"]\nlanguages = ["en"]\n'
        '[compare]\nby = ["outlet"]\nn_boot = 100\nn_perm = 99\nmin_n = 5\n'
        f'[multiverse]\nlexicon = ["framing-stance-v1", "{softer.as_posix()}"]\n'
        'min_mentions = [1, 2]\nn_boot = 100\n', encoding="utf-8")
    from framing.runs import pipeline
    from framing.runs.multiverse import stream_multiverse

    cfg = config.load_config(toml)
    report = pipeline.run_experiment(cfg, root=tmp_path / "runs", n_jobs=1)
    table = pd.read_parquet(report.parent / "multiverse.parquet")
    assert sorted(table["scorer"].unique()) == ["lexicon: framing-stance-v1", "lexicon: softer-v1"]
    assert set(table.loc[table["baseline"], "scorer"]) == {"lexicon: framing-stance-v1"}
    alpha_beta = table.loc[(table["pair"] == "Alpha vs Beta") & (table["min_mentions"] == "1")]
    by_scorer = alpha_beta.set_index("scorer")["diff"]
    assert by_scorer["lexicon: framing-stance-v1"] < by_scorer["lexicon: softer-v1"]
    stream_multiverse(cfg, root=tmp_path / "streamed", n_jobs=1, chunk_articles=7)
    streamed = pd.read_parquet(next((tmp_path / "streamed" / "toy_lexicons").iterdir())
                               / "multiverse.parquet")
    pd.testing.assert_frame_equal(streamed, table, check_exact=False, rtol=1e-9)
    with pytest.raises(ConfigError, match=r"multiverse.lexicon\[0\]"):
        config.ExperimentConfig.from_dict(
            {"name": "m", "seed": 1, "corpus": {"inputs": [str(tmp_path / "toy.csv")]},
             "multiverse": {"lexicon": [str(tmp_path / "no-such-lexicon")]}})
