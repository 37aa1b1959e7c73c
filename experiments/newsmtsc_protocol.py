"""The NewsMTSC study protocol: lexicon, TF-IDF, transformer and hybrid stance models on one protocol.

A study protocol, not package code: imported by the drivers beside it
(``newsmtsc_benchmark.py``, ``state_benchmark.py``; ``import newsmtsc_protocol``), built on
:mod:`framing.stance` (training knobs: :class:`framing.stance.training.TrainingSetup`; the lexicon
rule: :func:`framing.stance.features.lexicon_rule`).

Protocol of the NewsMTSC paper (Hamborg & Donnay, EACL 2021): train on ``train``, select on
``dev-rw`` (early stopping for the transformers, the regularisation strength for the linear
models), report macro-F1 and accuracy on ``test-rw`` and ``test-mt``.

Variants (``VARIANTS``):

``lexicon``
    No training: the sign of the lexicon feature ``polarity_sum`` of the row's mention gives the
    label (> 0 favor, < 0 against, 0 neutral; :func:`framing.stance.features.lexicon_rule`). This
    is the lexicon's own verdict, the number a user of lexicon-only scoring gets.
``lexicon_lr``
    Logistic regression on the standardised lexicon mention features, C chosen on dev-rw.
``tfidf``
    Logistic regression on TF-IDF word n-grams of the sentence plus the target's words as
    ``tgt_<word>`` tokens (so the same sentence can get different labels for different targets),
    C chosen on dev-rw.
``transformer``
    :class:`~framing.stance.classifier.StanceClassifier` without feature columns.
``hybrid``
    The same with the lexicon mention features as ``feature_columns``.

Lexicon features come from :class:`~framing.stance.features.LexiconVectorizer` in mention mode, with the
NewsMTSC span as the row's own mention. A target-set mention that overlaps that span would
otherwise compete with it for the cues (see :func:`framing.stance.features.labelled_mention_rows`),
so the row is given the id of the overlapping target.

Settings are read from a TOML file (:func:`load_benchmark_config`, example in
``experiments/newsmtsc_benchmark.toml``); results are tidy tables, one row per (variant, seed,
split), see ``RESULT_COLUMNS``.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import time
import tomllib
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from framing.infra import tableio
from framing.infra.errors import ConfigError
from framing.stance.evaluation import STANCE_LABELS, classification_report
from framing.stance.features import lexicon_rule
from framing.stance.training import NO_RESULT_KNOBS, TrainingSetup

VARIANTS: tuple[str, ...] = ("lexicon", "lexicon_lr", "tfidf", "transformer", "hybrid")
#: Variants that need the lexicon mention features.
LEXICON_VARIANTS: tuple[str, ...] = ("lexicon", "lexicon_lr", "hybrid")
NEURAL_VARIANTS: tuple[str, ...] = ("transformer", "hybrid")
TRAIN_SPLIT = "train"
SELECT_SPLIT = "dev-rw"
TEST_SPLITS: tuple[str, ...] = ("test-rw", "test-mt")
#: Prefix of the target's words in the TF-IDF text.
TARGET_TOKEN = "tgt_"

RESULT_COLUMNS: tuple[str, ...] = (
    "variant",
    "seed",
    "split",  # test-rw or test-mt
    "n",
    "macro_f1",
    "accuracy",
    "dev_macro_f1",  # on dev-rw, of the selected model
    "selected",  # what dev-rw selected: "C=1.0", "epoch=1", "" (nothing to select)
    "train_seconds",  # NaN for the untrained lexicon rule
    "epochs_run",  # transformers only (early stopping may cut it)
    "seconds_per_epoch",  # train_seconds / epochs_run (includes one dev-rw evaluation per epoch)
    "inference_seconds",  # features (lexicon variants) + prediction on the split
    "mentions_per_second",  # n / inference_seconds
    "lexicon_sha256",  # content hash of the lexicon behind the features ("" when none is used)
)

_TOP_KEYS = (
    "name",
    "seeds",
    "variants",
    "data_dir",
    "lexicon",
    "target_set",
    "language",
    "training",
    "linear",
    "tfidf",
    "paper",
)


@dataclasses.dataclass(frozen=True)
class BenchmarkConfig(TrainingSetup):
    """Settings of a benchmark run (see the module docstring and the example TOML).

    The training knobs (``training``, ``lexicon``, ``target_set``, ``language``) are those of
    :class:`framing.stance.training.TrainingSetup`, shared with ``framing train`` configs.

    Parameters
    ----------
    name : str
        Experiment name (the folder under ``reports/runs``).
    seeds : tuple of int
        One full run of every variant per seed.
    variants : tuple of str
        Among ``VARIANTS``.
    training : mapping
        ``TrainingArguments`` keys except ``seed`` (e.g. epochs, learning_rate, batch_size).
    linear : mapping
        ``C`` (list of candidate values selected on dev-rw) and ``max_iter`` for the logistic
        regressions.
    tfidf : mapping
        ``TfidfVectorizer`` keyword arguments (``ngram_range`` as a two-item list).
    paper : tuple of dict
        Published results to print beside ours: ``model``, ``macro_f1_rw``, ``macro_f1_mt``.
    data_dir : Path or None
        Shared data folder; None: ``framing.runs.config.data_dir()``.
    lexicon, target_set, language : str
        Lexicon and target set names, and the language of the sentences.
    source : Path or None
        The TOML file read.
    """

    name: str
    seeds: tuple[int, ...]
    variants: tuple[str, ...]
    linear: Mapping[str, Any]
    tfidf: Mapping[str, Any]
    paper: tuple[dict, ...] = ()
    data_dir: Path | None = None
    source: Path | None = None

    def to_dict(self) -> dict:
        """JSON-ready dict of the settings (for the manifest)."""
        out = dataclasses.asdict(self)
        out["data_dir"] = None if self.data_dir is None else self.data_dir.as_posix()
        out["source"] = None if self.source is None else self.source.as_posix()
        return json.loads(json.dumps(out, default=list))

    def settings_id(self) -> str:
        """12 hex chars identifying the settings that change a result.

        Seeds and variants are left out (runs of other seeds or variants share a folder), and so
        are the training knobs in ``NO_RESULT_KNOBS``.
        """
        keep = {k: v for k, v in self.to_dict().items() if k not in ("seeds", "variants", "source")}
        keep["training"] = {k: v for k, v in keep["training"].items() if k not in NO_RESULT_KNOBS}
        text = json.dumps(keep, sort_keys=True, ensure_ascii=False)
        return hashlib.sha256(text.encode("utf-8")).hexdigest()[:12]


def load_benchmark_config(
    path: str | Path,
    *,
    variants: Sequence[str] | None = None,
    seeds: Sequence[int] | None = None,
    epochs: int | None = None,
    threads: int | None = None,
    precision: str | None = None,
) -> BenchmarkConfig:
    """Read a benchmark TOML file; ``variants``, ``seeds``, ``epochs``, ``threads``,
    ``precision`` (training: "fp32" or "bf16") override it.

    Raises
    ------
    ConfigError
        Unreadable file, unknown key or variant, missing or non-integer seeds, bad epochs; the
        message names the file and what is accepted.
    """
    path = Path(path)
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as err:
        raise ConfigError(f"cannot read benchmark config {path}: {err}") from err
    unknown = sorted(set(data) - set(_TOP_KEYS))
    if unknown:
        raise ConfigError(f"{path}: unknown keys {unknown}; accepted: {list(_TOP_KEYS)}")
    seeds = list(seeds if seeds is not None else data.get("seeds", []))
    if not seeds or not all(isinstance(s, int) and not isinstance(s, bool) for s in seeds):
        raise ConfigError(f"{path}: seeds must be a non-empty list of integers; received {seeds!r}")
    variants = list(variants if variants is not None else data.get("variants", VARIANTS))
    bad = [v for v in variants if v not in VARIANTS]
    if bad or not variants:
        raise ConfigError(f"{path}: unknown variants {bad or variants}; accepted: {list(VARIANTS)}")
    training = dict(data.get("training", {}))
    if "seed" in training:
        raise ConfigError(f"{path}: training.seed is not accepted; give the top-level seeds list")
    if epochs is not None:
        if not isinstance(epochs, int) or epochs < 1:
            raise ConfigError(f"epochs must be a positive integer; received {epochs!r}")
        training["epochs"] = epochs
    if precision is not None and precision != "fp32":
        # fp32 is the default and stays out of the settings: earlier results keep their folder.
        training["precision"] = precision
    if threads is not None:
        if not isinstance(threads, int) or threads < 1:
            raise ConfigError(f"threads must be a positive integer; received {threads!r}")
        training["num_threads"] = threads
    data_dir = data.get("data_dir")
    setup = TrainingSetup()  # the defaults of the shared knobs
    return BenchmarkConfig(
        name=str(data.get("name", path.stem)),
        seeds=tuple(dict.fromkeys(seeds)),
        variants=tuple(dict.fromkeys(variants)),
        training=training,
        linear=dict(data.get("linear", {})),
        tfidf=dict(data.get("tfidf", {})),
        paper=tuple(dict(row) for row in data.get("paper", [])),
        data_dir=(path.parent / data_dir).resolve() if data_dir else None,
        lexicon=str(data.get("lexicon", setup.lexicon)),
        target_set=str(data.get("target_set", setup.target_set)),
        language=str(data.get("language", setup.language)),
        source=path.resolve(),
    )


# -- features ----------------------------------------------------------------------------------


def add_lexicon_features(
    table: pd.DataFrame, vectorizer: Any, target_set: Any, language: str
) -> tuple[pd.DataFrame, list[str], float]:
    """Return (table with ``lex__<feature>`` columns, their names, seconds taken).

    ``vectorizer`` is a fitted ``LexiconVectorizer(unit="mention")``; the columns come from
    :func:`framing.stance.features.lexicon_feature_table`.
    """
    from framing.stance.features import (
        labelled_mention_rows,
        lexicon_feature_table,
        with_feature_columns,
    )

    started = time.perf_counter()
    features = lexicon_feature_table(labelled_mention_rows(table, target_set, language), vectorizer)
    seconds = time.perf_counter() - started
    return with_feature_columns(table, features), list(features.columns), seconds


def with_lexicon_features(
    data: Mapping[str, pd.DataFrame], cfg: BenchmarkConfig
) -> tuple[dict[str, pd.DataFrame], list[str], dict[str, float], Any]:
    """Add the lexicon mention features of ``cfg`` to every split.

    Returns
    -------
    (data, feature names, seconds per split, the loaded Lexicon)
    """
    from framing.stance.features import mention_vectorizer
    from framing.text.targets import load_targets

    target_set = load_targets(cfg.target_set)
    vec = mention_vectorizer(cfg.lexicon, target_set=target_set, language=cfg.language)
    out, names, seconds = {}, [], {}
    for split, table in data.items():
        out[split], names, seconds[split] = add_lexicon_features(
            table, vec, target_set, cfg.language
        )
    return out, names, seconds, vec.lexicon_


def lexicon_rule_info(dev: pd.DataFrame) -> dict:
    """Dev-rw macro-F1 of the lexicon rule (nothing is selected; reported for comparison)."""
    report = classification_report(dev["label"], lexicon_rule(dev), labels=STANCE_LABELS)
    return {"dev_macro_f1": report["macro_f1"]}


def tfidf_text(table: pd.DataFrame) -> list[str]:
    """Sentence plus the target's words as ``tgt_<word>`` tokens (the TF-IDF input).

    Examples
    --------
    >>> tfidf_text(pd.DataFrame({"sentence": ["Norland won."], "target": ["Norland Inc"]}))
    ['Norland won. tgt_norland tgt_inc']
    """
    return [
        f"{s} " + " ".join(f"{TARGET_TOKEN}{w}" for w in str(t).lower().split())
        for s, t in zip(table["sentence"], table["target"], strict=True)
    ]


# -- models ------------------------------------------------------------------------------------


def linear_model(variant: str, C: float, seed: int, linear: Mapping, tfidf: Mapping) -> Any:
    """Unfitted scikit-learn pipeline of ``lexicon_lr`` or ``tfidf`` (input: ``model_input``)."""
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    lr = LogisticRegression(
        C=C, class_weight="balanced", random_state=seed, max_iter=int(linear.get("max_iter", 2000))
    )
    if variant == "tfidf":
        options = dict(tfidf)
        if "ngram_range" in options:
            options["ngram_range"] = tuple(options["ngram_range"])
        return make_pipeline(TfidfVectorizer(**options), lr)
    if variant == "lexicon_lr":
        return make_pipeline(StandardScaler(), lr)
    raise ConfigError(f"linear_model: variant {variant!r}; accepted: 'lexicon_lr', 'tfidf'")


def model_input(variant: str, table: pd.DataFrame, feature_columns: Sequence[str]) -> Any:
    """What a variant's model reads from a labelled table."""
    if variant == "tfidf":
        return tfidf_text(table)
    if variant == "lexicon_lr":
        return table[list(feature_columns)].to_numpy(dtype=float)
    return table


def fit_select_linear(
    variant: str,
    train: pd.DataFrame,
    dev: pd.DataFrame,
    feature_columns: Sequence[str],
    seed: int,
    linear: Mapping,
    tfidf: Mapping,
) -> tuple[Any, dict]:
    """Fit one model per candidate C, keep the best on dev macro-F1 (ties: the first C).

    Returns
    -------
    (model, info)
        ``info``: ``selected`` ("C=..."), ``dev_macro_f1``, ``train_seconds`` (of the kept fit).
    """
    best = None
    X_train = model_input(variant, train, feature_columns)
    X_dev = model_input(variant, dev, feature_columns)
    for C in linear.get("C", [1.0]):
        model = linear_model(variant, float(C), seed, linear, tfidf)
        started = time.perf_counter()
        model.fit(X_train, train["label"].to_numpy())
        seconds = time.perf_counter() - started
        f1 = classification_report(dev["label"], model.predict(X_dev), labels=STANCE_LABELS)[
            "macro_f1"
        ]
        if best is None or f1 > best[1]["dev_macro_f1"]:
            best = (
                model,
                {"selected": f"C={float(C)}", "dev_macro_f1": f1, "train_seconds": seconds},
            )
    return best


def result_rows(
    variant: str,
    seed: int,
    splits: Mapping[str, pd.DataFrame],
    predict: Any,
    info: Mapping[str, Any],
    extra_seconds: Mapping[str, float] | None = None,
    lexicon_sha256: str = "",
) -> tuple[pd.DataFrame, dict[str, np.ndarray]]:
    """Score ``predict(table) -> labels`` on each test split; returns (results, predictions).

    ``info`` holds ``dev_macro_f1``, ``selected``, ``train_seconds``, ``epochs_run`` (each
    optional); ``extra_seconds[split]`` (feature extraction) is added to the timed prediction.
    """
    rows, predictions = [], {}
    for split, table in splits.items():
        started = time.perf_counter()
        predicted = np.asarray(predict(table), dtype=object)
        seconds = time.perf_counter() - started + (extra_seconds or {}).get(split, 0.0)
        report = classification_report(table["label"], predicted, labels=STANCE_LABELS)
        epochs = info.get("epochs_run")
        rows.append(
            {
                "variant": variant,
                "seed": seed,
                "split": split,
                "n": len(table),
                "macro_f1": report["macro_f1"],
                "accuracy": report["accuracy"],
                "dev_macro_f1": info.get("dev_macro_f1", np.nan),
                "selected": info.get("selected", ""),
                "train_seconds": info.get("train_seconds", np.nan),
                "epochs_run": epochs if epochs is not None else pd.NA,
                "seconds_per_epoch": info["train_seconds"] / epochs if epochs else np.nan,
                "inference_seconds": seconds,
                "mentions_per_second": len(table) / seconds if seconds > 0 else np.nan,
                "lexicon_sha256": lexicon_sha256,
            }
        )
        predictions[split] = predicted
    out = pd.DataFrame(rows, columns=list(RESULT_COLUMNS))
    out["epochs_run"] = out["epochs_run"].astype("Int64")
    return out, predictions


def read_results(paths: Sequence[str | Path]) -> pd.DataFrame:
    """Concatenate per-(variant, seed) result CSVs into one tidy table, sorted, dtypes restored."""
    text = {"variant": str, "split": str, "selected": str, "lexicon_sha256": str}
    frames = [tableio.read_csv(p, dtype=text, keep_default_na=False, na_values=[""]) for p in paths]
    if not frames:
        raise ConfigError("no result files to combine: run at least one variant and seed")
    out = pd.concat(frames, ignore_index=True).reindex(columns=list(RESULT_COLUMNS))
    out["epochs_run"] = out["epochs_run"].astype("Int64")
    for col in ("selected", "lexicon_sha256"):
        out[col] = out[col].astype(object).fillna("")
    return out.sort_values(["variant", "seed", "split"], kind="stable", ignore_index=True)


def neural_info(clf: Any) -> dict:
    """Selection and timing summary of a fitted ``StanceClassifier`` (for :func:`result_rows`)."""
    history = list(getattr(clf, "history_", []))
    epochs = len({h["epoch"] for h in history}) or None
    dev = (clf.metrics_.get("dev") or {}).get("macro_f1", np.nan)
    return {
        "selected": f"epoch={clf.metrics_.get('best_epoch')}",
        "dev_macro_f1": dev,
        "train_seconds": clf.train_seconds_,
        "epochs_run": epochs,
    }


# -- reporting ---------------------------------------------------------------------------------


def summarise(results: pd.DataFrame) -> pd.DataFrame:
    """One row per variant: mean and sd over seeds of the test metrics, speed, seeds run."""
    wide = results.pivot_table(
        index=["variant", "seed"], columns="split", values=["macro_f1", "accuracy"], aggfunc="first"
    )
    wide.columns = [f"{m}_{s.removeprefix('test-')}" for m, s in wide.columns]
    wide = wide.reset_index()
    speed = results.groupby(["variant", "seed"], as_index=False).agg(
        seconds_per_epoch=("seconds_per_epoch", "first"),
        mentions_per_second=("mentions_per_second", "mean"),
    )
    wide = wide.merge(speed, on=["variant", "seed"])
    metrics = [c for c in wide.columns if c not in ("variant", "seed")]
    grouped = wide.groupby("variant", sort=False)
    out = grouped[metrics].mean()
    for col in [c for c in metrics if c.startswith(("macro_f1", "accuracy"))]:
        out[f"{col}_sd"] = grouped[col].std(ddof=1)
    out["seeds"] = grouped["seed"].apply(lambda s: ",".join(map(str, sorted(s))))
    order = [v for v in VARIANTS if v in out.index]
    return out.loc[order].reset_index()


def markdown_table(summary: pd.DataFrame, paper: Sequence[Mapping[str, Any]]) -> str:
    """Markdown table of our variants (mean ± sd over seeds) above the paper's numbers."""

    def cell(row: Any, col: str) -> str:
        value = row.get(col, np.nan)
        if pd.isna(value):
            return "–"
        sd = row.get(f"{col}_sd", np.nan)
        return f"{100 * value:.1f}" + ("" if pd.isna(sd) else f" ± {100 * sd:.1f}")

    lines = [
        "| model | seeds | macro-F1 test-rw | macro-F1 test-mt | acc. test-rw | acc. test-mt "
        "| s/epoch | mentions/s |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for _, row in summary.iterrows():
        spe = "–" if pd.isna(row["seconds_per_epoch"]) else f"{row['seconds_per_epoch']:.0f}"
        lines.append(
            f"| {row['variant']} (ours) | {row['seeds']} | {cell(row, 'macro_f1_rw')} | "
            f"{cell(row, 'macro_f1_mt')} | {cell(row, 'accuracy_rw')} | {cell(row, 'accuracy_mt')} "
            f"| {spe} | {row['mentions_per_second']:.0f} |"
        )
    for row in paper:
        lines.append(
            f"| {row['model']} (paper) | – | {row['macro_f1_rw']:.1f} | "
            f"{row['macro_f1_mt']:.1f} | – | – | – | – |"
        )
    return "\n".join(lines) + "\n"
