"""Score a corpus larger than memory: chunk by chunk, with bounded memory, resumable.

``score_stream`` reads a Parquet or JSONL file ``chunk_size`` articles at a time
(:func:`framing.corpus.loading.read_chunks`), scores each chunk with :class:`ChunkScorer` (the same
functions as ``framing score``: sentences, mentions, then the lexicon, model or hybrid scorer) and
writes the chunk's tables to ``<out>/parts/<chunk>/`` before reading the next one. Memory holds
the model, the lexicon and one chunk, whatever the size of the corpus.

Resuming: a chunk's folder is written under a temporary name and renamed when complete, so a
chunk folder is either whole or absent. A run that is killed and started again with the same
input and settings skips the finished chunks, removes any half-written one, and carries on; the
output is the same as an uninterrupted run's, with no article twice and none missing
(``stream.json`` records the input's size and modification time and the settings; a run with
other settings or a changed input is refused rather than mixed in).

When every chunk is done the parts are combined into ``articles.parquet`` (the article table
without the text, which stays in the input), ``scores.parquet`` and ``frames.parquet`` (lexicon)
or ``predictions.parquet`` (model, hybrid). Combining holds the outputs, not the texts, in
memory; ``combine=False`` leaves only the parts (read them with :func:`read_parts`).

Scores are exactly those of scoring the whole file at once: every stage is per article. Two
things are per chunk: duplicate flags (an exact or near copy in another chunk is not flagged)
and the deduplication of identical (sentence, target) pairs before the model (a speed-up only).
"""

from __future__ import annotations

import contextlib
import dataclasses
import functools
import hashlib
import json
import os
import platform
import shutil
from collections.abc import Callable, Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any

import pandas as pd

from framing.corpus import loading as corpus
from framing.infra.defaults import DEFAULT_LANGUAGES, MAX_CHARS
from framing.infra.errors import ConfigError, DataError
from framing.runs.config import SCORING_METHODS, ScoringConfig
from framing.runs.folders import write_error, write_json, write_table
from framing.stance import scorer as scorer_mod

METHODS: tuple[str, ...] = SCORING_METHODS
#: The per-chunk tables of each method (besides ``articles``).
TABLES: dict[str, tuple[str, ...]] = scorer_mod.TABLES
STATE_FILE = "stream.json"
PARTS = "parts"
_TMP_PREFIX = ".tmp-"
#: Article-table columns left out of the streamed output (the input holds them).
DROPPED_COLUMNS: tuple[str, ...] = ("text",)


#: Keywords of :class:`StreamSettings` that fill its scoring config (flat, as before the one scorer).
SCORING_KEYWORDS: tuple[str, ...] = (
    "method", "model", "lexicon", "target_set", "target_kinds", "extra_aliases", "precision",
    "aggregation", "neutral_band",
)


#: Default of a reading setting, left out of :meth:`StreamSettings.key` at that value.
DATE_FLOOR = "1900-01-01"
_READ_DEFAULTS: dict[str, Any] = {"dayfirst": False, "language": None, "date_floor": DATE_FLOOR,
                                  "date_ceiling": None}
_NO_DEFAULT = object()


@dataclasses.dataclass(frozen=True, init=False)
class StreamSettings:
    """What a streamed run computes; two runs with equal settings give the same output.

    The scoring itself is a :class:`framing.runs.config.ScoringConfig` (``scoring``), the one config of
    every entry point; the other settings say how the file is read and cut into chunks. The flat
    keywords of :data:`SCORING_KEYWORDS` (``method=``, ``model=``...) build that config, as
    :func:`framing.stance.scorer.scoring_config` does.

    Parameters
    ----------
    scoring : ScoringConfig, optional
        Method, lexicon, model, target set and alias kinds, neutral band, precision, aggregation.
    languages : tuple of str
        Languages that are scored (others get status "unsupported_language").
    column_map : mapping
        ``{canonical field: input column}``, as for :func:`framing.corpus.loading.load`.
    fmt : str, optional
        "parquet" or "jsonl" when the file ending does not say.
    max_chars : int
        Longer texts are truncated (status "too_large").
    near_duplicates : bool
        Flag near duplicates within each chunk.
    article_frames : bool
        Lexicon: also count frames over every sentence (article-level frame rows).
    chunk_size : int
        Articles per chunk.
    num_threads : int, optional
        torch threads for the model (default: the cores available). Not part of :meth:`key`: a
        run may be resumed with another value (float rounding may differ in the last digits).
    dayfirst : bool or tuple of str
        Order of dates valid both ways ("05/07/2023"), as for :func:`framing.corpus.loading.load`.
    language : str, optional
        Language of short texts (headlines) too short to identify alone, as for ``load``
        (default: the outlet's, else the chunk's dominant language).
    date_floor, date_ceiling : str, optional
        Dates outside these bounds are left empty, as for ``load`` (ceiling None: today).
    **flat
        ``method``, ``model``, ``lexicon``, ``target_set``, ``target_kinds``, ``extra_aliases``,
        ``precision``, ``aggregation``, ``neutral_band`` instead of ``scoring``.

    Examples
    --------
    >>> StreamSettings(method="lexicon", neutral_band=0.2).scoring.neutral_band
    0.2
    """

    scoring: ScoringConfig
    languages: tuple[str, ...]
    column_map: Mapping[str, str]
    fmt: str | None
    max_chars: int
    near_duplicates: bool
    article_frames: bool
    chunk_size: int
    num_threads: int | None
    dayfirst: bool | tuple[str, ...]
    language: str | None
    date_floor: str | None
    date_ceiling: str | None

    def __init__(self, scoring: ScoringConfig | None = None, *, languages: Sequence[str] = DEFAULT_LANGUAGES,
                 column_map: Mapping[str, str] | None = None, fmt: str | None = None,
                 max_chars: int = MAX_CHARS, near_duplicates: bool = True, article_frames: bool = True,
                 chunk_size: int = 1000, num_threads: int | None = None,
                 dayfirst: bool | Sequence[str] = False, language: str | None = None,
                 date_floor: str | None = DATE_FLOOR, date_ceiling: str | None = None,
                 **flat: Any) -> None:
        unknown = sorted(set(flat) - set(SCORING_KEYWORDS))
        if unknown:
            raise ConfigError(f"unknown stream setting(s) {unknown}; accepted: scoring, "
                              f"{', '.join(f.name for f in dataclasses.fields(self)[1:])}, "
                              f"{', '.join(SCORING_KEYWORDS)}")
        if scoring is not None and flat:
            raise ConfigError(f"give scoring= or the flat scoring settings {sorted(flat)}, not both")
        values = dict(
            scoring=scoring if scoring is not None else scorer_mod.scoring_config(**flat),
            languages=tuple(languages), column_map=dict(column_map or {}), fmt=fmt,
            max_chars=max_chars, near_duplicates=near_duplicates, article_frames=article_frames,
            chunk_size=chunk_size, num_threads=num_threads,
            dayfirst=dayfirst if isinstance(dayfirst, bool) else tuple(dayfirst),
            language=language or None,
            date_floor=None if date_floor is None else str(date_floor),
            date_ceiling=None if date_ceiling in (None, "") else str(date_ceiling),
        )
        for name, value in values.items():
            object.__setattr__(self, name, value)
        scorer_mod.check_config(self.scoring)
        if not isinstance(self.chunk_size, int) or self.chunk_size < 1:
            raise ConfigError(f"chunk_size must be a positive integer; received {self.chunk_size!r}")
        if self.num_threads is not None and (not isinstance(self.num_threads, int)
                                             or self.num_threads < 1):
            raise ConfigError(f"num_threads must be a positive integer; received {self.num_threads!r}")

    def reading(self) -> dict:
        """The keywords of ``corpus.read_chunks``/``articles_from_frame`` on dates and language."""
        return dict(dayfirst=self.dayfirst, language=self.language, date_floor=self.date_floor,
                    date_ceiling=self.date_ceiling)

    @property
    def method(self) -> str:
        """The scoring method (``scoring.method``)."""
        return self.scoring.method

    def to_dict(self) -> dict:
        """JSON-ready settings: the scoring config flat (as ``stream.json`` has always held it)."""
        out = scorer_mod.flat_scoring(self.scoring)
        for f in dataclasses.fields(self)[1:]:
            out[f.name] = getattr(self, f.name)
        return json.loads(json.dumps(out, sort_keys=True))

    def key(self) -> str:
        """12 hex chars identifying the settings that change the output (not ``num_threads``)."""
        # Reading settings only when they differ from their defaults: runs from before the
        # setting existed keep their key.
        text = json.dumps({k: v for k, v in self.to_dict().items()
                           if k != "num_threads" and _READ_DEFAULTS.get(k, _NO_DEFAULT) != v},
                          sort_keys=True)
        return hashlib.sha256(text.encode("utf-8")).hexdigest()[:12]


class ChunkScorer:
    """Scores article tables chunk after chunk: :class:`framing.stance.scorer.Scorer`, loaded once.

    Parameters
    ----------
    settings : StreamSettings

    Examples
    --------
    >>> scorer = ChunkScorer(StreamSettings())  # doctest: +SKIP
    >>> tables = scorer(articles)  # {"articles", "scores", "frames"}  # doctest: +SKIP
    """

    def __init__(self, settings: StreamSettings) -> None:
        self.settings = settings
        self.scorer = scorer_mod.Scorer(settings.scoring, article_frames=settings.article_frames,
                                        num_threads=settings.num_threads)

    def __call__(self, articles: pd.DataFrame) -> dict[str, pd.DataFrame]:
        """Score one article table; returns ``{"articles": ..., <TABLES[method]>: ...}``."""
        tables = self.scorer(articles)
        out = {"articles": articles.drop(columns=[c for c in DROPPED_COLUMNS if c in articles])}
        out.update({name: tables[name] for name in self.scorer.tables})
        return out


def input_fingerprint(path: str | os.PathLike) -> dict:
    """Size and modification time of the input: a changed file is not resumed into."""
    stat = Path(path).stat()
    return {"path": Path(path).resolve().as_posix(), "size": stat.st_size, "mtime_ns": stat.st_mtime_ns}


def score_stream(
    path: str | os.PathLike,
    output: str | os.PathLike,
    settings: StreamSettings,
    *,
    restart: bool = False,
    combine: bool = True,
    progress: bool = False,
    scorer: Callable[[pd.DataFrame], dict[str, pd.DataFrame]] | None = None,
) -> dict:
    """Score ``path`` chunk by chunk into the folder ``output``, resuming a killed run.

    Parameters
    ----------
    path : path
        Parquet or JSONL corpus.
    output : path
        Output folder (created). Holding a run of the same input and settings, it is resumed.
    settings : StreamSettings
    restart : bool
        Discard an earlier run in ``output`` (needed when the input or settings changed).
    combine : bool
        Combine the parts into one file per table at the end.
    progress : bool
        Show a progress bar over articles.
    scorer : callable, optional
        ``articles -> tables``; default ``ChunkScorer(settings)`` (for tests and benchmarks).

    Returns
    -------
    dict
        The state written to ``stream.json``: settings, input, ``chunks``, ``resumed_from``
        (chunks found finished at the start), ``counts`` (articles by status, table rows).

    Raises
    ------
    ConfigError
        ``output`` holds a run of another input or other settings (and not ``restart``).
    DataError
        The input cannot be read.
    """
    from tqdm.auto import tqdm

    path, output = Path(path), Path(output)
    if not path.is_file():
        raise DataError(f"input {path} does not exist or is not a file")
    state = {"settings": settings.to_dict(), "settings_key": settings.key(),
             "input": input_fingerprint(path), "finished": False}
    done = _prepare(output, state, restart)
    state["resumed_from"] = done
    taken: set[str] = set()
    for part in _part_folders(output):
        taken.update(pd.read_parquet(part / "articles.parquet", columns=["article_id"])["article_id"])
    score = scorer or ChunkScorer(settings)
    chunks = corpus.read_chunks(
        path, chunk_size=settings.chunk_size, fmt=settings.fmt, column_map=settings.column_map,
        supported_languages=settings.languages, max_chars=settings.max_chars,
        near_duplicates=settings.near_duplicates, skip=done, taken_ids=taken,
        **settings.reading(),
    )
    bar = tqdm(disable=not progress, desc="scoring", unit="article", initial=0)
    number = done
    for number, articles in enumerate(chunks, start=done):
        _write_part(output, number, score(articles))
        bar.update(len(articles))
        del articles
        release_memory()
    bar.close()
    state["chunks"] = len(_part_folders(output))
    if combine:
        state["counts"] = combine_parts(output, settings.method)
    state["finished"] = True
    write_json(state, output / STATE_FILE)
    return state


def release_memory() -> None:
    """Give freed memory back to the system between chunks.

    A chunk's tables and the model's activations are freed after every chunk, but glibc keeps the
    freed heap pages mapped, so the process's resident memory would only grow (by about 600 MiB
    over the first chunks of AllSides). ``malloc_trim`` returns them; elsewhere this only
    collects garbage.
    """
    import gc

    gc.collect()
    trim = _malloc_trim()
    if trim is not None:
        trim(0)


@functools.cache
def _malloc_trim():
    """glibc's ``malloc_trim``, or None where there is none (macOS, Windows, musl).

    Looked up among the symbols already loaded (``CDLL(None)``): ``ctypes.util.find_library``
    would start a subprocess, a fork of this whole process.
    """
    import ctypes

    if platform.system() != "Linux":
        return None
    with contextlib.suppress(OSError, AttributeError):
        return ctypes.CDLL(None).malloc_trim
    return None


def _prepare(output: Path, state: dict, restart: bool) -> int:
    """Create or check the output folder; return the number of finished chunks."""
    state_file = output / STATE_FILE
    if restart and state_file.is_file():  # only a streamed run's own files are removed
        shutil.rmtree(output / PARTS, ignore_errors=True)
        for name in {"articles", *(t for tables in TABLES.values() for t in tables)}:
            (output / f"{name}.parquet").unlink(missing_ok=True)
        state_file.unlink()
    if state_file.is_file():
        try:
            old = json.loads(state_file.read_text(encoding="utf-8"))
        except (OSError, ValueError) as err:
            raise ConfigError(f"cannot read {state_file}: {err}; pass restart=True (--restart)") from err
        for what in ("settings_key", "input"):
            if old.get(what) != state[what]:
                raise ConfigError(
                    f"{output} holds a run with another {what.replace('_key', '')} "
                    f"({old.get(what)!r}, now {state[what]!r}); use another output folder or "
                    "restart it (--restart)"
                )
    elif output.exists() and any(output.iterdir()):
        raise ConfigError(f"{output} is not empty and holds no streamed run; give a new folder")
    parts = output / PARTS
    parts.mkdir(parents=True, exist_ok=True)
    for leftover in parts.glob(_TMP_PREFIX + "*"):  # a chunk half-written when the run was killed
        shutil.rmtree(leftover)
    numbers = sorted(int(p.name) for p in _part_folders(output))
    if numbers != list(range(len(numbers))):
        raise DataError(f"{parts} has chunks {numbers}: a gap; restart the run (--restart)")
    write_json({**state, "finished": False}, state_file)
    return len(numbers)


def _part_folders(output: Path) -> list[Path]:
    parts = output / PARTS
    if not parts.is_dir():
        return []
    return sorted(p for p in parts.iterdir() if p.is_dir() and p.name.isdigit())


def _write_part(output: Path, number: int, tables: Mapping[str, pd.DataFrame]) -> Path:
    """Write a chunk's tables under a temporary name, then rename the folder: whole or absent."""
    final = output / PARTS / f"{number:06d}"
    tmp = output / PARTS / f"{_TMP_PREFIX}{number:06d}"
    shutil.rmtree(tmp, ignore_errors=True)
    tmp.mkdir(parents=True)
    for name, table in tables.items():
        write_table(table, tmp / f"{name}.parquet")
    os.replace(tmp, final)
    return final


def read_parts(output: str | os.PathLike, table: str) -> Iterator[pd.DataFrame]:
    """The chunks of one table of a streamed run, in input order (bounded memory).

    Parameters
    ----------
    output : path
        The run's folder.
    table : str
        "articles", "scores", "frames" or "predictions".
    """
    for part in _part_folders(Path(output)):
        file = part / f"{table}.parquet"
        if not file.is_file():
            raise DataError(f"{part} has no {table} table; the run's method writes others")
        yield pd.read_parquet(file)


def combine_parts(output: str | os.PathLike, method: str) -> dict:
    """Write one file per table from the parts; return counts of articles and rows.

    The parts are concatenated as Arrow tables, not pandas frames: memory holds the output
    tables in their compact columnar form (for all of AllSides with the hybrid method, about
    120 MiB; assembled in pandas, the evidence and sentence objects took over 1.5 GiB).
    """
    import pyarrow as pa
    import pyarrow.compute as pc
    import pyarrow.parquet as pq

    output = Path(output)
    counts: dict[str, Any] = {}
    for name in ("articles", *TABLES[method]):
        files = [part / f"{name}.parquet" for part in _part_folders(output)]
        missing = [f for f in files if not f.is_file()]
        if missing:
            raise DataError(f"{missing[0].parent} has no {name} table; the run's method writes others")
        if not files:
            write_table(pd.DataFrame(), output / f"{name}.parquet")
            counts[name] = 0
            continue
        tables = [pq.read_table(f) for f in files]
        # Parts can differ in the inferred type of a column that is all-null in one chunk.
        table = pa.concat_tables(tables, promote_options="permissive")
        del tables
        if name == "frames":  # the row order of one score_lexicon call (see scoring.concat_frames)
            article_level = pc.equal(table["target"], "")
            table = pa.concat_tables([table.filter(article_level),
                                      table.filter(pc.invert(article_level))])
        _write_arrow(table, output / f"{name}.parquet")
        counts[name] = table.num_rows
        if name == "articles" and table.num_rows:
            status = table["status"].to_pandas().value_counts().sort_index()
            counts["status"] = {str(k): int(v) for k, v in status.items()}
            ids = table["article_id"]
            if pc.count_distinct(ids).as_py() != len(ids):  # read_chunks renames repeats: a bug
                repeated = ids.to_pandas()
                raise DataError(f"{output}: article ids repeated across chunks: "
                                f"{repeated[repeated.duplicated()].head().tolist()}")
        del table
    return counts


def _write_arrow(table, path: Path) -> None:
    """Write an Arrow table atomically (temporary file, then rename), as ``write_table`` does."""
    import pyarrow.parquet as pq

    tmp = path.with_name(f".{path.name}.tmp")
    try:
        pq.write_table(table, tmp)
        os.replace(tmp, path)
    except OSError as err:
        raise write_error(path, err) from err
