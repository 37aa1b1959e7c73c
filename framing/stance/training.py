"""Train, evaluate and weakly supervise stance models: what ``framing train`` and ``framing evaluate`` run.

A training config is one TOML file (:func:`load_train_config`)::

    name = "newsmtsc-hybrid"          # the model is saved as <models_dir>/<name>
    seed = 13
    base_model = ""                   # encoder folder; "" = the bundled all-MiniLM-L6-v2
    lexicon = "framing-stance-v1"     # lexicon features fused into the model; "" = transformer only
    target_set = "targets-v1"
    language = "en"                   # language of rows without a language column

    [data]
    train = "newsmtsc:train"          # "newsmtsc:<split>" or a labelled .csv/.jsonl file
    dev = "newsmtsc:dev-rw"           # optional: early stopping and checkpoint choice
    test = ["newsmtsc:test-rw", "newsmtsc:test-mt"]   # optional: evaluated after training
    cv_folds = 5                      # optional, only without test: K-fold cross-validation
    [data.columns]                    # our column -> the file's column (see datasets.load_labelled)
    sentence = "text"

    [training]                        # framing.stance.classifier.TrainingArguments (seed from the top)
    epochs = 2

Paths may use ``{data_dir}`` (``config.data_dir()``) and ``{config_dir}``; relative paths resolve
against the config's folder.

Saved with the model (``framing_training.json``): the resolved config, the sha256 of every data
file, whether the labels are weak, the test reports, the cross-validation results and, for labels
coded by people, the provenance of the codes. :func:`evaluate` scores any labelled file; it refuses
weak labels (evaluating a model on the labels it learned from the lexicon measures agreement with
the lexicon, not accuracy).

Cross-validation (:func:`cross_validate`)
-----------------------------------------
Coded data rarely comes with a separate test set. With ``data.cv_folds = K`` (and no
``data.test``), the training rows are split into K stratified folds (scikit-learn
``StratifiedKFold``, shuffled with the config's seed); for each fold a fresh model with the same
arguments is trained on the other K - 1 folds (the ``dev`` set, if any, still chooses its
checkpoint; a held-out fold never does) and predicts the held-out fold. The record's
``cross_validation`` holds macro-F1 and accuracy per fold, their mean and sample standard
deviation (ddof 1), and the classification report of the pooled out-of-fold predictions (every
row predicted once, by the model that did not see it). The final model is then trained on all rows
as without cross-validation. Lexicon features are computed per row, without fitting, so computing
them once for all rows leaks nothing; their standardisation is fitted inside each fold's ``fit``.

Coded data
----------
When the training file holds rows coded by people (``label_source`` ``"coded:<codebook>"``, the
``labelled.csv`` of ``framing annotate import``), the record's ``coded_data`` gives the sha256 of
that file, the codebook, and, when the ``import.json`` of that import sits beside the file and
describes this very file (same sha256), the sha256 of the codes themselves
(:func:`framing.annotate.agreement.codes_sha256`): the model can be traced back to who coded what.

Weak supervision (:func:`weak_labels`)
--------------------------------------
For a corpus without labels: every (article, sentence, target) of the mention table is labelled
by the lexicon where the lexicon is confident, and only there:

- ``against``: the cues attributed to the target sum to at most ``-margin`` and none is positive;
- ``favor``: at least ``+margin`` and none is negative;
- ``neutral``: the sentence has no lexicon cue at all (of any category, for any target);
- anything else (mixed or weak cues) is left out.

At most ``per_label`` rows per label are drawn (seeded). The file records
``label_source = "weak:<lexicon>@<sha12>"`` on every row. A model trained on it is marked weakly
supervised in its card; report its quality only on independent gold labels.
"""

from __future__ import annotations

import dataclasses
import difflib
import json
import os
import time
import tomllib
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from framing.infra import paths, schema, tableio
from framing.infra.defaults import DEFAULT_LEXICON, DEFAULT_TARGETS
from framing.infra.errors import ConfigError

#: Prefix of a dataset spec naming a NewsMTSC split, e.g. "newsmtsc:train".
NEWSMTSC_PREFIX = "newsmtsc:"
#: Prefix of a dataset spec naming a split of the coded state set, e.g. "state:train" or
#: "state:test-nl" (``datasets.load_state``: mention items, text read from the shared corpora);
#: "@<set>" names another coded set (bundled name or folder): "state:train@state-pairs-v1".
STATE_PREFIX = "state:"
#: Prefix of a dataset spec naming the state-target rows of a split of the directed-sentiment set
#: (Park, Pan & Joo 2021), e.g. "park:test" (``datasets.load_park``).
PARK_PREFIX = "park:"
#: Joins several dataset specs into one training set: "newsmtsc:train + state:train".
SPEC_JOIN = " + "
_BUILTIN_PREFIXES = (NEWSMTSC_PREFIX, STATE_PREFIX, PARK_PREFIX)
#: Column of a labelled file that says where its labels come from; "weak:..." marks weak labels.
LABEL_SOURCE_COLUMN = "label_source"
WEAK_PREFIX = "weak:"
TRAINING_META = "framing_training.json"
_TOP_KEYS = ("name", "seed", "base_model", "lexicon", "target_set", "language", "voice_features",
             "pooling", "data", "training")
_DATA_KEYS = ("train", "dev", "test", "columns", "cv_folds")
#: Training knobs that change speed or logging, not the result (torch threads may change float
#: rounding in the last digits; accepted, so that a rerun on another machine shares the folder).
NO_RESULT_KNOBS: tuple[str, ...] = (
    "num_threads",
    "progress_bar",
    "eval_batch_size",
    "checkpoint_dir",
)


@dataclass(frozen=True, kw_only=True)
class TrainingSetup:
    """The training knobs every stance-model config shares, defined once.

    :class:`TrainConfig` (``framing train``) and the NewsMTSC study's ``BenchmarkConfig``
    (``experiments/newsmtsc_protocol.py``) both derive from it. The knobs stay a table of
    :class:`~framing.stance.classifier.TrainingArguments` keys as the config gave them (not every
    default), so a config's ``to_dict`` and the ids hashed from it hold what the file said.

    Parameters
    ----------
    training : mapping
        ``TrainingArguments`` keys except ``seed`` (the seed is the config's own).
    lexicon : str
        Lexicon of the lexicon features ("" in a ``TrainConfig``: transformer only).
    target_set : str
        Target set whose mentions the lexicon features are attributed to.
    language : str
        Language of rows without a ``language`` column.

    Examples
    --------
    >>> setup = TrainingSetup(training={"epochs": 2, "num_threads": 1})
    >>> setup.training_arguments(13).epochs, setup.result_knobs()
    (2, {'epochs': 2})
    """

    training: Mapping[str, Any] = field(default_factory=dict)
    lexicon: str = DEFAULT_LEXICON
    target_set: str = DEFAULT_TARGETS
    language: str = "en"

    def training_arguments(self, seed: int) -> Any:
        """The :class:`~framing.stance.classifier.TrainingArguments` of the knobs with ``seed``."""
        from framing.stance.classifier import TrainingArguments

        return TrainingArguments.from_dict({**self.training, "seed": seed})

    def result_knobs(self) -> dict[str, Any]:
        """The knobs that change a result: ``training`` without ``NO_RESULT_KNOBS``."""
        return {k: v for k, v in self.training.items() if k not in NO_RESULT_KNOBS}


@dataclass(frozen=True)
class TrainConfig(TrainingSetup):
    """A validated training config (see the module docstring); the knobs of :class:`TrainingSetup`."""

    name: str
    seed: int
    train: str
    base_model: str = ""
    dev: str = ""
    test: tuple[str, ...] = ()
    columns: Mapping[str, str] = field(default_factory=dict)
    cv_folds: int | None = None
    #: Also give the model the voice of each mention (framing.text.voice: reported / quoted / speaker).
    voice_features: bool = False
    #: How the encoder's tokens become one vector (``StanceClassifier.pooling``): "mean", or
    #: "mean+mention" (the sentence mean beside the mean of the mention's own tokens).
    pooling: str = "mean"
    source: str = field(default="", compare=False)

    def to_dict(self) -> dict[str, Any]:
        out = dataclasses.asdict(self)
        if self.cv_folds is None:
            # Left out rather than null: the dict is part of the key under which `framing run`
            # reuses a trained model, and models trained before cv_folds existed stay valid.
            del out["cv_folds"]
        if not self.voice_features:
            del out["voice_features"]  # as cv_folds: models trained before it existed stay valid
        if self.pooling == "mean":
            del out["pooling"]  # likewise
        out["test"] = list(self.test)
        out["columns"] = dict(self.columns)
        out["training"] = dict(self.training)
        return out

    def arguments(self) -> Any:
        """The :class:`~framing.stance.classifier.TrainingArguments` of this config."""
        return self.training_arguments(self.seed)


def _unknown(key: str, allowed: Sequence[str], where: str, file: str) -> ConfigError:
    match = difflib.get_close_matches(key, list(allowed), n=1, cutoff=0.6)
    hint = f"; did you mean {match[0]}?" if match else ""
    return ConfigError(f"unknown key {key} in {file}{hint} (accepted in {where}: {', '.join(allowed)})")


def train_config_from_dict(
    data: Mapping[str, Any], *, source: str | os.PathLike = "<dict>", base_dir: Path | None = None
) -> TrainConfig:
    """Validate a mapping shaped like a training TOML file (see the module docstring)."""
    file = str(source)
    base = base_dir or (Path(source).resolve().parent if file != "<dict>" else Path.cwd())
    seed, section = _checked_keys(data, file)
    folders = {"data_dir": paths.data_dir(), "config_dir": base}

    def spec(key: str, value: Any) -> str:
        return _resolve_spec(key, value, file, base, folders)

    tests, cv_folds = _tests_and_folds(section, file)
    columns, training = _columns_and_training(data, section, file)
    strings = _strings(data, file, spec)
    voice, name = _voice_and_name(data, file)
    pooling = _pooling(data, file)
    out = TrainConfig(
        name=name,
        seed=seed,
        train=spec("data.train", section["train"]),
        dev=spec("data.dev", section["dev"]) if section.get("dev") else "",
        test=tuple(spec("data.test", t) for t in tests),
        columns=dict(columns),
        training=dict(training),
        cv_folds=cv_folds,
        voice_features=voice,
        pooling=pooling,
        source=file,
        **strings,
    )
    try:
        out.arguments()
    except ConfigError as err:
        raise ConfigError(f"[training] in {file}: {err}") from None
    return out


def _checked_keys(data: Mapping[str, Any], file: str) -> tuple[int, Mapping[str, Any]]:
    """(seed, [data] table) of a training config whose keys are all known and present."""
    for key in data:
        if key not in _TOP_KEYS:
            raise _unknown(key, _TOP_KEYS, "the top level", file)
    for key in ("seed", "data"):
        if key not in data:
            raise ConfigError(f"{file}: the key {key} is required")
    seed = data["seed"]
    if isinstance(seed, bool) or not isinstance(seed, int) or not 0 <= seed < 2**32:
        raise ConfigError(f"seed in {file}: expected an integer in [0, 2**32), received {seed!r}")
    section = data["data"]
    if not isinstance(section, Mapping):
        raise ConfigError(f"data in {file}: expected a table [data]")
    for key in section:
        if key not in _DATA_KEYS:
            raise _unknown(f"data.{key}", [f"data.{k}" for k in _DATA_KEYS], "[data]", file)
    if "train" not in section:
        raise ConfigError(f"data.train in {file} is required: a labelled file or 'newsmtsc:train'")
    return seed, section


def _resolve_spec(key: str, value: Any, file: str, base: Path, folders: Mapping[str, Path]) -> str:
    """A dataset spec of the config: built-in specs as they are, paths resolved against ``base``."""
    if isinstance(value, list) and value and key in ("data.train", "data.dev"):
        return SPEC_JOIN.join(_resolve_spec(key, v, file, base, folders) for v in value)
    if not isinstance(value, str) or not value.strip():
        raise ConfigError(
            f"{key} in {file}: expected a file path, 'newsmtsc:<split>' or 'state:<split>' "
            f"(data.train and data.dev also a list of these), received {value!r}"
        )
    if value.startswith(_BUILTIN_PREFIXES):
        if value.startswith(STATE_PREFIX):
            _state_spec(value, f"{key} in {file}")
        return value
    text = value.format(**{k: str(v) for k, v in folders.items()})
    path = Path(text).expanduser()
    return str(path if path.is_absolute() else (base / path).resolve())


def _tests_and_folds(section: Mapping[str, Any], file: str) -> tuple[list, int | None]:
    """``data.test`` as a list and ``data.cv_folds`` (None or >= 2, only without test sets)."""
    tests = section.get("test", [])
    if isinstance(tests, str):
        tests = [tests]
    if not isinstance(tests, list):
        raise ConfigError(f"data.test in {file}: expected a list of datasets, received {tests!r}")
    cv_folds = section.get("cv_folds")
    if cv_folds is not None:
        if isinstance(cv_folds, bool) or not isinstance(cv_folds, int) or cv_folds < 2:
            raise ConfigError(
                f"data.cv_folds in {file}: expected an integer >= 2 (the number of "
                f"cross-validation folds), received {cv_folds!r}"
            )
        if tests:
            raise ConfigError(
                f"data.cv_folds in {file}: cross-validation is for data without a separate test "
                "set, but data.test is given too; keep one of them"
            )
    return tests, cv_folds


def _columns_and_training(
    data: Mapping[str, Any], section: Mapping[str, Any], file: str
) -> tuple[Mapping[str, str], Mapping[str, Any]]:
    """``data.columns`` and the ``[training]`` table (without a seed of its own)."""
    columns = section.get("columns", {})
    if not isinstance(columns, Mapping) or not all(isinstance(v, str) for v in columns.values()):
        raise ConfigError(f"data.columns in {file}: expected a table of column names")
    training = data.get("training", {})
    if not isinstance(training, Mapping):
        raise ConfigError(f"training in {file}: expected a table [training]")
    if "seed" in training:
        raise ConfigError(f"training.seed in {file}: give the seed once, at the top level")
    return columns, training


def _strings(data: Mapping[str, Any], file: str, spec: Callable[[str, Any], str]) -> dict[str, str]:
    """``base_model``, ``lexicon``, ``target_set`` and ``language``, defaults filled in."""
    strings = {}
    setup = TrainingSetup()  # the defaults of the shared knobs
    for key, default in (("base_model", ""), ("lexicon", setup.lexicon),
                         ("target_set", setup.target_set), ("language", setup.language)):
        value = data.get(key, default)
        if not isinstance(value, str):
            raise ConfigError(f"{key} in {file}: expected text, received {value!r}")
        strings[key] = value
    if strings["base_model"]:
        # A folder beside the config (or any path) wins; a bare name that is no such folder is
        # a model name under models_dir().
        as_path = spec("base_model", strings["base_model"])
        if not paths.is_name(strings["base_model"]) or Path(as_path).is_dir():
            strings["base_model"] = as_path
    return strings


def _voice_and_name(data: Mapping[str, Any], file: str) -> tuple[bool, str]:
    """``voice_features`` and the model name (default: the config file's stem)."""
    voice = data.get("voice_features", False)
    if not isinstance(voice, bool):
        raise ConfigError(f"voice_features in {file}: expected true or false, received {voice!r}")
    name = data.get("name", Path(file).stem if file != "<dict>" else "")
    if not isinstance(name, str) or not paths.is_name(name):
        raise ConfigError(
            f"name in {file}: expected a model name without path separators, received {name!r}"
        )
    return voice, name


def _pooling(data: Mapping[str, Any], file: str) -> str:
    """``pooling``: one of ``framing.stance.classifier.POOLINGS`` (default "mean")."""
    from framing.stance.classifier import POOLINGS

    pooling = data.get("pooling", "mean")
    if pooling not in POOLINGS:
        raise ConfigError(f"pooling in {file}: received {pooling!r}; accepted: {', '.join(POOLINGS)}")
    return pooling


def load_train_config(path: str | os.PathLike) -> TrainConfig:
    """Read and validate a training config (TOML); errors name the file and the key."""
    path = Path(path)
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ConfigError(f"training config not found: {path}") from None
    except (UnicodeDecodeError, tomllib.TOMLDecodeError) as err:
        raise ConfigError(f"{path} is not valid UTF-8 TOML: {err}") from None
    return train_config_from_dict(data, source=path)


# ---------------------------------------------------------------------------------------------
# Data


def _state_spec(spec: str, where: str) -> tuple[str, str | None, str | None]:
    """(split, language or None, coded set or None) of ``"state:<split>[-<language>][@<set>]"``."""
    from framing.stance.datasets import STATE_SPLITS

    body, at, coded_set = spec[len(STATE_PREFIX):].partition("@")
    split, _, language = body.partition("-")
    if split not in STATE_SPLITS or (language and not language.isalpha()) or (at and not coded_set):
        raise ConfigError(
            f"{where}: {spec!r} is not a state split; accepted: "
            + ", ".join(f"state:{s}" for s in STATE_SPLITS) + ", optionally with a language (state:test-nl) "
            "and another coded set (state:train@state-pairs-v1)"
        )
    return split, language or None, coded_set or None


def load_dataset(spec: str, *, columns: Mapping[str, str] | None = None) -> pd.DataFrame:
    """A labelled table from ``"newsmtsc:<split>"``, ``"state:<split>[-<language>]"``, a labelled
    CSV/JSONL file, or several of these joined by ``" + "``.

    Returns
    -------
    DataFrame
        ``datasets.LABELLED_COLUMNS`` plus ``label_source`` (``""`` when the file has none) and,
        when the data has them, ``language`` and ``target_id``.
    """
    from framing.stance import datasets

    if SPEC_JOIN in spec:
        parts = [load_dataset(part, columns=columns) for part in spec.split(SPEC_JOIN)]
        return pd.concat(parts, ignore_index=True)
    if spec.startswith(STATE_PREFIX):
        split, language, coded_set = _state_spec(spec, "dataset")
        table = datasets.load_state(split, language=language, folder=coded_set)
        return table[[*datasets.LABELLED_COLUMNS, LABEL_SOURCE_COLUMN, "language", "target_id"]]
    if spec.startswith(PARK_PREFIX):
        table = datasets.load_park(spec[len(PARK_PREFIX):])
        return table[[*datasets.LABELLED_COLUMNS, LABEL_SOURCE_COLUMN, "language", "target_id"]]
    if spec.startswith(NEWSMTSC_PREFIX):
        table = datasets.load_newsmtsc(spec[len(NEWSMTSC_PREFIX):])
        return table.assign(**{LABEL_SOURCE_COLUMN: "newsmtsc"})
    table = datasets.load_labelled(spec, column_map=columns)
    extra = _extra_columns(Path(spec), (LABEL_SOURCE_COLUMN, "language", "target_id"))
    for name, values in extra.items():
        if len(values) == len(table):
            table[name] = values
    if LABEL_SOURCE_COLUMN not in table.columns:
        table[LABEL_SOURCE_COLUMN] = ""
    return table


def _extra_columns(path: Path, names: Sequence[str]) -> dict[str, list[str]]:
    if path.suffix.lower() == ".csv":
        raw = tableio.read_csv(path, dtype=str, keep_default_na=False)
    else:
        raw = pd.read_json(path, lines=True, dtype=False)
    return {n: raw[n].fillna("").astype(str).tolist() for n in names if n in raw.columns}


def is_weak(table: pd.DataFrame) -> bool:
    """Whether any label of ``table`` is weak (``label_source`` starting with ``"weak:"``)."""
    if LABEL_SOURCE_COLUMN not in table.columns:
        return False
    return bool(table[LABEL_SOURCE_COLUMN].astype(str).str.startswith(WEAK_PREFIX).any())


def dataset_sha256(spec: str) -> str:
    """Content hash of the file behind a dataset spec."""
    from framing.infra.tableio import file_sha256
    from framing.stance import datasets

    if SPEC_JOIN in spec:
        import hashlib

        joined = "\n".join(f"{part}\t{dataset_sha256(part)}" for part in spec.split(SPEC_JOIN))
        return hashlib.sha256(joined.encode()).hexdigest()
    if spec.startswith(STATE_PREFIX):
        coded_set = _state_spec(spec, "dataset")[2]
        return file_sha256(datasets.state_set_folder(coded_set) / "items.csv")
    if spec.startswith(PARK_PREFIX):
        split = spec[len(PARK_PREFIX):]
        if split not in datasets.PARK_SPLITS:
            raise ConfigError(f"{spec!r}: accepted splits {list(datasets.PARK_SPLITS)}")
        return file_sha256(paths.data_dir() / "data" / "directed_sentiment_park2021" / datasets.PARK_SPLITS[split])
    if spec.startswith(NEWSMTSC_PREFIX):
        return file_sha256(datasets.newsmtsc_path(spec[len(NEWSMTSC_PREFIX):]))
    return file_sha256(spec)


def with_features(
    table: pd.DataFrame, lexicon: Any, *, target_set: Any = DEFAULT_TARGETS, language: str = "en",
    voice: bool = False,
) -> tuple[pd.DataFrame, list[str]]:
    """Add the lexicon mention features (``lex__*``) a hybrid model reads to a labelled table.

    The labelled row's span is its own mention; a target-set mention overlapping it is treated as
    the same target (see :func:`framing.stance.features.labelled_mention_rows`). Rows with a
    ``language`` column use it, others ``language``. ``lexicon`` may also be a fitted mention-mode
    ``LexiconVectorizer`` (its lexicon and target set are then used; ``language`` still fills
    the rows' blank languages). The columns come from
    :func:`framing.stance.features.lexicon_feature_table`, as at inference.
    """
    from framing.stance.features import (
        as_mention_vectorizer,
        labelled_mention_rows,
        lexicon_feature_table,
        with_feature_columns,
    )

    vec = as_mention_vectorizer(lexicon, target_set=target_set, language=language)
    # Each row's own language (blank or missing: ``language``).
    rows = labelled_mention_rows(table, vec.target_set_, language)
    voices = _voices(table, rows, language) if voice else None
    features = lexicon_feature_table(rows, vec, voices=voices)
    return with_feature_columns(table, features), list(features.columns)


def _voices(table: pd.DataFrame, rows: pd.DataFrame, language: str) -> list[str]:
    """The voice of each labelled row's mention (``framing.text.voice.mention_voice``)."""
    from framing.text.voice import load_voice_cues, mention_voice

    cues = load_voice_cues()
    return [
        mention_voice(str(s), [] if pd.isna(a) or pd.isna(b) else [(int(a), int(b))],
                      language=str(lang or language), cues=cues)
        for s, a, b, lang in zip(table["sentence"], table["span_start"], table["span_end"],
                                 rows["language"], strict=True)
    ]


# ---------------------------------------------------------------------------------------------
# Train and evaluate


def reuse_key(cfg: TrainConfig) -> dict[str, Any]:
    """What makes two trainings the same: the settings (not the name) and the data's hashes.

    Recorded as ``run_key`` in the training record; ``framing run`` reuses a model whose key
    matches instead of training it again, however it was trained (``framing train`` or a run).
    """
    settings = {k: v for k, v in cfg.to_dict().items() if k not in ("name", "source")}
    data = {spec: dataset_sha256(spec) for spec in (cfg.train, cfg.dev, *cfg.test) if spec}
    return json.loads(json.dumps({"settings": settings, "data_sha256": data}, default=str))


def train(
    cfg: TrainConfig,
    *,
    output: str | Path | None = None,
    progress: bool = True,
    run_key: Mapping[str, Any] | None = None,
) -> tuple[Path, dict[str, Any]]:
    """Fine-tune the model of ``cfg``, evaluate it on the test sets, save it.

    Parameters
    ----------
    cfg : TrainConfig
    output : path, optional
        Model folder; default ``config.models_dir() / cfg.name``.
    progress : bool
        Print what happens (and the training progress bar, if the config asks for it).
    run_key : mapping, optional
        Recorded in the training record; ``framing run`` reuses the model while it matches.

    Returns
    -------
    (Path, dict)
        The model folder and the training record (also saved in it as ``framing_training.json``):
        ``config, data_sha256, weak_labels, label_source, train_seconds, test, run_key``, plus
        ``cross_validation`` (:func:`cross_validate`; None without ``cv_folds``) and
        ``coded_data`` (:func:`coded_data`; None unless the training rows were coded by people).
    """
    from framing.lexicon.folder import load_lexicon
    from framing.stance.features import mention_vectorizer

    say = print if progress else (lambda *a, **k: None)
    args = cfg.arguments()
    if not progress:
        args = dataclasses.replace(args, progress_bar=False)
    data, tests = _training_data(cfg, say)
    lexicon = load_lexicon(cfg.lexicon) if cfg.lexicon else None
    # The hybrid model owns its vectorizer (saved with it); the features are computed here once
    # for all splits and folds, by the same builder the model would use.
    vectorizer = (
        mention_vectorizer(lexicon, target_set=cfg.target_set, language=cfg.language)
        if lexicon is not None else None
    )
    if vectorizer is not None:
        data, tests = _with_training_features(cfg, vectorizer, data, tests)
    new_classifier = _classifier_factory(cfg, args, lexicon, vectorizer, progress, say)
    dev = data.get("dev")
    cv = _cross_validation(cfg, data["train"], new_classifier, dev, progress, say)
    clf, seconds = _fit(new_classifier(), data["train"], dev, args.batch_size, say)
    reports = {}
    for spec, table in tests.items():
        reports[spec] = _evaluate_table(clf, table)
        say(f"{spec}: macro-F1 {reports[spec]['macro_f1']:.3f}, accuracy {reports[spec]['accuracy']:.3f}")
    folder = Path(output) if output else paths.models_dir() / cfg.name
    clf.save(folder)
    record = {
        "config": cfg.to_dict(),
        "data_sha256": {spec: dataset_sha256(spec) for spec in (cfg.train, cfg.dev, *cfg.test) if spec},
        "weak_labels": is_weak(data["train"]),
        "label_source": sorted(set(data["train"][LABEL_SOURCE_COLUMN].astype(str))),
        "train_seconds": round(seconds, 3),
        "test": reports,
        "cross_validation": cv,
        "coded_data": coded_data(cfg.train, data["train"]),
        "run_key": dict(run_key) if run_key is not None else reuse_key(cfg),
    }
    _write_json(folder / TRAINING_META, record)
    _append_card(folder, record)
    return folder, record


def _training_data(
    cfg: TrainConfig, say: Callable[..., None]
) -> tuple[dict[str, pd.DataFrame], dict[str, pd.DataFrame]]:
    """({"train", "dev"?: table}, {test spec: table}) of ``cfg``; weak test labels are refused."""
    data = {"train": load_dataset(cfg.train, columns=cfg.columns)}
    if cfg.dev:
        data["dev"] = load_dataset(cfg.dev, columns=cfg.columns)
    tests = {spec: load_dataset(spec, columns=cfg.columns) for spec in cfg.test}
    for spec, table in tests.items():
        if is_weak(table):
            raise ConfigError(f"data.test {spec} holds weak labels; evaluate on independent gold labels")
    say(f"train: {len(data['train'])} rows" + (f", dev: {len(data['dev'])}" if cfg.dev else ""))
    return data, tests


def _with_training_features(
    cfg: TrainConfig, vectorizer: Any, data: dict[str, pd.DataFrame], tests: dict[str, pd.DataFrame]
) -> tuple[dict[str, pd.DataFrame], dict[str, pd.DataFrame]]:
    """``data`` and ``tests`` with the lexicon (and, if asked, voice) features of ``vectorizer``."""
    for key in list(data):
        data[key], _ = with_features(
            data[key], vectorizer, language=cfg.language, voice=cfg.voice_features
        )
    tests = {
        k: with_features(v, vectorizer, language=cfg.language, voice=cfg.voice_features)[0]
        for k, v in tests.items()
    }
    return data, tests


def _base_model(cfg: TrainConfig, progress: bool, say: Callable[..., None]) -> Any:
    """The encoder to start from (None: the bundled one); a missing named one is trained first.

    A base model that does not exist yet is trained first from the training config of the same
    name beside this one (state-hybrid.toml goes on from newsmtsc-hybrid.toml).
    """
    if cfg.base_model and paths.is_name(cfg.base_model) and not (paths.models_dir() / cfg.base_model).is_dir():
        sibling = Path(cfg.source).parent / f"{cfg.base_model}.toml" if cfg.source not in ("", "<dict>") else None
        if sibling is not None and sibling.is_file():
            say(f"base model {cfg.base_model} is missing: training it first from {sibling}")
            train(load_train_config(sibling), progress=progress)
    return (
        paths.resolve_model(cfg.base_model) if cfg.base_model and paths.is_name(cfg.base_model)
        else (cfg.base_model or None)
    )


def _classifier_factory(
    cfg: TrainConfig, args: Any, lexicon: Any, vectorizer: Any, progress: bool,
    say: Callable[..., None],
) -> Callable[[], Any]:
    """``new_classifier()``: an unfitted StanceClassifier of ``cfg`` (one per fold, one final)."""
    from framing.stance.classifier import StanceClassifier
    from framing.text.voice import VOICE_FEATURES

    base = _base_model(cfg, progress, say)

    def new_classifier() -> StanceClassifier:
        return StanceClassifier(
            model_path=base,
            args=args,
            feature_columns=VOICE_FEATURES if vectorizer is not None and cfg.voice_features else (),
            lexicon_name=lexicon.id if lexicon is not None else None,
            lexicon_sha256=lexicon.sha256 if lexicon is not None else None,
            vectorizer=vectorizer,
            pooling=cfg.pooling,
        )

    return new_classifier


def _cross_validation(
    cfg: TrainConfig, table: pd.DataFrame, new_classifier: Callable[[], Any],
    dev: pd.DataFrame | None, progress: bool, say: Callable[..., None],
) -> dict[str, Any] | None:
    """:func:`cross_validate` of the training rows when ``cfg.cv_folds`` asks for it, else None."""
    if not cfg.cv_folds:
        return None
    if is_weak(table):
        raise ConfigError(
            f"data.cv_folds: {cfg.train} holds weak labels (label_source {WEAK_PREFIX}...); "
            "cross-validated scores on them measure agreement with the lexicon, not accuracy: "
            "remove cv_folds and evaluate on labels coded by people"
        )
    say(f"cross-validation: {cfg.cv_folds} stratified folds (seed {cfg.seed}), one model each")
    return cross_validate(
        table, new_classifier, folds=cfg.cv_folds, seed=cfg.seed, dev=dev,
        where=f"data.train {cfg.train}", progress=progress,
    )


def _fit(
    clf: Any, table: pd.DataFrame, dev: pd.DataFrame | None, batch_size: int,
    say: Callable[..., None],
) -> tuple[Any, float]:
    """(``clf`` fitted on all training rows, seconds taken)."""
    started = time.perf_counter()
    clf.fit(
        table, table["label"],
        X_dev=dev, y_dev=None if dev is None else dev["label"],
    )
    seconds = time.perf_counter() - started
    seen = clf.metrics_["steps"] * batch_size
    say(f"trained in {seconds:.0f} s: {clf.metrics_['steps']} steps, about "
        f"{seen / max(seconds, 1e-9):.1f} training examples/s (dev evaluations included)")
    return clf, seconds


def cross_validate(
    table: pd.DataFrame,
    make_classifier: Callable[[], Any],
    *,
    folds: int,
    seed: int,
    dev: pd.DataFrame | None = None,
    where: str = "the training data",
    progress: bool = False,
) -> dict[str, Any]:
    """Stratified K-fold cross-validation: a fresh model per fold, scored on the held-out fold.

    Parameters
    ----------
    table : DataFrame
        Labelled rows (``label`` and whatever the classifier reads, e.g. ``lex__*`` columns).
    make_classifier : callable
        ``make_classifier()`` returns an unfitted classifier with ``fit(X, y, X_dev=, y_dev=)``,
        ``predict_proba`` and ``classes_`` (a :class:`~framing.stance.classifier.StanceClassifier`).
    folds : int
        K >= 2; every label must have at least K rows.
    seed : int
        Shuffles the rows before they are cut into folds (``StratifiedKFold(random_state=seed)``).
    dev : DataFrame, optional
        Passed to every fold's ``fit`` for checkpoint choice (never a held-out fold).
    where : str
        Names the data in error messages.
    progress : bool
        Print each fold's result.

    Returns
    -------
    dict
        JSON-ready: ``folds, seed, n, macro_f1_mean, macro_f1_sd, accuracy_mean, accuracy_sd``
        (sd: sample standard deviation over folds, ddof 1), ``per_fold`` (``fold, n_train,
        n_test, macro_f1, accuracy, seconds``) and ``pooled``: the classification report of the
        out-of-fold predictions of all rows (see :func:`framing.stance.evaluation.classification_report`).

    Raises
    ------
    ConfigError
        ``folds`` is not an integer >= 2, or a label has fewer rows than folds.
    """
    from sklearn.model_selection import StratifiedKFold

    from framing.stance.evaluation import classification_report, report_to_json

    say = print if progress else (lambda *a, **k: None)
    if isinstance(folds, bool) or not isinstance(folds, int) or folds < 2:
        raise ConfigError(f"cv_folds must be an integer >= 2, received {folds!r}")
    y = table["label"].astype(str).to_numpy()
    counts = pd.Series(y).value_counts()
    if len(counts) and counts.min() < folds:
        scarce = ", ".join(f"{lab} {int(n)}" for lab, n in counts.items() if n < folds)
        raise ConfigError(
            f"cv_folds = {folds} needs at least {folds} rows of every label in {where}; it has "
            f"{scarce}: lower cv_folds to {int(counts.min())} or less (>= 2), or code more items"
        )
    splitter = StratifiedKFold(n_splits=folds, shuffle=True, random_state=seed)
    oof_proba: np.ndarray | None = None
    classes: list[str] | None = None
    per_fold = []
    for k, (fit_idx, test_idx) in enumerate(splitter.split(np.zeros(len(y)), y), start=1):
        fit_part, held_out = table.iloc[fit_idx], table.iloc[test_idx]
        started = time.perf_counter()
        clf = make_classifier().fit(
            fit_part, fit_part["label"],
            X_dev=dev, y_dev=None if dev is None else dev["label"],
        )
        proba = np.asarray(clf.predict_proba(held_out), dtype=np.float64)
        seconds = time.perf_counter() - started
        if classes is None:
            classes = [str(c) for c in clf.classes_]
            oof_proba = np.full((len(y), len(classes)), np.nan)
        oof_proba[test_idx] = proba
        predicted = np.asarray(classes, dtype=object)[proba.argmax(axis=1)]
        report = classification_report(y[test_idx], predicted, labels=classes)
        per_fold.append({"fold": k, "n_train": int(len(fit_idx)), "n_test": int(len(test_idx)),
                         "macro_f1": report["macro_f1"], "accuracy": report["accuracy"],
                         "seconds": round(seconds, 3)})
        say(f"  fold {k}/{folds}: macro-F1 {report['macro_f1']:.3f}, accuracy "
            f"{report['accuracy']:.3f} ({len(test_idx)} held out, {seconds:.0f} s)")
        del clf
    predicted = np.asarray(classes, dtype=object)[oof_proba.argmax(axis=1)]
    pooled = classification_report(y, predicted, labels=classes, proba=oof_proba)
    f1 = np.array([f["macro_f1"] for f in per_fold])
    acc = np.array([f["accuracy"] for f in per_fold])
    out = {
        "folds": folds,
        "seed": int(seed),
        "n": int(len(y)),
        "macro_f1_mean": float(f1.mean()),
        "macro_f1_sd": float(f1.std(ddof=1)),
        "accuracy_mean": float(acc.mean()),
        "accuracy_sd": float(acc.std(ddof=1)),
        "per_fold": per_fold,
        "pooled": {**report_to_json(pooled), "n": int(len(y))},
    }
    say(f"cross-validation: macro-F1 {out['macro_f1_mean']:.3f} (sd {out['macro_f1_sd']:.3f}), "
        f"accuracy {out['accuracy_mean']:.3f} (sd {out['accuracy_sd']:.3f}); pooled out-of-fold "
        f"macro-F1 {pooled['macro_f1']:.3f}")
    return out


def coded_data(spec: str, table: pd.DataFrame) -> dict[str, Any] | None:
    """Provenance of training labels coded by people (module docstring, "Coded data").

    Parameters
    ----------
    spec : str
        The dataset spec of ``table`` (a file path; ``"newsmtsc:..."`` gives None).
    table : DataFrame
        :func:`load_dataset` of ``spec``.

    Returns
    -------
    dict or None
        None when no row's ``label_source`` starts with ``"coded:"``; else ``labelled_sha256``
        (of the file), ``codebook`` (``id`` and ``sha256``; the sha256 only when known from
        ``import.json``), ``codes_sha256`` (None unless an ``import.json`` beside the file
        records this file's sha256), ``import_manifest`` (its path, or None) and ``note``.
    """
    from framing.infra.defaults import IMPORT_FILES, LABEL_SOURCE_PREFIX
    from framing.infra.tableio import file_sha256

    if spec.startswith(_BUILTIN_PREFIXES) or SPEC_JOIN in spec or LABEL_SOURCE_COLUMN not in table.columns:
        return None
    prefix = LABEL_SOURCE_PREFIX
    sources = table[LABEL_SOURCE_COLUMN].astype(str)
    coded = sorted({s[len(prefix):] for s in sources if s.startswith(prefix)})
    if not coded:
        return None
    digest = file_sha256(spec)
    out: dict[str, Any] = {
        "labelled_sha256": digest,
        "codes_sha256": None,
        "codebook": {"id": coded[0] if len(coded) == 1 else coded, "sha256": None},
        "n_coded": int(sources.str.startswith(prefix).sum()),
        "import_manifest": None,
        "note": f"no {IMPORT_FILES['manifest']} beside the file: codes hash unknown",
    }
    manifest = Path(spec).parent / IMPORT_FILES["manifest"]
    if manifest.is_file():
        try:
            meta = json.loads(manifest.read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError, json.JSONDecodeError):
            meta = None
        if not isinstance(meta, dict):
            out["note"] = f"{manifest} is not a JSON object: codes hash unknown"
        elif meta.get("labelled_sha256") != digest:
            out["note"] = (
                f"{manifest} describes another labelled file (sha256 "
                f"{str(meta.get('labelled_sha256'))[:12]}, this one {digest[:12]}): edited after "
                "the import? Codes hash not recorded"
            )
        else:
            book = meta.get("codebook") or {}
            out.update(
                codes_sha256=meta.get("codes_sha256"),
                import_manifest=str(manifest),
                codebook={"id": book.get("id", out["codebook"]["id"]), "sha256": book.get("sha256")},
                note="",
            )
    return out


def evaluate(
    model: Any,
    spec: str,
    *,
    columns: Mapping[str, str] | None = None,
    target_set: Any = DEFAULT_TARGETS,
    language: str = "en",
    precision: str = "fp32",
) -> dict[str, Any]:
    """Evaluate a saved model (name, folder or fitted classifier) on a labelled dataset.

    Returns
    -------
    dict
        JSON-ready: ``macro_f1, accuracy, per_class, confusion, ece`` (see
        :func:`framing.stance.evaluation.classification_report`), ``n`` and ``dataset``.

    Raises
    ------
    ConfigError
        The labels are weak (``label_source`` "weak:..."), or the model's lexicon is missing.
    """
    from framing.stance.model_scoring import _lexicon_name, fused_columns, load_model

    clf = load_model(model) if isinstance(model, str | Path) else model
    table = load_dataset(spec, columns=columns)
    if is_weak(table):
        raise ConfigError(
            f"{spec} holds weak labels (label_source {WEAK_PREFIX}...): they come from the lexicon, "
            "so a score on them measures agreement with the lexicon, not accuracy; evaluate on "
            "labels coded by people"
        )
    columns = fused_columns(clf)
    if len(columns):
        if not _lexicon_name(clf):
            raise ConfigError("the model uses lexicon features but does not record its lexicon")
        from framing.text.voice import VOICE_FEATURES

        table, _ = with_features(
            table, clf.lexicon_vectorizer(target_set=target_set), language=language,
            voice=bool(set(VOICE_FEATURES) & set(columns)),
        )
    out = _evaluate_table(clf, table, precision=precision)
    out["dataset"] = spec
    return out


def _evaluate_table(clf: Any, table: pd.DataFrame, *, precision: str = "fp32") -> dict[str, Any]:
    from framing.stance.evaluation import classification_report, report_to_json

    proba = clf.predict_proba(table, precision=precision)
    predicted = clf.classes_[proba.argmax(axis=1)]
    report = classification_report(
        table["label"], predicted, labels=list(clf.classes_), proba=proba
    )
    return {**report_to_json(report), "n": int(len(table))}


# ---------------------------------------------------------------------------------------------
# Weak supervision


def weak_labels(
    articles: pd.DataFrame,
    sentences: pd.DataFrame,
    mentions: pd.DataFrame,
    *,
    lexicon: Any = DEFAULT_LEXICON,
    seed: int,
    per_label: int = 2000,
    margin: float = 1.0,
) -> pd.DataFrame:
    """Lexicon-derived labels for confident (sentence, target) mentions (module docstring).

    Returns
    -------
    DataFrame
        A labelled table (``id, sentence, target, span_start, span_end, label``) plus
        ``label_source``, ``target_id``, ``article_id``, ``sent_id``, ``outlet``, ``language``;
        sorted by id. Write it with ``to_csv`` and train on it with ``framing train``.
    """
    from framing.stance.model_scoring import mention_examples
    from framing.stance.scoring import match_cues, resolve_lexicon

    if isinstance(seed, bool) or not isinstance(seed, int):
        raise ConfigError(f"seed must be an integer, received {seed!r}")
    if not isinstance(per_label, int) or per_label < 1:
        raise ConfigError(f"per_label must be a positive integer, received {per_label!r}")
    if not margin > 0:
        raise ConfigError(f"margin must be > 0, received {margin!r}")
    lex = resolve_lexicon(lexicon)
    examples = mention_examples(articles, sentences, mentions)
    cues = match_cues(articles, sentences, mentions, lexicon=lex)
    key = ["article_id", "sent_id", "target"]
    attributed = cues.loc[cues["target"] != ""]
    sums = attributed.assign(
        pos=attributed["signed"].clip(lower=0), neg=(-attributed["signed"]).clip(lower=0)
    ).groupby(key)[["pos", "neg"]].sum()
    any_cue = set(zip(cues["article_id"], cues["sent_id"], strict=True))
    ex = examples.merge(sums.reset_index(), on=key, how="left").fillna({"pos": 0.0, "neg": 0.0})
    no_cue = np.array(
        [(a, s) not in any_cue for a, s in zip(ex["article_id"], ex["sent_id"], strict=True)],
        dtype=bool,
    )
    against, neutral, favor = schema.STANCE_LABELS
    label = np.select(
        [(ex["neg"] >= margin) & (ex["pos"] == 0), (ex["pos"] >= margin) & (ex["neg"] == 0), no_cue],
        [against, favor, neutral],
        default="",
    )
    ex["label"] = label
    ex = ex.loc[ex["label"] != ""]
    ex = ex.assign(id=ex["article_id"] + ":" + ex["sent_id"].astype(str) + ":" + ex["target"])
    ex = ex.drop_duplicates("id").sort_values("id", kind="stable")
    rng = np.random.default_rng(seed)
    parts = []
    for lab in schema.STANCE_LABELS:
        group = ex.loc[ex["label"] == lab]
        if len(group) > per_label:
            group = group.iloc[np.sort(rng.choice(len(group), per_label, replace=False))]
        parts.append(group)
    chosen = pd.concat(parts).sort_values("id", kind="stable", ignore_index=True)
    outlet = (
        articles.assign(article_id=articles["article_id"].astype(str))
        .drop_duplicates("article_id").set_index("article_id")["outlet"]
        if "outlet" in articles.columns else pd.Series(dtype=object)
    )
    return pd.DataFrame({
        "id": chosen["id"],
        "sentence": chosen["sentence"],
        "target": chosen["mention"],
        "span_start": chosen["span_start"],
        "span_end": chosen["span_end"],
        "label": chosen["label"],
        LABEL_SOURCE_COLUMN: f"{WEAK_PREFIX}{lex.id}@{lex.sha256[:12]}",
        "target_id": chosen["target"],
        "article_id": chosen["article_id"],
        "sent_id": chosen["sent_id"],
        "outlet": chosen["article_id"].map(outlet).fillna("unknown"),
        "language": chosen["language"],
    })


# ---------------------------------------------------------------------------------------------
# Files


def _write_json(path: Path, data: Any) -> None:
    from framing.infra.tableio import write_text

    write_text(json.dumps(data, indent=2, ensure_ascii=False, sort_keys=True, default=str) + "\n", path)


def _append_card(folder: Path, record: Mapping[str, Any]) -> None:
    """Add the training data and test results to the model card."""
    from framing.stance.classifier import CARD_FILE

    lines = ["", "## Training data", ""]
    for spec, digest in record["data_sha256"].items():
        lines.append(f"- `{spec}` (sha256 {digest[:12]})")
    if record["weak_labels"]:
        lines += [
            "",
            "**Weakly supervised.** The training labels were derived from the lexicon "
            f"({', '.join(record['label_source'])}), not coded by people. Judge this model only on "
            "independent gold labels; agreement with the lexicon is not accuracy.",
        ]
    coded = record.get("coded_data")
    if coded:
        codes = coded["codes_sha256"][:12] if coded["codes_sha256"] else "unknown"
        lines += ["", f"Labels coded by people under codebook `{coded['codebook']['id']}` "
                      f"(labelled file sha256 {coded['labelled_sha256'][:12]}, codes sha256 {codes})."]
    cv = record.get("cross_validation")
    if cv:
        lines += [
            "", "## Cross-validation", "",
            f"{cv['folds']} stratified folds of the {cv['n']} training rows (seed {cv['seed']}): "
            f"macro-F1 {cv['macro_f1_mean']:.3f} (sd {cv['macro_f1_sd']:.3f}), accuracy "
            f"{cv['accuracy_mean']:.3f} (sd {cv['accuracy_sd']:.3f}); pooled out-of-fold macro-F1 "
            f"{cv['pooled']['macro_f1']:.3f}. The saved model is trained on all rows.",
        ]
    if record["test"]:
        lines += ["", "## Test results", "", "| dataset | n | macro-F1 | accuracy |", "|---|---|---|---|"]
        for spec, rep in record["test"].items():
            lines.append(f"| `{spec}` | {rep['n']} | {rep['macro_f1']:.3f} | {rep['accuracy']:.3f} |")
    card = folder / CARD_FILE
    card.write_text(card.read_text(encoding="utf-8") + "\n".join(lines) + "\n", encoding="utf-8")

