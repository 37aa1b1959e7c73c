"""The public API: the few calls a researcher makes in a notebook, each with a runnable example.

``import framing`` exposes them (``framing.load_corpus``, ``framing.score``...); the modules behind
them stay importable for everything else. The examples run on the bundled demo corpus (40
fictional articles written for this project) and are checked by the test suite.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

import pandas as pd

import framing
from framing.analysis import plots, report_tables, statistics
from framing.corpus import loading as corpus
from framing.infra.defaults import DEFAULT_TARGETS
from framing.report import build as report
from framing.runs import config, pipeline
from framing.stance.classifier import StanceClassifier  # noqa: F401 - public, see __all__
from framing.stance.features import LexiconVectorizer  # noqa: F401 - public
from framing.stance.scorer import Scorer, scoring_config
from framing.stance.settings import ScoringConfig, TargetsConfig  # noqa: F401 - public

# The public names are listed once, in framing/__init__.py.
__all__ = list(framing.__all__)


def demo_corpus() -> Path:
    """The bundled demo corpus: a JSON Lines file of 40 fictional articles (English and Dutch).

    >>> demo_corpus().name
    'articles.jsonl'
    """
    return config.demo_corpus_path() / "articles.jsonl"


def load_corpus(inputs: str | os.PathLike | Iterable[str | os.PathLike], **options: Any) -> pd.DataFrame:
    """Read files or folders (CSV, JSON Lines, JSON, Parquet, text, HTML) into the article table.

    One row per input article, whatever happened to it (``status`` and ``reason`` say); options
    as for :func:`framing.corpus.loading.load` (``column_map``, ``supported_languages``, ``dayfirst``...).

    >>> articles = load_corpus(demo_corpus())
    >>> len(articles), bool(articles["status"].eq("ok").all())
    (40, True)
    >>> sorted(articles["language"].unique())
    ['en', 'nl']
    """
    return corpus.load(inputs, **options)


def find_mentions(articles: pd.DataFrame, *, targets: str = DEFAULT_TARGETS, kinds: Sequence[str] = (),
                  n_jobs: int = 1) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Split the articles into sentences and find every mention of each target.

    Returns ``(sentences, mentions)``: one mention row per (sentence, target), with the aliases
    found, their character spans and who voices them (``voice``).

    >>> sentences, mentions = find_mentions(load_corpus(demo_corpus()))
    >>> sorted(mentions["target"].unique())
    ['CN', 'EU', 'US']
    >>> bool((mentions["n"] >= 1).all())
    True
    """
    spec = pipeline.TargetSpec(targets, (), tuple(kinds))
    return pipeline.sentences_and_mentions(articles, target_spec=spec, n_jobs=n_jobs)


def score(articles: pd.DataFrame, *, method: str = "lexicon", model: str | None = None,
          n_jobs: int = 1, **settings: Any) -> pd.DataFrame:
    """Stance per (article, target), in [-1, 1], with its label and evidence.

    ``method`` is "lexicon", "model" or "hybrid" (these need ``model``, a trained model's name or
    folder); other settings as for :func:`framing.stance.scorer.scoring_config` (``neutral_band``,
    ``target_kinds``, ``aggregation``...). For the other tables (mentions, frames, predictions)
    call a :class:`Scorer` directly.

    >>> scores = score(load_corpus(demo_corpus()))
    >>> bool(scores[["score", "confidence"]].abs().max().le(1).all())
    True
    >>> sorted(scores["label"].unique())
    ['against', 'favor', 'neutral']
    """
    config_ = scoring_config(method=method, model=model, **settings)
    return Scorer(config_)(articles, n_jobs=n_jobs, keep_mentions=False)["scores"]


def compare_outlets(scores: pd.DataFrame, *, by: str | Sequence[str] = "outlet", random_state: int,
                    **options: Any) -> pd.DataFrame:
    """Mean stance per outlet (or other group) and target, with a cluster-bootstrap interval.

    Options as for :func:`framing.analysis.statistics.outlet_table` (``n_boot``, ``min_n``, ``ci``); groups
    smaller than ``min_n`` articles get no interval and a warning.

    >>> table = compare_outlets(score(load_corpus(demo_corpus())), random_state=13, n_boot=200)
    >>> {"outlet", "target", "n_articles", "mean", "ci_low", "ci_high"} <= set(table.columns)
    True
    """
    return statistics.outlet_table(scores, by=by, random_state=random_state, **options)


def plot_outlets(table: pd.DataFrame, **options: Any) -> Any:
    """Heatmap of mean stance per outlet and target (a matplotlib Axes); options as for
    :func:`framing.analysis.plots.heatmap_outlet_target`. Save it with ``ax.figure.savefig(...)``.

    >>> table = compare_outlets(score(load_corpus(demo_corpus())), random_state=13, n_boot=200)
    >>> ax = plot_outlets(table)
    >>> ax.get_xlabel(), ax.get_ylabel()
    ('target', 'outlet')
    >>> import matplotlib.pyplot as plt; plt.close("all")
    """
    return plots.heatmap_outlet_target(table, **options)


def build_report(scores: pd.DataFrame, folder: str | os.PathLike, *, random_state: int,
                 articles: pd.DataFrame | None = None, title: str | None = None,
                 **options: Any) -> dict[str, Path]:
    """Compare the groups of ``scores`` and write tables, figures, ``report.html`` and
    ``report.md`` into ``folder``; options as for
    :func:`framing.analysis.report_tables.write_comparison`.

    >>> import tempfile
    >>> articles = load_corpus(demo_corpus())
    >>> with tempfile.TemporaryDirectory() as folder:
    ...     paths = build_report(score(articles), folder, articles=articles, random_state=13,
    ...                          n_boot=200, n_perm=199, formats=("svg",))
    ...     sorted(paths), paths["html"].read_text(encoding="utf-8").startswith("<!DOCTYPE html>")
    (['html', 'markdown'], True)
    """
    report_tables.write_comparison(scores, folder, articles=articles, random_state=random_state,
                                   **options)
    return report.build_report(folder, title=title)


def run_experiment(path: str | os.PathLike, *, root: str | os.PathLike = "reports/runs",
                   force: bool = False) -> Path:
    """Run an experiment config (TOML) end to end, as ``framing run``; returns ``report.html``.

    >>> run_experiment("experiments/eu_japan_2023.toml")  # doctest: +SKIP
    PosixPath('reports/runs/eu_japan_2023/.../report.html')
    """
    return pipeline.run_experiment(config.load_config(path), root=root, force=force)

