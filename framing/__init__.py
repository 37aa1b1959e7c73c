"""framing: stance toward target actors and frames in multi-outlet, multilingual news corpora.

The calls a notebook needs (each has a runnable example: ``help(framing.score)``)::

    articles = framing.load_corpus("articles.csv")          # the article table, every row accounted for
    sentences, mentions = framing.find_mentions(articles)   # every mention of the US, China, the EU...
    scores = framing.score(articles, method="lexicon")      # stance per (article, target), with evidence
    table = framing.compare_outlets(scores, random_state=13)  # mean stance per outlet, bootstrap CIs
    ax = framing.plot_outlets(table)                        # heatmap outlet x target
    framing.build_report(scores, "out", articles=articles, random_state=13)  # report.html + report.md
    framing.run_experiment("experiments/eu_japan_2023.toml")  # a whole study from its config

Also: ``demo_corpus()`` (the bundled fictional corpus), ``ScoringConfig`` / ``TargetsConfig`` /
``Scorer`` (the one scorer behind ``framing score``, ``stream`` and ``run``), and the two
scikit-learn estimators ``LexiconVectorizer`` (lexicon features) and ``StanceClassifier`` (the
fine-tunable transformer, optionally fused with lexicon features). See docs/api.md.
"""

from __future__ import annotations

from typing import Any

__version__ = "0.1.0"


def _quiet_openmp() -> None:
    # Before anything imports torch: idle OpenMP threads sleep instead of spinning, so a busy
    # machine slows framing down in proportion (framing.infra.threads explains why).
    from framing.infra.threads import quiet_openmp

    quiet_openmp()


_quiet_openmp()

#: The public API, loaded on first use so that ``import framing`` (and the CLI) stays light.
__all__ = [
    "LexiconVectorizer",
    "Scorer",
    "ScoringConfig",
    "StanceClassifier",
    "TargetsConfig",
    "build_report",
    "compare_outlets",
    "demo_corpus",
    "find_mentions",
    "load_corpus",
    "plot_outlets",
    "run_experiment",
    "score",
]


def __getattr__(name: str) -> Any:
    if name in __all__:
        from framing import api

        return getattr(api, name)
    raise AttributeError(f"module 'framing' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted([*globals(), *__all__])
