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
    language = ""                   # language of short texts (headlines) that cannot be
                                    # identified alone; "": their outlet's, else the corpus's
    date_floor = "1900-01-01"       # dates before this are left empty (placeholders such as 0001)
    date_ceiling = ""               # dates after this are left empty; "": the day of the run
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
    figure_titles = false           # true: each figure carries its caption as its title (papers)

    [multiverse]                    # optional: every contrast under every combination of choices
    method = ["lexicon", "hybrid"]  # scoring.method values (the model ones use each `model`)
    model = []                      # scoring.model values; [] = scoring.model
    target_kinds = [[], ["name", "short_name"]]   # [] = the target set's default kinds
    aggregation = ["smoothed-v1", "author-v1"]    # voice: every sentence, or the author's own
    neutral_band = [0.0, 0.1, 0.2]  # scores within the band count as 0
    unit = ["article", "sentence"]
    min_mentions = [1, 2]           # least sentences mentioning the target for an article to count
    lexicon = []                    # scoring.lexicon values for the lexicon method; [] = scoring.lexicon
    n_boot = 1000

Placeholders in path values: ``${NAME}`` is an environment variable (``${FRAMING_DATA}``,
``${FRAMING_MODELS}`` and ``${FRAMING_LEXICONS}`` fall back to their defaults when unset; any other
variable must be set); ``{data_dir}``, ``{config_dir}`` and ``{project_dir}`` are folders. After
expansion a relative path is resolved against the config file's folder, so a config means the same
thing from any working directory. Lexicon and model values with a single path part
(``"targets-v1"``) are names, looked up under :func:`lexicons_dir` / :func:`models_dir` when used.

Every problem raises :class:`~framing.infra.errors.ConfigError` naming the file, the key path
(``scoring.method``), what was received and what is accepted; a misspelt key names the closest
valid one.

One validator reads every section: each dataclass field says in its metadata how its value is
checked (``field(default="lexicon", metadata=_check(Choice(SCORING_METHODS)))``; the checks are
:class:`Text`, :class:`Choice`, :class:`Integer`, :class:`Number`, :class:`ListOf`,
:class:`PathValue`, :class:`NameOrPath`, :class:`Table` and :class:`FlagOrNames`), and
``_read_fields`` applies them to the keys a table holds. Rules that span fields or sections
(a model for the model methods, ``training.labels`` against ``scoring.method``, the experiment
name, lexicon and model folders that must exist) are small named post-checks.
"""

from __future__ import annotations

import dataclasses
import os
import re
import tomllib
import unicodedata
import warnings
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import Any

from framing.infra import schema
from framing.infra.defaults import (
    DEFAULT_LANGUAGES,
)
from framing.infra.errors import ConfigError
from framing.infra.paths import (  # noqa: F401 - re-exported: config.data_dir() etc.
    DATA_ENV,
    LEXICONS_ENV,
    MODELS_ENV,
    PACKAGE_DIR,
    PROJECT_DIR,
    _did_you_mean,
    _resolve_folder,
    data_dir,
    demo_corpus_path,
    is_name,
    is_source_checkout,
    lexicon_folder,
    lexicons_dir,
    models_dir,
    resolve_model,
    user_dir,
)
from framing.infra.settings import (  # noqa: F401 - the validator (re-exported for old imports)
    _DEFAULT,
    _PLACEHOLDER,
    Choice,
    Flag,
    FlagOrNames,
    FrozenDict,
    Integer,
    ListOf,
    NameOrPath,
    Number,
    PathValue,
    Table,
    Text,
    _bad,
    _check,
    _Context,
    _describe,
    _expand,
    _missing,
    _name_or_path,
    _path,
    _read_fields,
    _str,
)
from framing.stance.settings import (  # noqa: F401 - the scorer's settings, one section each
    MODEL_METHODS,
    PRECISIONS,
    SCORING_METHODS,
    ScoringConfig,
    TargetsConfig,
    _aggregations,
)

# Vocabularies of settings. They mirror constants of other modules (corpus.files.FORMATS keys,
# corpus.fields.CANONICAL_FIELDS, analysis.statistics.TESTS), which config does not import so that
# reading a config stays light; tests/test_config.py checks that the copies agree.
#: How events are grouped (``[compare] events``).
EVENT_METHODS: tuple[str, ...] = ("column", "encoder", "tfidf")
#: How ``training.labels`` makes a missing model: "" (it must exist), weak labels, a training config.
TRAINING_LABELS: tuple[str, ...] = ("", "weak", "config")
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
#: Longest experiment name (it names folders; ``framing.runs.folders.MAX_NAME`` is the same length).
MAX_NAME_LENGTH = 100

_LANGUAGE_CODE = re.compile(r"[a-z]{2,3}")
_LANGUAGE_CODE_OR_BLANK = re.compile(r"(?:[a-z]{2,3})?")
_ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
_COLUMN_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


# --------------------------------------------------------------------------------------------
# Folders

def resolve_lexicon(name_or_path: str | os.PathLike) -> Path:
    """Deprecated name of :func:`lexicon_folder` (it returns the folder, not a loaded lexicon)."""
    warnings.warn(
        "framing.runs.config.resolve_lexicon is deprecated: use framing.runs.config.lexicon_folder "
        "(framing.stance.scoring.resolve_lexicon loads the lexicon itself)",
        DeprecationWarning,
        stacklevel=2,
    )
    return lexicon_folder(name_or_path)


# --------------------------------------------------------------------------------------------
# Field checks: each field of a config dataclass names, in its metadata, how its value is read


def _column_field(ctx: _Context, key: str, name: str) -> None:
    """A ``[corpus.columns]`` name must be a canonical field."""
    if name not in COLUMN_FIELDS:
        raise ConfigError(
            f"unknown key {key}.{name} in {ctx.file}"
            f"{_did_you_mean(name, COLUMN_FIELDS).replace('mean ', f'mean {key}.')}"
            f" (a column map fills one of: {', '.join(COLUMN_FIELDS)}; "
            f"keep other columns with [corpus.extra])"
        )


def _new_column(ctx: _Context, key: str, name: str) -> None:
    """A ``[corpus.extra]`` name must be a plain identifier and not an article column."""
    if not _COLUMN_NAME.fullmatch(name) or name in schema.ARTICLE_COLUMNS:
        raise ConfigError(
            f"{key}.{name} in {ctx.file}: the new column name must be a plain "
            f"identifier (letters, digits, _) and not one of the article columns "
            f"({', '.join(schema.ARTICLE_COLUMNS)})"
        )


@dataclass(frozen=True)
class _IsoDate:
    """A date: "YYYY-MM-DD" or a TOML date, read as "YYYY-MM-DD"; ``blank=True`` also takes "".

    >>> _IsoDate().read(_Context("x.toml"), "corpus.date_floor", "1900-02-30", {})
    Traceback (most recent call last):
    framing.infra.errors.ConfigError: corpus.date_floor in x.toml: expected a date that exists, written YYYY-MM-DD such as "1900-01-01"; received '1900-02-30' (str)
    """

    blank: bool = False

    def read(self, ctx: _Context, key: str, value: Any, folders: Mapping[str, Path]) -> str:
        if isinstance(value, date) and not isinstance(value, datetime):
            return value.isoformat()
        expected = 'a date that exists, written YYYY-MM-DD such as "1900-01-01"'
        if self.blank:
            expected += ', or "" (the day of the run)'
            if value == "":
                return ""
        if isinstance(value, str) and _ISO_DATE.fullmatch(value):
            try:
                return date.fromisoformat(value).isoformat()
            except ValueError:
                pass
        raise _bad(ctx, key, expected, value)


def _omit_default(spec: Any) -> dict[str, Any]:
    """Field metadata for a key that ``to_dict`` leaves out at its default (see :func:`_plain`)."""
    return {**_check(spec), "omit_default": True}


def _check_corpus(cfg: CorpusConfig, ctx: _Context) -> CorpusConfig:
    """The date floor must not be after the date ceiling (when the ceiling is stated)."""
    if cfg.date_ceiling and cfg.date_floor > cfg.date_ceiling:
        raise ConfigError(
            f"corpus.date_floor in {ctx.file}: {cfg.date_floor} is after corpus.date_ceiling "
            f"{cfg.date_ceiling}, so every date would be left empty; give a floor before the ceiling"
        )
    return cfg


# --------------------------------------------------------------------------------------------
# Experiment config: the dataclasses (field names are the TOML keys)


@dataclass(frozen=True)
class CorpusConfig:
    """Which articles to read and how (the arguments of ``corpus.load``)."""

    #: Files and folders, absolute.
    inputs: tuple[Path, ...] = field(
        metadata=_check(
            ListOf(PathValue(must_exist="any"), at_least="at least one file or folder"),
            missing='add a [corpus] table with inputs = ["path/to/files"] (files or folders; '
            "{data_dir} expands)",
        )
    )
    #: Forced input format; "" guesses from each file's ending.
    format: str = field(default="", metadata=_check(Choice(INPUT_FORMATS, blank=True)))
    #: Sidecar CSV/JSONL with per-file metadata; None: ``metadata.csv`` in the folder, if any.
    metadata: Path | None = field(
        default=None, metadata=_check(PathValue("file", optional=True, blank=True))
    )
    #: Languages that are processed; others get status ``unsupported_language``.
    languages: tuple[str, ...] = field(
        default=DEFAULT_LANGUAGES,
        metadata=_check(
            ListOf(
                Text(False, _LANGUAGE_CODE, "a lower-case ISO 639-1 code such as 'en'"),
                at_least="at least one language code",
                unique=True,
            )
        ),
    )
    #: Canonical field -> input column, for tabular inputs.
    columns: FrozenDict = field(
        default_factory=FrozenDict, metadata=_check(Table(strings=True, check_name=_column_field))
    )
    #: New column name -> input column, kept for grouping (e.g. ``leaning = "bias_text"``).
    extra: FrozenDict = field(
        default_factory=FrozenDict, metadata=_check(Table(strings=True, check_name=_new_column))
    )
    #: Dates valid in both orders ("05/07/2023"): true reads them day first, false month first;
    #: a list of outlet names reads day first for those outlets only (``corpus.load(dayfirst=)``).
    dayfirst: bool | tuple[str, ...] = field(default=False, metadata=_check(FlagOrNames()))
    # The keys below are left out of ``to_dict`` (hence of run ids) at their default, so the run
    # ids of configs written before they existed stay the same.
    #: Language of short texts (headlines) that cannot be identified alone; long texts keep their
    #: detected language. "": the outlet's, else the corpus's dominant language
    #: (``corpus.load(language=)``).
    language: str = field(
        default="",
        metadata=_omit_default(
            Text(True, _LANGUAGE_CODE_OR_BLANK, "a lower-case ISO 639-1 code such as 'en', or ''")
        ),
    )
    #: Dates before this ("YYYY-MM-DD") are implausible: ``published`` is left empty.
    date_floor: str = field(default="1900-01-01", metadata=_omit_default(_IsoDate()))
    #: Dates after this are implausible; "" is the day of the run.
    date_ceiling: str = field(default="", metadata=_omit_default(_IsoDate(blank=True)))


@dataclass(frozen=True)
class TrainingConfig:
    """Fine-tuning inside a run: how ``scoring.model`` is made when it does not exist yet."""

    #: "" : scoring.model must exist. "weak": derive weak labels from this corpus with the lexicon
    #: and fine-tune scoring.model on them when it is missing or was trained on other labels.
    #: "config": train scoring.model from the training config ``config`` (``framing train``
    #: format) when it is missing or was trained from other settings or data.
    labels: str = field(default="", metadata=_check(Choice(TRAINING_LABELS)))
    #: Training config (TOML) for labels = "config".
    config: Path | None = field(default=None, metadata=_check(PathValue("file", optional=True)))
    #: Encoder to fine-tune: a folder or a model name; "" = the bundled all-MiniLM-L6-v2.
    base_model: str = field(default="", metadata=_check(NameOrPath()))
    #: Weak labels: at most this many rows per label.
    per_label: int = field(default=2000, metadata=_check(Integer(1)))
    #: Weak labels: cue weight needed for favor/against.
    margin: float = field(default=1.0, metadata=_check(Number(0, low_open=True)))
    #: Keys of framing.stance.classifier.TrainingArguments (the seed is the experiment's).
    arguments: FrozenDict = field(
        default_factory=FrozenDict, metadata=_check(Table("a table of TrainingArguments keys"))
    )


@dataclass(frozen=True)
class CompareConfig:
    """Outlet comparison: grouping and the statistics' knobs."""

    #: Columns of the score table (joined with the articles) to group by.
    by: tuple[str, ...] = field(
        default=("outlet",),
        metadata=_check(
            ListOf(
                at_least='at least one column name, e.g. ["outlet"]',
                problem=schema.group_column_problem,
            )
        ),
    )
    #: Bootstrap resamples for intervals.
    n_boot: int = field(default=2000, metadata=_check(Integer(1)))
    #: Permutations for pairwise tests.
    n_perm: int = field(default=9999, metadata=_check(Integer(1)))
    #: Groups with fewer articles get no interval (too few to say anything).
    min_n: int = field(default=5, metadata=_check(Integer(1)))
    #: Interval coverage.
    ci: float = field(default=0.95, metadata=_check(Number(0, 1, True, True, note=", e.g. 0.95")))
    #: Test for pairwise contrasts, one of ``COMPARE_TESTS``.
    test: str = field(default="permutation", metadata=_check(Choice(COMPARE_TESTS)))
    #: Same-event grouping, one of ``EVENT_METHODS``: "column" uses the corpus's ``event`` column
    #: (none: no same-event view); "encoder" / "tfidf" group articles by date window and the
    #: cosine similarity of their title and lead (framing.analysis.events.group_events).
    events: str = field(default="column", metadata=_check(Choice(EVENT_METHODS)))
    #: Days an event stays open after its first article.
    event_window_days: int = field(default=3, metadata=_check(Integer(0)))
    #: Smallest mean cosine similarity to join an event (encoder: ~0.5; TF-IDF: ~0.2).
    event_threshold: float = field(default=0.5, metadata=_check(Number(-1, 1, note=" (a cosine)")))
    #: Further grouping columns, each with its own stance table and heatmap (e.g. ["outlet"]
    #: beside by = ["leaning"]).
    also_by: tuple[str, ...] = field(
        default=(), metadata=_check(ListOf(problem=schema.group_column_problem))
    )


@dataclass(frozen=True)
class ReportConfig:
    """What the report shows."""

    #: Report title; "" means the experiment name.
    title: str = field(default="", metadata=_check(Text()))
    #: Figures to draw, each one of ``REPORT_FIGURES``.
    figures: tuple[str, ...] = field(
        default=REPORT_FIGURES, metadata=_check(ListOf(Choice(REPORT_FIGURES), unique=True))
    )
    #: Draw each figure's caption as its title, so an exported figure carries its own caption.
    figure_titles: bool = field(default=False, metadata=_omit_default(Flag()))


#: Units of analysis a multiverse may compare (framing.analysis.multiverse.UNITS).
MULTIVERSE_UNITS: tuple[str, ...] = ("article", "sentence")


@dataclass(frozen=True)
class MultiverseConfig:
    """The choices a multiverse varies, each a list of values of an existing setting; a choice
    left empty keeps the run's own value. No list at all: no multiverse."""

    #: ``scoring.method`` values; the model methods are scored by each of ``model``.
    method: tuple[str, ...] = field(default=(), metadata=_check(ListOf(Choice(SCORING_METHODS), unique=True)))
    #: ``scoring.model`` values (names or folders); () is ``scoring.model``.
    model: tuple[str, ...] = field(default=(), metadata=_check(ListOf(NameOrPath(), unique=True)))
    #: ``targets.kinds`` values: lists of alias kinds, [] for the target set's default kinds.
    #: They can only narrow the kinds the run finds mentions of.
    target_kinds: tuple[tuple[str, ...], ...] = field(
        default=(), metadata=_check(ListOf(ListOf(), unique=True)))
    #: ``scoring.aggregation`` values (author-v1: the author's voice only).
    aggregation: tuple[str, ...] = field(
        default=(), metadata=_check(ListOf(Choice(_aggregations), unique=True)))
    #: Neutral bands: article (or sentence) scores within the band count as 0; 0 keeps them.
    neutral_band: tuple[float, ...] = field(
        default=(), metadata=_check(ListOf(Number(0, 1, high_open=True), unique=True)))
    #: Units of analysis, of ``MULTIVERSE_UNITS``.
    unit: tuple[str, ...] = field(default=(), metadata=_check(ListOf(Choice(MULTIVERSE_UNITS), unique=True)))
    #: Least number of sentences mentioning a target for an article to count toward it; () is 1
    #: (every article that mentions it).
    min_mentions: tuple[int, ...] = field(
        default=(), metadata=_omit_default(ListOf(Integer(1), unique=True)))
    #: ``scoring.lexicon`` values for the lexicon method (one scorer each); () is the run's.
    lexicon: tuple[str, ...] = field(
        default=(), metadata=_omit_default(ListOf(NameOrPath(), unique=True)))
    #: Bootstrap resamples per contrast and specification.
    n_boot: int = field(default=1000, metadata=_check(Integer(1)))
    #: Most groups compared (those with most articles); beyond, pairs are too many to show.
    max_groups: int = field(default=12, metadata=_check(Integer(2)))

    @property
    def enabled(self) -> bool:
        """Whether the config asks for a multiverse (any choice listed)."""
        return any((self.method, self.model, self.target_kinds, self.aggregation,
                    self.neutral_band, self.unit, self.min_mentions, self.lexicon))


def _default_data_dir() -> Path:
    return data_dir()


@dataclass(frozen=True)
class ExperimentConfig:
    """A whole experiment, resolved: absolute paths, placeholders expanded, defaults filled in.

    Build one with :func:`load_config` (or :meth:`from_dict`), which validate; the constructor
    only stores what it is given. ``source`` (the TOML file) is not part of the settings: two
    configs with the same settings compare equal and give the same run id wherever they live.
    """

    name: str = field(metadata=_check(Text(empty=False), missing='add name = "my_experiment"'))
    seed: int = field(
        metadata=_check(
            Integer(0, MAX_SEED),
            missing="add a line such as 'seed = 13' at the top; every random choice of a run "
            "(bootstrap, sampling, training) derives from it",
        )
    )
    corpus: CorpusConfig
    description: str = field(default="", metadata=_check(Text()))
    data_dir: Path = field(default_factory=_default_data_dir, metadata=_check(PathValue()))
    targets: TargetsConfig = field(default_factory=TargetsConfig)
    scoring: ScoringConfig = field(default_factory=ScoringConfig)
    training: TrainingConfig = field(default_factory=TrainingConfig)
    compare: CompareConfig = field(default_factory=CompareConfig)
    report: ReportConfig = field(default_factory=ReportConfig)
    multiverse: MultiverseConfig = field(default_factory=MultiverseConfig,
                                         metadata={"omit_default": True})
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
            and not (f.metadata.get("omit_default") and getattr(self, f.name) == _default_of(f))
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
    "multiverse": MultiverseConfig,
}
_TOP_KEYS: tuple[str, ...] = tuple(
    f.name for f in dataclasses.fields(ExperimentConfig) if f.compare
)


def _all_keys() -> list[str]:
    keys = [k for k in _TOP_KEYS if k not in SECTIONS]
    for section, cls in SECTIONS.items():
        keys.extend(f"{section}.{f.name}" for f in dataclasses.fields(cls))
    return keys


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


def _section(data: Mapping[str, Any], name: str, ctx: _Context, folders: Mapping[str, Path]) -> Any:
    """Read the ``[name]`` table into its dataclass (:data:`SECTIONS`); keys checked first."""
    table = data.get(name, {})
    if not isinstance(table, dict):
        raise _bad(ctx, name, f"a table [{name}]", table)
    cls = SECTIONS[name]
    _check_keys(table, tuple(f.name for f in dataclasses.fields(cls) if f.compare), f"{name}.", ctx)
    return cls(**_read_fields(cls, table, f"{name}.", ctx, folders))


def _build(data: Mapping[str, Any], ctx: _Context) -> ExperimentConfig:
    if not isinstance(data, Mapping):
        raise ConfigError(f"{ctx.file}: expected a table of settings; received {_describe(data)}")
    _check_keys(data, _TOP_KEYS, "", ctx)
    # Without a name the file's stem names the experiment; a mapping without a file needs one.
    from_file = "name" not in data and ctx.source is not None
    names = ("seed", "description", "data_dir") if from_file else ("seed", "name", "description", "data_dir")
    folders = {"config_dir": ctx.base, "project_dir": PROJECT_DIR}
    top = _read_fields(ExperimentConfig, data, "", ctx, folders, names)
    name = ctx.source.stem if from_file and ctx.source is not None else top["name"]
    top["name"] = _experiment_name(ctx, name, from_file=from_file)
    top.setdefault("data_dir", data_dir())
    folders = {"data_dir": top["data_dir"], **folders}
    # Post-checks that span fields or sections follow each section, in this order.
    training = _check_training(_section(data, "training", ctx, folders), ctx, top["seed"])
    corpus = _check_corpus(_section(data, "corpus", ctx, folders), ctx)
    targets = _section(data, "targets", ctx, folders)
    _check_folder(ctx, "targets.lexicon", targets.lexicon, lexicon_folder)
    multiverse = _section(data, "multiverse", ctx, folders)
    scoring = _check_scoring(_section(data, "scoring", ctx, folders), ctx, training,
                             multiverse.method)
    compare = _section(data, "compare", ctx, folders)
    report = _section(data, "report", ctx, folders)
    multiverse = _check_multiverse(multiverse, ctx, scoring, training)
    return ExperimentConfig(
        **top,
        corpus=corpus,
        targets=targets,
        scoring=scoring,
        training=training,
        compare=compare,
        report=dataclasses.replace(report, title=report.title or top["name"]),
        multiverse=multiverse,
        source=ctx.source.expanduser().resolve() if ctx.source is not None else None,
    )


def _default_of(f: dataclasses.Field) -> Any:
    if f.default_factory is not dataclasses.MISSING:  # type: ignore[misc]
        return f.default_factory()  # type: ignore[misc]
    return f.default


def _check_multiverse(cfg: MultiverseConfig, ctx: _Context, scoring: ScoringConfig,
                      training: TrainingConfig) -> MultiverseConfig:
    """A model method in the multiverse needs a model: listed, or the scoring's."""
    methods = cfg.method or (scoring.method,)
    if any(m in MODEL_METHODS for m in methods) and not (cfg.model or scoring.model):
        raise ConfigError(
            f"multiverse.method in {ctx.file}: {[m for m in methods if m in MODEL_METHODS]} need a "
            "model; list it in multiverse.model or set scoring.model"
        )
    if any(m in MODEL_METHODS for m in methods):
        for i, model in enumerate(cfg.model):
            # The run's own model may be trained on first use; any other must exist.
            if not (model == scoring.model and training.labels):
                _check_folder(ctx, f"multiverse.model[{i}]", model, resolve_model)
    for i, lexicon in enumerate(cfg.lexicon):
        _check_folder(ctx, f"multiverse.lexicon[{i}]", lexicon, lexicon_folder)
    for i, kinds in enumerate(cfg.target_kinds):
        if len(set(kinds)) != len(kinds):
            raise ConfigError(f"multiverse.target_kinds[{i}] in {ctx.file}: a kind is listed twice")
    return cfg


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


def _check_training(cfg: TrainingConfig, ctx: _Context, seed: int) -> TrainingConfig:
    """Training arguments under the run's seed; a training config exactly for labels 'config'."""
    if cfg.arguments:
        if "seed" in cfg.arguments:
            raise ConfigError(
                f"training.arguments.seed in {ctx.file}: the run's seed (top-level seed) is used"
            )
        from framing.stance.classifier import TrainingArguments

        try:
            TrainingArguments.from_dict({**cfg.arguments, "seed": seed})
        except ConfigError as err:
            raise ConfigError(f"training.arguments in {ctx.file}: {err}") from None
    if (cfg.labels == "config") != (cfg.config is not None):
        raise ConfigError(
            f"training.config in {ctx.file}: give a training config exactly when "
            f"training.labels = 'config' (labels is {cfg.labels!r})"
        )
    if cfg.base_model:
        _check_folder(ctx, "training.base_model", cfg.base_model, resolve_model)
    return cfg


def _check_scoring(cfg: ScoringConfig, ctx: _Context, training: TrainingConfig,
                   multiverse_methods: tuple[str, ...] = ()) -> ScoringConfig:
    """A model for the model methods (made by the run when training says how); folders exist.

    With the lexicon method, ``[training]`` may still train ``scoring.model`` for a multiverse
    that compares a model method.
    """
    if cfg.method in MODEL_METHODS and not cfg.model:
        raise _missing(
            ctx,
            "scoring.model",
            f"method {cfg.method!r} needs a trained model; give its name under {models_dir()} "
            f"or a folder path (or use method = 'lexicon')",
        )
    _check_folder(ctx, "scoring.lexicon", cfg.lexicon, lexicon_folder)
    if cfg.method in MODEL_METHODS and not training.labels:
        # With training.labels the run makes the model when it is missing.
        _check_folder(ctx, "scoring.model", cfg.model, resolve_model)
    modelled = cfg.method in MODEL_METHODS or (
        cfg.model and any(m in MODEL_METHODS for m in multiverse_methods))
    if training.labels and not modelled:
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


def _plain(value: Any) -> Any:
    """Dataclasses, paths, tuples and mappings as JSON types."""
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {
            f.name: _plain(getattr(value, f.name))
            for f in dataclasses.fields(value)
            if f.compare
            and not (f.metadata.get("omit_default") and getattr(value, f.name) == f.default)
        }
    if isinstance(value, Path):
        return value.as_posix()
    if isinstance(value, Mapping):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    return value
