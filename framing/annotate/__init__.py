"""Coding by hand: sample, export, import, agreement, adjudication.

The annotation loop, module by module::

    run folder (articles, sentences, mentions) [+ model predictions]
      -> items.mention_items    one item per (article, sentence, target), with context and marked mention
      -> sample.sample_items    stratified, seeded draw (random | uncertainty | disagreement)
      -> export.write_sample    sample.csv (codebook header, empty label column), Label Studio tasks + config
      -> coders fill the label column (or code in Label Studio and export)
      -> importing.import_codes validate (read), agreement per target and label, disagreements, adjudication
      -> importing.write_import agreement tables, disagreements.csv, labelled.csv (+ its sha256)

``codebook`` reads the labels and their definitions; ``split`` assigns coded articles to
train/dev/test and keys coded items to their text without it; ``cli`` is ``framing annotate``.

The public names of these modules can be reached from here too (loaded on first use, so the CLI
stays light), except the function ``agreement``, whose name is its module's:
``framing.annotate.agreement.agreement``. Code in the project imports from the defining module.
"""

from __future__ import annotations

from importlib import import_module
from typing import Any

#: Public name -> the module of ``framing.annotate`` that defines it.
_HOME: dict[str, str] = {
    **dict.fromkeys(["DEFAULT_CODEBOOK", "Codebook", "load_codebook"], "codebook"),
    **dict.fromkeys(
        ["ALL", "ARTICLE_SENT_ID", "UNITS", "article_items", "item_id", "mark_spans",
         "mention_items", "read_run"],
        "items",
    ),
    **dict.fromkeys(
        ["ALLOCATIONS", "CODER_COLUMNS", "DEFAULT_STRATA", "PREDICTION_REQUIRED", "SAMPLE_COLUMNS",
         "STRATEGIES", "Sample", "sample_items"],
        "sample",
    ),
    **dict.fromkeys(["SPLIT_FRACTIONS", "keyed_items", "split_by_article"], "split"),
    **dict.fromkeys(
        ["LS_CONTROL", "LS_NOTE", "SAMPLE_FILES", "label_studio_config", "label_studio_tasks",
         "write_sample"],
        "export",
    ),
    **dict.fromkeys(["read_codes", "read_decisions", "read_sample", "read_sample_ids"], "read"),
    **dict.fromkeys(
        ["CODE_PREFIX", "adjudicate", "codes_sha256", "disagreements", "labelled_table"], "agreement"
    ),
    **dict.fromkeys(
        ["IMPORT_FILES", "LABEL_SOURCE_PREFIX", "ImportResult", "import_codes", "write_import"],
        "importing",
    ),
}

__all__ = sorted(_HOME)


def __getattr__(name: str) -> Any:
    if name in _HOME:
        return getattr(import_module(f"framing.annotate.{_HOME[name]}"), name)
    raise AttributeError(f"module 'framing.annotate' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted([*globals(), *__all__])
