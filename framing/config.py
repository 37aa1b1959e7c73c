"""Settings: where data, lexicons and models live, and experiment configs read from TOML.

One setting points the toolkit at real data: the environment variable ``FRAMING_DATA``
(default: the folder ``shared`` beside the project root, i.e. ``../shared``). Experiment
configs (TOML, see ``experiments/``) may override it with their own ``data_dir`` key.
Trained models live in ``FRAMING_MODELS`` (default ``<project>/models`` in a source checkout, the
per-user data folder of :func:`user_dir` when installed), one folder per model.

An experiment config is one TOML file, read by :func:`load_config` into frozen dataclasses
(:class:`ExperimentConfig` and one class per section). Defaults live on the dataclasses; the
file states only what differs. Example (every key but ``seed`` and ``corpus.inputs`` optional)::

    name = "eu_japan_2023"          # default: the file name without .toml
    seed = 13                       # required: every random choice of a run derives from it
    description = "How do EN and NL outlets frame the EU-Japan summit?"
    data_dir = "${FRAMING_DATA}"    # default: config.data_dir()

    [corpus]
    inputs = ["{data_dir}/seeds"]   # files or folders
    format = ""                     # "" guesses from the file ending; or txt/csv/jsonl/json/parquet/html
    metadata = "eu_japan_2023.metadata.csv"
    languages = ["en", "nl"]
    dayfirst = false                # "05/07/2023": true reads day first; or a list of outlets
    [corpus.columns]                # canonical field -> input column
    outlet = "source"
    [corpus.extra]                  # new column -> input column, kept for grouping
    leaning = "bias_text"

    [targets]
    lexicon = "targets-v1"          # a lexicon name, or a folder path
    extra = []                      # further targets/aliases files or folders
    kinds = []                      # alias kinds; [] = the target set's default kinds

    [scoring]
    method = "lexicon"              # lexicon | model | hybrid
    lexicon = "framing-stance-v1"
    model = ""                      # name under models_dir() or a folder path; needed by model/hybrid
    neutral_band = 0.1
    precision = "fp32"              # model inference: fp32 | bf16 | int8

    [compare]
    by = ["outlet"]
    n_boot = 2000
    n_perm = 9999
    min_n = 5
    ci = 0.95
    test = "permutation"

    [report]
    title = ""                      # default: the experiment name
    figures = ["heatmap", "forest", "distribution", "frames", "terms", "over_time"]

Placeholders in path values: ``${NAME}`` is an environment variable (``${FRAMING_DATA}``,
``${FRAMING_MODELS}`` and ``${FRAMING_LEXICONS}`` fall back to their defaults when unset; any other
variable must be set); ``{data_dir}``, ``{config_dir}`` and ``{project_dir}`` are folders. After
expansion a relative path is resolved against the config file's folder, so a config means the same
thing from any working directory. Lexicon and model values with a single path part
(``"targets-v1"``) are names, looked up under :func:`lexicons_dir` / :func:`models_dir` when used.

Every problem raises :class:`~framing.errors.ConfigError` naming the file, the key path
(``scoring.method``), what was received and what is accepted; a misspelt key names the closest
valid one.
"""

from __future__ import annotations

import dataclasses
import difflib
import os
import re
import tomllib
import unicodedata
import warnings
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import platformdirs

from framing import schema
from framing.errors import ConfigError

PACKAGE_DIR = Path(__file__).resolve().parent
PROJECT_DIR = PACKAGE_DIR.parent

#: Environment variable naming the folder with real corpora (seeds/, data/...).
DATA_ENV = "FRAMING_DATA"
#: Environment variable naming an alternative lexicons folder.
LEXICONS_ENV = "FRAMING_LEXICONS"
#: Environment variable naming the folder of trained models (one sub-folder per model).
MODELS_ENV = "FRAMING_MODELS"

# Vocabularies of settings. They mirror constants of higher modules (corpus.FORMATS keys,
# corpus.CANONICAL_FIELDS, compare.TESTS), which config cannot import without turning the import
# order upside down; tests/test_config.py checks that the copies agree.
#: Scoring methods (the ``method`` column of the score table).
SCORING_METHODS: tuple[str, ...] = ("lexicon", "model", "hybrid")
#: Scoring methods that need a trained model.
MODEL_METHODS: tuple[str, ...] = ("model", "hybrid")
EVENT_METHODS: tuple[str, ...] = ("column", "encoder", "tfidf")
#: Input formats ``corpus.format`` accepts ("" guesses from the file ending).
INPUT_FORMATS: tuple[str, ...] = ("txt", "csv", "jsonl", "json", "parquet", "html")
#: Canonical fields a ``[corpus.columns]`` map may fill.
COLUMN_FIELDS: tuple[str, ...] = ("article_id", "outlet", "published", "title", "text", "language")
#: Tests for pairwise outlet contrasts.
COMPARE_TESTS: tuple[str, ...] = ("permutation", "mannwhitney")
#: Figures a report can hold, named by content.
REPORT_FIGURES: tuple[str, ...] = (
    "heatmap",
    "forest",
    "distribution",
    "frames",
    "terms",
    "over_time",
)

#: Largest seed numpy accepts.
MAX_SEED = 2**32 - 1
#: Longest experiment name (it names folders; ``framing.runs.MAX_NAME`` is the same length).
MAX_NAME_LENGTH = 100

# ``${NAME}`` (environment variable) or ``{name}`` (folder placeholder), in one pass so that an
# expanded value is never expanded again.
_PLACEHOLDER = re.compile(r"\$\{([^}]*)\}|\{([^}]*)\}")
_LANGUAGE_CODE = re.compile(r"[a-z]{2,3}")
_COLUMN_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


# --------------------------------------------------------------------------------------------
# Folders


def is_source_checkout() -> bool:
    """True when framing runs from a source checkout (``pyproject.toml`` and ``lexicons/`` beside
    the package, e.g. an editable install), False when it runs from an installed wheel."""
    return (PROJECT_DIR / "pyproject.toml").is_file() and (PROJECT_DIR / "lexicons").is_dir()


def user_dir() -> Path:
    """Return the per-user data folder of an installed framing (platformdirs), e.g.
    ``~/.local/share/framing`` on Linux. Nothing is ever written into the installation."""
    return Path(platformdirs.user_data_dir("framing", appauthor=False))


def data_dir() -> Path:
    """Return the folder holding real corpora.

    ``$FRAMING_DATA`` wins; then ``../shared`` beside a source checkout; an installed framing
    looks in ``<user data folder>/data`` (:func:`user_dir`), where a user may put or link corpora.
    """
    env = os.environ.get(DATA_ENV)
    if env:
        return Path(env).expanduser().resolve()
    if is_source_checkout():
        return (PROJECT_DIR.parent / "shared").resolve()
    return user_dir() / "data"


def lexicons_dir() -> Path:
    """Return the folder of versioned lexicons.

    ``$FRAMING_LEXICONS`` wins; then ``lexicons/`` of a source checkout (editable install);
    then the copy packed into an installed wheel as ``framing/_lexicons``.
    """
    env = os.environ.get(LEXICONS_ENV)
    if env:
        return Path(env).expanduser().resolve()
    for candidate in (PROJECT_DIR / "lexicons", PACKAGE_DIR / "_lexicons"):
        if candidate.is_dir():
            return candidate
    raise FileNotFoundError(
        f"no lexicons folder found: looked in {PROJECT_DIR / 'lexicons'} and "
        f"{PACKAGE_DIR / '_lexicons'}; set {LEXICONS_ENV} to a folder of lexicons"
    )


def demo_corpus_path() -> Path:
    """Return the bundled demo corpus (written for this project, shipped in the package)."""
    return PACKAGE_DIR / "data" / "demo"


def models_dir() -> Path:
    """Return the folder of trained models.

    ``$FRAMING_MODELS`` wins; then ``models/`` of a source checkout; an installed framing keeps
    them in ``<user data folder>/models`` (:func:`user_dir`), never inside the installation
    (which may not be writable). The folder may not exist yet: training creates it.
    """
    env = os.environ.get(MODELS_ENV)
    if env:
        return Path(env).expanduser().resolve()
    return PROJECT_DIR / "models" if is_source_checkout() else user_dir() / "models"


def is_name(value: str | os.PathLike) -> bool:
    """Tell a bare name (``"targets-v1"``) from a path (``"lexicons/x"``, ``"./x"``, ``"~/x"``).

    Examples
    --------
    >>> is_name("framing-stance-v1"), is_name("./my-lexicon"), is_name("/tmp/model")
    (True, False, False)
    """
    if isinstance(value, Path):
        return False
    text = os.fspath(value)
    return bool(text) and len(Path(text).parts) == 1 and not text.startswith((".", "~"))


def resolve_model(name_or_path: str | os.PathLike) -> Path:
    """Return the folder of a trained model given its name (under :func:`models_dir`) or a path.

    Parameters
    ----------
    name_or_path : str or path
        A bare name such as ``"stance-minilm-v1"`` looks in :func:`models_dir`; anything with a
        path separator, a leading ``.``/``~``, or a ``Path`` object is a folder path.

    Returns
    -------
    Path
        The model folder, absolute.

    Raises
    ------
    ConfigError
        The folder does not exist; the message lists the models that do.

    Examples
    --------
    >>> resolve_model("stance-minilm-v1")  # doctest: +SKIP
    PosixPath('/home/me/framing/models/stance-minilm-v1')
    """
    return _resolve_folder(name_or_path, "model", models_dir(), MODELS_ENV)


def lexicon_folder(name_or_path: str | os.PathLike) -> Path:
    """Return a lexicon folder given its name (under :func:`lexicons_dir`) or a path.

    Parameters
    ----------
    name_or_path : str or path
        A bare name such as ``"targets-v1"`` or a folder path (see :func:`is_name`).

    Returns
    -------
    Path
        The lexicon folder, absolute.

    Raises
    ------
    ConfigError
        The folder does not exist; the message lists the lexicons that do.

    Examples
    --------
    >>> lexicon_folder("targets-v1").name
    'targets-v1'
    """
    try:
        root = lexicons_dir()
    except FileNotFoundError as err:
        raise ConfigError(str(err)) from None
    return _resolve_folder(name_or_path, "lexicon", root, LEXICONS_ENV)


def resolve_lexicon(name_or_path: str | os.PathLike) -> Path:
    """Deprecated name of :func:`lexicon_folder` (it returns the folder, not a loaded lexicon)."""
    warnings.warn(
        "framing.config.resolve_lexicon is deprecated: use framing.config.lexicon_folder "
        "(framing.scoring.resolve_lexicon loads the lexicon itself)",
        DeprecationWarning,
        stacklevel=2,
    )
    return lexicon_folder(name_or_path)


def _resolve_folder(name_or_path: str | os.PathLike, what: str, root: Path, env: str) -> Path:
    if not os.fspath(name_or_path):
        raise ConfigError(f"no {what} given; give a {what} name under {root} or a folder path")
    if not is_name(name_or_path):
        folder = Path(name_or_path).expanduser().resolve()
        if not folder.is_dir():
            raise ConfigError(f"{what} folder not found: {folder}")
        return folder
    folder = root / os.fspath(name_or_path)
    if folder.is_dir():
        return folder
    if not root.is_dir():
        raise ConfigError(
            f"no {what} {os.fspath(name_or_path)!r}: the {what}s folder {root} does not exist "
            f"(set {env}, or give a folder path)"
        )
    available = sorted(p.name for p in root.iterdir() if p.is_dir() and not p.name.startswith("."))
    hint = _did_you_mean(os.fspath(name_or_path), available)
    raise ConfigError(
        f"no {what} {os.fspath(name_or_path)!r} in {root}{hint}; available: "
        f"{', '.join(available) or '(none)'} (set {env} for another folder, or give a folder path)"
    )


# --------------------------------------------------------------------------------------------
# Experiment config: the dataclasses (field names are the TOML keys)


class FrozenDict(dict):
    """A read-only, hashable dict (column maps inside frozen configs); pickles like a dict."""

    def _read_only(self, *args: Any, **kwargs: Any) -> None:
        raise TypeError("this mapping is part of a frozen config and cannot be changed")

    __setitem__ = __delitem__ = clear = pop = popitem = setdefault = update = _read_only  # type: ignore[assignment]
    __ior__ = _read_only  # type: ignore[assignment]

    def __hash__(self) -> int:  # type: ignore[override]
        return hash(tuple(sorted(self.items())))

    def __reduce__(self) -> tuple[type, tuple[dict]]:
        return (FrozenDict, (dict(self),))

    def __repr__(self) -> str:
        return f"FrozenDict({dict.__repr__(self)})"


@dataclass(frozen=True)
class CorpusConfig:
    """Which articles to read and how (the arguments of ``corpus.load``)."""

    #: Files and folders, absolute.
    inputs: tuple[Path, ...]
    #: Forced input format; "" guesses from each file's ending.
    format: str = ""
    #: Sidecar CSV/JSONL with per-file metadata; None: ``metadata.csv`` in the folder, if any.
    metadata: Path | None = None
    #: Languages that are processed; others get status ``unsupported_language``.
    languages: tuple[str, ...] = ("en", "nl")
    #: Canonical field -> input column, for tabular inputs.
    columns: FrozenDict = field(default_factory=FrozenDict)
    #: New column name -> input column, kept for grouping (e.g. ``leaning = "bias_text"``).
    extra: FrozenDict = field(default_factory=FrozenDict)
    #: Dates valid in both orders ("05/07/2023"): true reads them day first, false month first;
    #: a list of outlet names reads day first for those outlets only (``corpus.load(dayfirst=)``).
    dayfirst: bool | tuple[str, ...] = False


@dataclass(frozen=True)
class TargetsConfig:
    """The target set: actors and their aliases.

    >>> TargetsConfig(kinds=("name", "short_name")).kinds
    ('name', 'short_name')
    """

    #: Lexicon name under ``lexicons_dir()`` or an absolute folder path.
    lexicon: str = "targets-v1"
    #: Further targets/aliases/exclusions files or folders, absolute.
    extra: tuple[Path, ...] = ()
    #: Alias kinds to use; () uses the target set's default kinds.
    kinds: tuple[str, ...] = ()


#: Model inference precisions (``StanceClassifier.predict_proba``).
PRECISIONS: tuple[str, ...] = ("fp32", "bf16", "int8")


@dataclass(frozen=True)
class ScoringConfig:
    """How stance is scored per (article, target): the one config of every entry point.

    ``framing score``, ``framing stream``, the Dask path and ``framing run`` all build a
    :class:`framing.scorer.Scorer` from one of these. In an experiment config it is the
    ``[scoring]`` section, with ``targets`` filled from the ``[targets]`` section.

    >>> ScoringConfig(method="lexicon", neutral_band=0.2, targets=TargetsConfig(kinds=("name",)))
    ScoringConfig(method='lexicon', lexicon='framing-stance-v1', model='', neutral_band=0.2, precision='fp32', aggregation='smoothed-v1')
    """

    #: One of ``SCORING_METHODS``.
    method: str = "lexicon"
    #: Stance lexicon name under ``lexicons_dir()`` or an absolute folder path. "" means the
    #: default: ``framing-stance-v1`` for the lexicon method, the model's own for the hybrid.
    lexicon: str = "framing-stance-v1"
    #: Trained model name under ``models_dir()`` or an absolute folder path; "" for none.
    model: str = ""
    #: Scores with absolute value below this are labelled neutral.
    neutral_band: float = 0.1
    #: Model inference precision: "fp32", "bf16" (about 2.5x faster here, same NewsMTSC
    #: macro-F1 within 0.5 points, see README Results) or "int8".
    precision: str = "fp32"
    #: How model and hybrid mention predictions become article scores: a versioned rule of
    #: ``framing.scoring.AGGREGATIONS`` (voice weights, smoothing).
    aggregation: str = "smoothed-v1"
    #: The target set and alias kinds whose mentions are scored (an experiment's ``[targets]``;
    #: not a key of ``[scoring]``, hence left out of comparisons and of ``to_dict``).
    targets: TargetsConfig = field(default_factory=TargetsConfig, compare=False, repr=False)


@dataclass(frozen=True)
class TrainingConfig:
    """Fine-tuning inside a run: how ``scoring.model`` is made when it does not exist yet."""

    #: "" : scoring.model must exist. "weak": derive weak labels from this corpus with the lexicon
    #: and fine-tune scoring.model on them when it is missing or was trained on other labels.
    #: "config": train scoring.model from the training config ``config`` (``framing train``
    #: format) when it is missing or was trained from other settings or data.
    labels: str = ""
    #: Training config (TOML) for labels = "config".
    config: Path | None = None
    #: Encoder to fine-tune: a folder or a model name; "" = the bundled all-MiniLM-L6-v2.
    base_model: str = ""
    #: Weak labels: at most this many rows per label.
    per_label: int = 2000
    #: Weak labels: cue weight needed for favor/against.
    margin: float = 1.0
    #: Keys of framing.classifier.TrainingArguments (the seed is the experiment's).
    arguments: FrozenDict = field(default_factory=FrozenDict)


@dataclass(frozen=True)
class CompareConfig:
    """Outlet comparison: grouping and the statistics' knobs."""

    #: Columns of the score table (joined with the articles) to group by.
    by: tuple[str, ...] = ("outlet",)
    #: Bootstrap resamples for intervals.
    n_boot: int = 2000
    #: Permutations for pairwise tests.
    n_perm: int = 9999
    #: Groups with fewer articles get no interval (too few to say anything).
    min_n: int = 5
    #: Interval coverage.
    ci: float = 0.95
    #: Test for pairwise contrasts, one of ``COMPARE_TESTS``.
    test: str = "permutation"
    #: Same-event grouping, one of ``EVENT_METHODS``: "column" uses the corpus's ``event`` column
    #: (none: no same-event view); "encoder" / "tfidf" group articles by date window and the
    #: cosine similarity of their title and lead (framing.compare.group_events).
    events: str = "column"
    #: Days an event stays open after its first article.
    event_window_days: int = 3
    #: Smallest mean cosine similarity to join an event (encoder: ~0.5; TF-IDF: ~0.2).
    event_threshold: float = 0.5
    #: Further grouping columns, each with its own stance table and heatmap (e.g. ["outlet"]
    #: beside by = ["leaning"]).
    also_by: tuple[str, ...] = ()


@dataclass(frozen=True)
class ReportConfig:
    """What the report shows."""

    #: Report title; "" means the experiment name.
    title: str = ""
    #: Figures to draw, each one of ``REPORT_FIGURES``.
    figures: tuple[str, ...] = REPORT_FIGURES


def _default_data_dir() -> Path:
    return data_dir()


@dataclass(frozen=True)
class ExperimentConfig:
    """A whole experiment, resolved: absolute paths, placeholders expanded, defaults filled in.

    Build one with :func:`load_config` (or :meth:`from_dict`), which validate; the constructor
    only stores what it is given. ``source`` (the TOML file) is not part of the settings: two
    configs with the same settings compare equal and give the same run id wherever they live.
    """

    name: str
    seed: int
    corpus: CorpusConfig
    description: str = ""
    data_dir: Path = field(default_factory=_default_data_dir)
    targets: TargetsConfig = field(default_factory=TargetsConfig)
    scoring: ScoringConfig = field(default_factory=ScoringConfig)
    training: TrainingConfig = field(default_factory=TrainingConfig)
    compare: CompareConfig = field(default_factory=CompareConfig)
    report: ReportConfig = field(default_factory=ReportConfig)
    source: Path | None = field(default=None, compare=False, repr=False)

    def __post_init__(self) -> None:
        # One target set: the scoring config scores the mentions of the [targets] section.
        if self.scoring.targets != self.targets:
            object.__setattr__(self, "scoring", dataclasses.replace(self.scoring, targets=self.targets))

    def to_dict(self) -> dict[str, Any]:
        """Return the settings as plain JSON types (paths as strings, tuples as lists).

        ``source`` is left out (see the class docstring). ``from_dict(cfg.to_dict()) == cfg``.

        Examples
        --------
        >>> cfg = ExperimentConfig("demo", 1, CorpusConfig(inputs=(Path("/data/a.jsonl"),)))
        >>> cfg.to_dict()["scoring"]["method"]
        'lexicon'
        """
        return {
            f.name: _plain(getattr(self, f.name)) for f in dataclasses.fields(self) if f.compare
        }

    @classmethod
    def from_dict(
        cls,
        data: Mapping[str, Any],
        *,
        source: str | os.PathLike | None = None,
        base_dir: str | os.PathLike | None = None,
        check_paths: bool = True,
    ) -> ExperimentConfig:
        """Validate a mapping shaped like the TOML file and build the config.

        Parameters
        ----------
        data : mapping
            Parsed TOML (or ``to_dict()`` output).
        source : path, optional
            The file the mapping came from: named in errors, its stem is the default name,
            its folder the default ``base_dir``.
        base_dir : path, optional
            Folder relative paths resolve against; default the source's folder, else the
            working directory.
        check_paths : bool
            Check that corpus inputs, the metadata file and extra target files exist.

        Returns
        -------
        ExperimentConfig

        Raises
        ------
        ConfigError
            Unknown key (with the closest valid one), wrong type, value out of range or not
            among the accepted ones, missing seed or inputs, missing path.
        """
        src = Path(source) if source is not None else None
        if base_dir is not None:
            base = Path(base_dir).expanduser().resolve()
        else:
            base = src.expanduser().resolve().parent if src is not None else Path.cwd()
        return _build(
            data, _Context(str(src) if src is not None else "<dict>", src, base, check_paths)
        )


def load_config(path: str | os.PathLike, *, check_paths: bool = True) -> ExperimentConfig:
    """Read an experiment config from a TOML file and validate it.

    Parameters
    ----------
    path : str or path
        The ``.toml`` file.
    check_paths : bool
        Check that the corpus inputs, metadata file and extra target files exist (turn off to
        inspect a config written for another machine).

    Returns
    -------
    ExperimentConfig
        Resolved: absolute paths, placeholders expanded, defaults filled in.

    Raises
    ------
    ConfigError
        The file is missing or not valid TOML (the message gives the line), or a setting is
        wrong (the message names the key path, what was received and what is accepted).

    Examples
    --------
    >>> cfg = load_config("experiments/eu_japan_2023.toml")  # doctest: +SKIP
    >>> cfg.scoring.method, cfg.seed  # doctest: +SKIP
    ('lexicon', 13)
    """
    path = Path(path)
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        raise ConfigError(f"experiment config not found: {path}") from None
    except IsADirectoryError:
        raise ConfigError(f"experiment config {path} is a folder; give a .toml file") from None
    except OSError as err:
        raise ConfigError(f"cannot read experiment config {path}: {err.strerror or err}") from err
    try:
        data = tomllib.loads(raw.decode("utf-8"))
    except UnicodeDecodeError as err:
        raise ConfigError(
            f"{path} is not UTF-8 text (byte {err.start}); save it as UTF-8"
        ) from None
    except tomllib.TOMLDecodeError as err:
        # tomllib's message ends with "(at line N, column M)".
        raise ConfigError(f"{path} is not valid TOML: {err}") from None
    return ExperimentConfig.from_dict(data, source=path, check_paths=check_paths)


# --------------------------------------------------------------------------------------------
# Validation


#: The sections, their dataclass, in file order.
SECTIONS: dict[str, type] = {
    "corpus": CorpusConfig,
    "targets": TargetsConfig,
    "scoring": ScoringConfig,
    "training": TrainingConfig,
    "compare": CompareConfig,
    "report": ReportConfig,
}
#: Keys of a section that are free-form tables (any key, string values).
_FREE_TABLES = {("corpus", "columns"), ("corpus", "extra"), ("training", "arguments")}
TRAINING_LABELS: tuple[str, ...] = ("", "weak", "config")
_TOP_KEYS: tuple[str, ...] = tuple(
    f.name for f in dataclasses.fields(ExperimentConfig) if f.compare
)


@dataclass(frozen=True)
class _Context:
    file: str  # as the user gave it, for messages
    source: Path | None
    base: Path  # relative paths resolve here
    check_paths: bool


def _all_keys() -> list[str]:
    keys = [k for k in _TOP_KEYS if k not in SECTIONS]
    for section, cls in SECTIONS.items():
        keys.extend(f"{section}.{f.name}" for f in dataclasses.fields(cls))
    return keys


def _did_you_mean(key: str, candidates: list[str] | tuple[str, ...]) -> str:
    match = difflib.get_close_matches(key, list(candidates), n=1, cutoff=0.6)
    return f"; did you mean {match[0]}?" if match else ""


def _check_keys(
    table: Mapping[str, Any], allowed: tuple[str, ...], prefix: str, ctx: _Context
) -> None:
    for key in table:
        if key in allowed:
            continue
        dotted = f"{prefix}{key}"
        hint = _did_you_mean(key, allowed)
        if hint:
            hint = hint.replace("mean ", f"mean {prefix}", 1)
        elif prefix and key in _TOP_KEYS:
            # TOML puts every key after a [table] header into that table: a classic slip.
            hint = (
                f"; {key} belongs at the top level: move it above the first [table] header"
                if key not in SECTIONS
                else f"; [{key}] is a table of its own: start it with its own [{key}] header"
            )
        else:  # the right key in the wrong section: "method" at the top -> scoring.method
            elsewhere = [k for k in _all_keys() if k.rsplit(".", 1)[-1] == key]
            hint = f"; did you mean {elsewhere[0]}?" if elsewhere else ""
        where = f"[{prefix.rstrip('.')}]" if prefix else "the top level"
        raise ConfigError(
            f"unknown key {dotted} in {ctx.file}{hint} (accepted in {where}: {', '.join(allowed)})"
        )


def _describe(value: Any) -> str:
    return f"{value!r} ({type(value).__name__})"


def _bad(ctx: _Context, key: str, expected: str, value: Any) -> ConfigError:
    return ConfigError(f"{key} in {ctx.file}: expected {expected}; received {_describe(value)}")


def _str(ctx: _Context, key: str, value: Any, *, empty: bool = True) -> str:
    if not isinstance(value, str) or (not empty and not value.strip()):
        raise _bad(ctx, key, "a string" if empty else "a non-empty string", value)
    return value


def _choice(ctx: _Context, key: str, value: Any, accepted: tuple[str, ...]) -> str:
    if not isinstance(value, str) or value not in accepted:
        hint = _did_you_mean(value, accepted) if isinstance(value, str) else ""
        raise ConfigError(
            f"{key} in {ctx.file}: received {_describe(value)}; accepted: "
            f"{', '.join(repr(a) for a in accepted)}{hint}"
        )
    return value


def _int(ctx: _Context, key: str, value: Any, low: int, high: int | None = None) -> int:
    ok = isinstance(value, int) and not isinstance(value, bool)
    if not ok or value < low or (high is not None and value > high):
        span = f"an integer >= {low}" if high is None else f"an integer in [{low}, {high}]"
        raise _bad(ctx, key, span, value)
    return value


def _float(ctx: _Context, key: str, value: Any, test: Callable[[float], bool], span: str) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float) or not test(float(value)):
        raise _bad(ctx, key, f"a number {span}", value)
    return float(value)


def _list(ctx: _Context, key: str, value: Any, *, single: bool = True) -> list[Any]:
    """A TOML array; a lone string counts as a one-element list where that reads naturally."""
    if single and isinstance(value, str):
        return [value]
    if not isinstance(value, list):
        raise _bad(ctx, key, 'a list, e.g. ["a", "b"]', value)
    return value


def _str_list(ctx: _Context, key: str, value: Any, *, single: bool = True) -> list[str]:
    items = _list(ctx, key, value, single=single)
    return [_str(ctx, f"{key}[{i}]", v, empty=False) for i, v in enumerate(items)]


def _str_map(ctx: _Context, key: str, value: Any) -> dict[str, str]:
    if not isinstance(value, dict):
        raise _bad(ctx, key, f'a table [{key}] of name = "column" lines', value)
    return {k: _str(ctx, f"{key}.{k}", v, empty=False) for k, v in value.items()}


def _expand(ctx: _Context, key: str, text: str, folders: Mapping[str, Path]) -> str:
    defaults = {DATA_ENV: data_dir, MODELS_ENV: models_dir, LEXICONS_ENV: lexicons_dir}

    def replace(match: re.Match[str]) -> str:
        env, name = match.group(1), match.group(2)
        if env is not None:
            if env in os.environ:
                return os.environ[env]
            if env in defaults:
                return str(defaults[env]())
            raise ConfigError(
                f"{key} in {ctx.file}: environment variable {env!r} (in {text!r}) is not set; "
                f"set it, or write the path"
            )
        if name in folders:
            return str(folders[name])
        raise ConfigError(
            f"{key} in {ctx.file}: unknown placeholder {{{name}}} in {text!r}; accepted: "
            f"{', '.join('{' + k + '}' for k in folders)} and ${{ENVIRONMENT_VARIABLE}}"
        )

    return _PLACEHOLDER.sub(replace, text)


def _path(
    ctx: _Context, key: str, value: Any, folders: Mapping[str, Path], *, must_exist: str = ""
) -> Path:
    """Expand placeholders, resolve against the config folder; ``must_exist``: "file"/"any"."""
    text = _expand(ctx, key, _str(ctx, key, value, empty=False), folders)
    path = Path(text).expanduser()
    path = (path if path.is_absolute() else ctx.base / path).resolve()
    if ctx.check_paths and must_exist:
        exists = path.is_file() if must_exist == "file" else path.exists()
        if not exists:
            what = "file" if must_exist == "file" else "file or folder"
            raise ConfigError(
                f"{key} in {ctx.file}: {what} not found: {path} (from {value!r}; relative paths "
                f"start at {ctx.base})"
            )
    return path


def _name_or_path(ctx: _Context, key: str, value: Any, folders: Mapping[str, Path]) -> str:
    """A lexicon/model value: bare names stay names, anything else becomes an absolute path."""
    text = _str(ctx, key, value)
    if not text:
        return ""
    expanded = _expand(ctx, key, text, folders)
    return expanded if is_name(expanded) else str(_path(ctx, key, expanded, folders))


def _section(data: Mapping[str, Any], name: str, ctx: _Context) -> dict[str, Any]:
    table = data.get(name, {})
    if not isinstance(table, dict):
        raise _bad(ctx, name, f"a table [{name}]", table)
    cls = SECTIONS[name]
    _check_keys(table, tuple(f.name for f in dataclasses.fields(cls) if f.compare), f"{name}.", ctx)
    return table


def _build(data: Mapping[str, Any], ctx: _Context) -> ExperimentConfig:
    if not isinstance(data, Mapping):
        raise ConfigError(f"{ctx.file}: expected a table of settings; received {_describe(data)}")
    _check_keys(data, _TOP_KEYS, "", ctx)
    if "seed" not in data:
        raise ConfigError(
            f"seed is missing in {ctx.file}: add a line such as 'seed = 13' at the top; every "
            f"random choice of a run (bootstrap, sampling, training) derives from it"
        )
    top: dict[str, Any] = {"seed": _int(ctx, "seed", data["seed"], 0, MAX_SEED)}
    default_name = ctx.source.stem if ctx.source is not None else None
    if "name" in data or default_name is None:
        if "name" not in data:
            raise ConfigError(f'name is missing in {ctx.file}: add name = "my_experiment"')
        top["name"] = _experiment_name(ctx, _str(ctx, "name", data["name"], empty=False))
    else:
        top["name"] = _experiment_name(ctx, default_name, from_file=True)
    if "description" in data:
        top["description"] = _str(ctx, "description", data["description"])
    folders = {"config_dir": ctx.base, "project_dir": PROJECT_DIR}
    top["data_dir"] = (
        _path(ctx, "data_dir", data["data_dir"], folders) if "data_dir" in data else data_dir()
    )
    folders = {"data_dir": top["data_dir"], **folders}
    training = _training(_section(data, "training", ctx), ctx, folders, top["seed"])
    return ExperimentConfig(
        **top,
        corpus=_corpus(_section(data, "corpus", ctx), ctx, folders),
        targets=_targets(_section(data, "targets", ctx), ctx, folders),
        scoring=_scoring(_section(data, "scoring", ctx), ctx, folders, training),
        training=training,
        compare=_compare(_section(data, "compare", ctx), ctx),
        report=_report(_section(data, "report", ctx), ctx, top["name"]),
        source=ctx.source.expanduser().resolve() if ctx.source is not None else None,
    )


def _experiment_name(ctx: _Context, name: str, *, from_file: bool = False) -> str:
    """The experiment name, refused unless it is one plain file name (it names output folders).

    A name is joined to output folders (run folders, ``framing paper``): ``"../x"`` or ``"/x"``
    would put (and delete) files outside them, so separators, ``.``/``..``, a leading dot or
    ``~``, control and format characters (NUL, right-to-left override) and overlong names are
    refused here, before anything runs.
    """
    problem = ""
    if "/" in name or "\\" in name:
        problem = "it holds a path separator (/ or \\)"
    elif name.strip() in (".", "..") or name.startswith((".", "~")):
        problem = "it starts with '.' or '~'"
    elif any(unicodedata.category(c) in ("Cc", "Cf", "Zl", "Zp") for c in name):
        problem = "it holds a control character"
    elif len(name) > MAX_NAME_LENGTH:
        problem = f"it is longer than {MAX_NAME_LENGTH} characters"
    if not problem:
        return name
    where = f"the file name of {ctx.file} (the default name)" if from_file else f"name in {ctx.file}"
    raise ConfigError(
        f"{where}: {problem}; the experiment name becomes a folder name, so it must be one plain "
        f"name such as \"eu_japan_2023\"; received {name!r}"
    )


def _corpus(table: dict[str, Any], ctx: _Context, folders: Mapping[str, Path]) -> CorpusConfig:
    if "inputs" not in table:
        raise ConfigError(
            f"corpus.inputs is missing in {ctx.file}: add a [corpus] table with inputs = "
            f'["path/to/files"] (files or folders; {{data_dir}} expands)'
        )
    inputs = _str_list(ctx, "corpus.inputs", table["inputs"])
    if not inputs:
        raise _bad(ctx, "corpus.inputs", "at least one file or folder", table["inputs"])
    out: dict[str, Any] = {
        "inputs": tuple(
            _path(ctx, f"corpus.inputs[{i}]", p, folders, must_exist="any")
            for i, p in enumerate(inputs)
        )
    }
    if table.get("format"):
        out["format"] = _choice(ctx, "corpus.format", table["format"], INPUT_FORMATS)
    elif "format" in table:
        _str(ctx, "corpus.format", table["format"])
    if table.get("metadata"):
        out["metadata"] = _path(
            ctx, "corpus.metadata", table["metadata"], folders, must_exist="file"
        )
    elif table.get("metadata") is not None:  # None comes from to_dict(), never from TOML
        _str(ctx, "corpus.metadata", table["metadata"])
    if "languages" in table:
        languages = _str_list(ctx, "corpus.languages", table["languages"])
        for i, code in enumerate(languages):
            if not _LANGUAGE_CODE.fullmatch(code):
                raise _bad(
                    ctx, f"corpus.languages[{i}]", "a lower-case ISO 639-1 code such as 'en'", code
                )
        if not languages:
            raise _bad(ctx, "corpus.languages", "at least one language code", table["languages"])
        out["languages"] = tuple(dict.fromkeys(languages))
    if "columns" in table:
        columns = _str_map(ctx, "corpus.columns", table["columns"])
        for canonical in columns:
            if canonical not in COLUMN_FIELDS:
                raise ConfigError(
                    f"unknown key corpus.columns.{canonical} in {ctx.file}"
                    f"{_did_you_mean(canonical, COLUMN_FIELDS).replace('mean ', 'mean corpus.columns.')}"
                    f" (a column map fills one of: {', '.join(COLUMN_FIELDS)}; "
                    f"keep other columns with [corpus.extra])"
                )
        out["columns"] = FrozenDict(columns)
    if "extra" in table:
        extra = _str_map(ctx, "corpus.extra", table["extra"])
        for name in extra:
            if not _COLUMN_NAME.fullmatch(name) or name in _article_columns():
                raise ConfigError(
                    f"corpus.extra.{name} in {ctx.file}: the new column name must be a plain "
                    f"identifier (letters, digits, _) and not one of the article columns "
                    f"({', '.join(_article_columns())})"
                )
        out["extra"] = FrozenDict(extra)
    if "dayfirst" in table:
        value = table["dayfirst"]
        if isinstance(value, bool):
            out["dayfirst"] = value
        elif isinstance(value, list) and value:
            out["dayfirst"] = tuple(dict.fromkeys(_str_list(ctx, "corpus.dayfirst", value)))
        else:
            raise _bad(ctx, "corpus.dayfirst", 'true, false or a list of outlet names', value)
    return CorpusConfig(**out)


def _article_columns() -> tuple[str, ...]:
    from framing.schema import ARTICLE_COLUMNS  # schema sits below config: no import cycle

    return ARTICLE_COLUMNS


def _targets(table: dict[str, Any], ctx: _Context, folders: Mapping[str, Path]) -> TargetsConfig:
    out: dict[str, Any] = {}
    if "lexicon" in table:
        out["lexicon"] = _name_or_path(ctx, "targets.lexicon", table["lexicon"], folders)
        if not out["lexicon"]:
            raise _bad(
                ctx, "targets.lexicon", "a lexicon name such as 'targets-v1' or a folder", ""
            )
    if "extra" in table:
        out["extra"] = tuple(
            _path(ctx, f"targets.extra[{i}]", p, folders, must_exist="any")
            for i, p in enumerate(_str_list(ctx, "targets.extra", table["extra"]))
        )
    if "kinds" in table:
        out["kinds"] = tuple(dict.fromkeys(_str_list(ctx, "targets.kinds", table["kinds"])))
    cfg = TargetsConfig(**out)
    _check_folder(ctx, "targets.lexicon", cfg.lexicon, lexicon_folder)
    return cfg


def _training(
    table: dict[str, Any], ctx: _Context, folders: Mapping[str, Path], seed: int
) -> TrainingConfig:
    out: dict[str, Any] = {}
    if "labels" in table:
        out["labels"] = _choice(ctx, "training.labels", table["labels"], TRAINING_LABELS)
    if table.get("config") is not None:  # to_dict() writes None for "no training config"
        out["config"] = _path(ctx, "training.config", table["config"], folders, must_exist="file")
    if "base_model" in table:
        out["base_model"] = _name_or_path(ctx, "training.base_model", table["base_model"], folders)
    if "per_label" in table:
        out["per_label"] = _int(ctx, "training.per_label", table["per_label"], 1)
    if "margin" in table:
        out["margin"] = _float(ctx, "training.margin", table["margin"], lambda x: x > 0, "> 0")
    if "arguments" in table:
        arguments = table["arguments"]
        if not isinstance(arguments, Mapping):
            raise _bad(ctx, "training.arguments", "a table of TrainingArguments keys", arguments)
        if "seed" in arguments:
            raise ConfigError(
                f"training.arguments.seed in {ctx.file}: the run's seed (top-level seed) is used"
            )
        from framing.classifier import TrainingArguments

        try:
            TrainingArguments.from_dict({**arguments, "seed": seed})
        except ConfigError as err:
            raise ConfigError(f"training.arguments in {ctx.file}: {err}") from None
        out["arguments"] = FrozenDict(arguments)
    cfg = TrainingConfig(**out)
    if (cfg.labels == "config") != (cfg.config is not None):
        raise ConfigError(
            f"training.config in {ctx.file}: give a training config exactly when "
            f"training.labels = 'config' (labels is {cfg.labels!r})"
        )
    if cfg.base_model:
        _check_folder(ctx, "training.base_model", cfg.base_model, resolve_model)
    return cfg


def _scoring(
    table: dict[str, Any], ctx: _Context, folders: Mapping[str, Path], training: TrainingConfig
) -> ScoringConfig:
    out: dict[str, Any] = {}
    if "method" in table:
        out["method"] = _choice(ctx, "scoring.method", table["method"], SCORING_METHODS)
    if "lexicon" in table:
        out["lexicon"] = _name_or_path(ctx, "scoring.lexicon", table["lexicon"], folders)
        if not out["lexicon"]:
            raise _bad(
                ctx, "scoring.lexicon", "a lexicon name such as 'framing-stance-v1' or a folder", ""
            )
    if "model" in table:
        out["model"] = _name_or_path(ctx, "scoring.model", table["model"], folders)
    if "neutral_band" in table:
        out["neutral_band"] = _float(
            ctx, "scoring.neutral_band", table["neutral_band"], lambda x: 0 <= x < 1, "in [0, 1)"
        )
    if "precision" in table:
        out["precision"] = _choice(ctx, "scoring.precision", table["precision"], PRECISIONS)
    if "aggregation" in table:
        from framing.scoring import AGGREGATIONS

        out["aggregation"] = _choice(ctx, "scoring.aggregation", table["aggregation"], tuple(AGGREGATIONS))
    cfg = ScoringConfig(**out)
    if cfg.method in MODEL_METHODS and not cfg.model:
        raise ConfigError(
            f"scoring.model is missing in {ctx.file}: method {cfg.method!r} needs a trained model; "
            f"give its name under {models_dir()} or a folder path (or use method = 'lexicon')"
        )
    _check_folder(ctx, "scoring.lexicon", cfg.lexicon, lexicon_folder)
    if cfg.method in MODEL_METHODS and not training.labels:
        # With training.labels the run makes the model when it is missing.
        _check_folder(ctx, "scoring.model", cfg.model, resolve_model)
    if training.labels and cfg.method not in MODEL_METHODS:
        raise ConfigError(
            f"training.labels = {training.labels!r} in {ctx.file} trains a model, but "
            f"scoring.method is {cfg.method!r}; use method 'hybrid' or 'model', or drop [training]"
        )
    return cfg


def _check_folder(ctx: _Context, key: str, value: str, resolver: Callable[[str], Path]) -> None:
    """With ``check_paths``, resolve a lexicon/model now so that a typo fails before any work."""
    if not ctx.check_paths:
        return
    try:
        resolver(value)
    except ConfigError as err:
        raise ConfigError(f"{key} in {ctx.file}: {err}") from None


def _compare(table: dict[str, Any], ctx: _Context) -> CompareConfig:
    out: dict[str, Any] = {}
    if "by" in table:
        by = _str_list(ctx, "compare.by", table["by"])
        if not by:
            raise _bad(ctx, "compare.by", 'at least one column name, e.g. ["outlet"]', table["by"])
        out["by"] = tuple(by)
    if "also_by" in table:
        out["also_by"] = tuple(_str_list(ctx, "compare.also_by", table["also_by"]))
    for key in ("by", "also_by"):
        problem = schema.group_column_problem(out.get(key, ()))
        if problem:
            raise ConfigError(f"compare.{key} in {ctx.file}: {problem}")
    for key in ("n_boot", "n_perm", "min_n"):
        if key in table:
            out[key] = _int(ctx, f"compare.{key}", table[key], 1)
    if "ci" in table:
        out["ci"] = _float(
            ctx, "compare.ci", table["ci"], lambda x: 0 < x < 1, "in (0, 1), e.g. 0.95"
        )
    if "test" in table:
        out["test"] = _choice(ctx, "compare.test", table["test"], COMPARE_TESTS)
    if "events" in table:
        out["events"] = _choice(ctx, "compare.events", table["events"], EVENT_METHODS)
    if "event_window_days" in table:
        out["event_window_days"] = _int(
            ctx, "compare.event_window_days", table["event_window_days"], 0
        )
    if "event_threshold" in table:
        out["event_threshold"] = _float(
            ctx, "compare.event_threshold", table["event_threshold"], lambda x: -1 <= x <= 1,
            "a cosine in [-1, 1]",
        )
    return CompareConfig(**out)


def _report(table: dict[str, Any], ctx: _Context, name: str) -> ReportConfig:
    out: dict[str, Any] = {"title": name}
    if table.get("title"):
        out["title"] = _str(ctx, "report.title", table["title"])
    elif "title" in table:
        _str(ctx, "report.title", table["title"])
    if "figures" in table:
        figures = _list(ctx, "report.figures", table["figures"])
        out["figures"] = tuple(
            dict.fromkeys(
                _choice(ctx, f"report.figures[{i}]", f, REPORT_FIGURES)
                for i, f in enumerate(figures)
            )
        )
    return ReportConfig(**out)


def _plain(value: Any) -> Any:
    """Dataclasses, paths, tuples and mappings as JSON types."""
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {
            f.name: _plain(getattr(value, f.name)) for f in dataclasses.fields(value) if f.compare
        }
    if isinstance(value, Path):
        return value.as_posix()
    if isinstance(value, Mapping):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    return value
