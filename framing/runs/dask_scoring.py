"""Score a Parquet corpus on a Dask cluster: the scoring of ``framing stream``, spread over machines.

How it works
------------
:func:`score_dask` reads the file with ``dask.dataframe.read_parquet`` and splits it into
partitions (by default ``ceil(rows / settings.chunk_size)``, so the partitioning depends on the
file and the settings, never on the size of the cluster). A first, cheap pass counts the rows of
every partition, which gives each partition the number of its first row in the file. Then every
partition becomes one task on a worker:

1. :func:`framing.corpus.loading.articles_from_frame` turns the records into the article table exactly as
   :func:`framing.corpus.loading.load` does for those rows (``source`` is ``<path>#row=N`` with N counted
   over the whole file);
2. a :class:`framing.runs.stream.ChunkScorer` scores it (sentences, mentions, then the lexicon, model
   or hybrid scorer). The scorer is built once per worker process and settings (cached under
   ``settings.key()``), so a worker loads the lexicon or the model once, not once per partition.

The client gathers the tables in partition order and concatenates them as
:func:`framing.runs.stream.combine_parts` does, into the tables of one run over the whole file.

What differs from one process
-----------------------------
Every stage is per article, so scores, frames, predictions, evidence and statuses are those of
``ChunkScorer(settings)(corpus.load(path, near_duplicates=False))``. Two things are per partition,
as they are per chunk in ``framing stream``:

- duplicate flags (``duplicate_of``, ``near_duplicate_of``): a copy in another partition is not
  flagged;
- article ids repeated across partitions are renamed on the client, in partition order, as
  :func:`framing.corpus.loading.read_chunks` renames them across chunks (``id`` -> ``id~2``, with a note in
  ``reason``), in every table. This equals :func:`framing.corpus.loading.load` except when one id repeats
  several times inside a later partition too (then the suffix numbers can differ).

A real cluster
--------------
Start a scheduler (``dask scheduler``, port 8786) and workers on the machines
(``dask worker tcp://HOST:8786 --nworkers 4 --nthreads 1 --memory-limit 4GiB``). Every worker
needs the same version of ``framing`` installed, the model folder at the same path (or
``FRAMING_MODELS`` pointing to a copy), and the input file at the same path as the client (shared
storage: NFS, a mounted bucket). Then ``score_dask(path, settings, address="tcp://HOST:8786")``
or ``framing stream --dask tcp://HOST:8786``. One thread per worker process: the scorer is not
shared between threads, and Dask's workers set ``OMP_NUM_THREADS=1`` so torch uses one core per
worker (raise it with the ``distributed.nanny.pre-spawn-environ`` setting for fewer, wider workers).
See ``docs/scale.md``.

Examples
--------
>>> from framing.runs.stream import StreamSettings
>>> tables = score_dask("corpus.parquet", StreamSettings(chunk_size=500))  # doctest: +SKIP
>>> tables["scores"].head()  # doctest: +SKIP
"""

from __future__ import annotations

import contextlib
import dataclasses
import itertools
import math
import os
import threading
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any

import pandas as pd

from framing import __version__
from framing.corpus import loading as corpus
from framing.corpus.labels import _article_ids
from framing.infra.errors import ConfigError, DataError
from framing.runs.stream import TABLES, ChunkScorer, StreamSettings, release_memory
from framing.stance import scoring

#: Workers of the LocalCluster started when no client is given.
LOCAL_WORKERS = 2
#: Seconds to wait for a scheduler given by address.
CONNECT_TIMEOUT = 20.0
#: Article-table columns that name other articles: renamed with ``article_id``.
_ID_COLUMNS: tuple[str, ...] = ("article_id", "duplicate_of", "near_duplicate_of")

# One ChunkScorer per worker process and settings: the model or lexicon loads once per worker.
_SCORERS: dict[str, ChunkScorer] = {}
_SCORERS_LOCK = threading.Lock()


def score_dask(
    path: str | os.PathLike,
    settings: StreamSettings,
    *,
    client: Any = None,
    address: str | None = None,
    npartitions: int | None = None,
    timeout: float = CONNECT_TIMEOUT,
) -> dict[str, pd.DataFrame]:
    """Score a Parquet corpus with Dask; the same tables as one process scoring the whole file.

    Parameters
    ----------
    path : path
        A Parquet file, readable at this path by the client and by every worker.
    settings : StreamSettings
        What to compute (``fmt`` must be None or "parquet"; ``chunk_size`` sets the default
        partition size).
    client : distributed.Client, optional
        A connected client (left open). Default: a ``LocalCluster`` of 2 worker processes with
        1 thread each, started and closed here, unless ``address`` is given.
    address : str, optional
        A scheduler address such as ``"tcp://host:8786"``: connected to and disconnected from
        here (the cluster itself is left running).
    npartitions : int, optional
        Number of partitions; default ``ceil(rows / settings.chunk_size)``. Duplicate flags are
        per partition, so keep it fixed to get the same flags again.
    timeout : float
        Seconds to wait for the scheduler at an address.

    Returns
    -------
    dict of str to DataFrame
        ``{"articles", "scores", "frames"}`` (lexicon) or ``{"articles", "scores",
        "predictions"}`` (model, hybrid): the article table without ``text``, in file order.

    Raises
    ------
    ConfigError
        The input is not Parquet, ``npartitions`` is not a positive integer, both ``client`` and
        ``address`` are given, the scheduler cannot be reached, or a worker runs another version
        of ``framing`` (or none).
    DataError
        The file is missing or not readable Parquet; errors of the scoring itself (a missing text
        column, an unknown model) come back from the workers with their own message.

    Examples
    --------
    >>> from distributed import Client, LocalCluster  # doctest: +SKIP
    >>> with LocalCluster(n_workers=4, threads_per_worker=1) as cluster, Client(cluster) as c:
    ...     tables = score_dask("corpus.parquet", StreamSettings(), client=c)  # doctest: +SKIP
    """
    path = Path(path)
    rows = _check_input(path, settings)
    if npartitions is not None and (
        not isinstance(npartitions, int) or isinstance(npartitions, bool) or npartitions < 1
    ):
        raise ConfigError(f"npartitions must be a positive integer; received {npartitions!r}")
    wanted = npartitions or max(1, math.ceil(rows / settings.chunk_size))
    with _connected(client, address, timeout) as dask_client:
        _check_workers(dask_client)
        parts = _partitions(path, wanted)
        # One torch thread per worker process unless asked otherwise: a worker's process sees
        # every core of its machine, and workers side by side would oversubscribe them.
        if settings.num_threads is None:
            settings = dataclasses.replace(settings, num_threads=1)
        results = _score_partitions(dask_client, parts, path, settings)
    return combine_tables(results, settings.method)


def _check_input(path: Path, settings: StreamSettings) -> int:
    """Number of rows of the Parquet file; ConfigError for another format, DataError when unreadable."""
    import pyarrow.parquet as pq

    kind = (settings.fmt or path.suffix.lstrip(".")).lower()
    if kind not in ("parquet", "pq"):
        raise ConfigError(
            f"{path}: Dask scoring reads Parquet; received {kind or 'a file without ending'!r}. "
            "Convert the corpus to Parquet, or score it with `framing stream` (Parquet or JSONL)"
        )
    if not path.is_file():
        raise DataError(f"input {path} does not exist or is not a file")
    try:
        return pq.ParquetFile(path).metadata.num_rows
    except (OSError, ValueError) as err:  # pyarrow's ArrowInvalid is a ValueError
        raise DataError(f"{path}: not a readable Parquet file: {err}") from err


@contextlib.contextmanager
def _connected(client: Any, address: str | None, timeout: float) -> Iterator[Any]:
    """The given client as is; a client of an address or of a new LocalCluster, closed after."""
    from distributed import Client, LocalCluster

    if client is not None and address is not None:
        raise ConfigError("give a Dask client or a scheduler address, not both")
    if client is not None:
        if not isinstance(client, Client):
            raise ConfigError(
                f"client must be a distributed.Client; received {type(client).__name__} "
                "(a scheduler address goes in `address`)"
            )
        yield client
        return
    if address is not None:
        try:
            new = Client(str(address), timeout=timeout)
        except (OSError, TimeoutError, ValueError, TypeError) as err:
            raise ConfigError(
                f"cannot reach the Dask scheduler at {address!r} within {timeout:g} s ({err}); "
                "start it with `dask scheduler` and give its address, e.g. tcp://host:8786"
            ) from err
        with new:
            yield new
        return
    # Dashboard on a free port: 8787 may belong to another cluster on this machine.
    with LocalCluster(n_workers=LOCAL_WORKERS, threads_per_worker=1, processes=True,
                      dashboard_address=":0") as cluster, Client(cluster) as new:
        yield new


def _worker_version() -> str:
    """Runs on a worker: the framing version it imports."""
    import framing

    return framing.__version__


def _check_workers(client: Any) -> None:
    """Every worker imports the same framing version as the client (else tasks fail obscurely)."""
    try:
        versions = client.run(_worker_version)
    except Exception as err:  # noqa: BLE001 - whatever broke on the worker, name it
        raise ConfigError(
            f"a Dask worker cannot import framing ({type(err).__name__}: {err}); install framing "
            f"{__version__} on every worker"
        ) from err
    if not versions:
        raise ConfigError("the Dask cluster has no workers; start some with `dask worker ADDRESS`")
    other = {worker: v for worker, v in versions.items() if v != __version__}
    if other:
        raise ConfigError(
            f"Dask workers run other framing versions than the client's {__version__}: "
            f"{dict(sorted(other.items()))}; install the same version everywhere"
        )


def _partitions(path: Path, npartitions: int) -> list[Any]:
    """The file's partitions as delayed pandas frames, in file order."""
    import dask
    import dask.dataframe as dd

    # Plain pandas dtypes ("str", object lists), as pyarrow's to_pandas gives corpus.load; Dask's
    # default string conversion would give other dtypes in the article table's extra columns.
    with dask.config.set({"dataframe.convert-string": False}):
        frame = dd.read_parquet(str(path))
        if frame.npartitions != npartitions:
            frame = frame.repartition(npartitions=npartitions)
        return list(frame.to_delayed())


def _score_partitions(
    client: Any, parts: Sequence[Any], path: Path, settings: StreamSettings
) -> list[dict[str, pd.DataFrame]]:
    """Count the rows of each partition, then score each on a worker; results in partition order."""
    import dask

    lengths = client.gather(client.compute([dask.delayed(len)(part) for part in parts]))
    firsts = [1 + before for before in itertools.accumulate([0, *lengths[:-1]])]
    # An empty partition would read as an "empty file" row; a file without rows keeps that one row.
    keep = [i for i, n in enumerate(lengths) if n] or [0]
    tasks = [
        dask.delayed(score_partition)(parts[i], os.fspath(path), firsts[i], settings)
        for i in keep
    ]
    return client.gather(client.compute(tasks))


def score_partition(
    frame: pd.DataFrame, path: str, first_row: int, settings: StreamSettings
) -> dict[str, pd.DataFrame]:
    """Score one partition (runs on a worker): records -> article table -> ``ChunkScorer`` tables.

    Parameters
    ----------
    frame : DataFrame
        The partition's records, with the input's column names.
    path : str
        The input file (for ``source``).
    first_row : int
        Number of the partition's first record in the file (from 1).
    settings : StreamSettings

    Returns
    -------
    dict of str to DataFrame
        As :class:`framing.runs.stream.ChunkScorer` returns.
    """
    articles = corpus.articles_from_frame(
        frame, path, first_row=first_row, column_map=settings.column_map,
        supported_languages=settings.languages, max_chars=settings.max_chars,
        near_duplicates=settings.near_duplicates, **settings.reading(),
    )
    tables = _scorer(settings)(articles)
    del articles
    release_memory()  # freed pages back to the system: the worker's memory monitor sees them
    return tables


def _scorer(settings: StreamSettings) -> ChunkScorer:
    key = settings.key()
    with _SCORERS_LOCK:  # a worker with several threads builds it once
        if key not in _SCORERS:
            _SCORERS[key] = ChunkScorer(settings)
        return _SCORERS[key]


def combine_tables(
    results: Sequence[Mapping[str, pd.DataFrame]], method: str
) -> dict[str, pd.DataFrame]:
    """Concatenate per-partition tables (in partition order) into the tables of one whole run.

    Article ids repeated in a later partition are renamed there (``id~2``, noted in ``reason``)
    in every table, as :func:`framing.corpus.loading.read_chunks` does across chunks. Frame rows are put
    in the order of one run: all article-level rows (target ``""``) first, then per-target rows.

    Parameters
    ----------
    results : sequence of mappings
        Per partition, ``{"articles", <TABLES[method]>}``, in file order.
    method : {"lexicon", "model", "hybrid"}

    Returns
    -------
    dict of str to DataFrame
    """
    names = ("articles", *TABLES[method])
    renamed = _rename_repeated_ids(results)
    out: dict[str, pd.DataFrame] = {}
    for name in names:
        pieces = [part[name] for part in renamed]
        if name == "frames":
            out[name] = scoring.concat_frames(pieces)
        else:
            out[name] = pd.concat(pieces, ignore_index=True) if pieces else pd.DataFrame()
    return out


def _rename_repeated_ids(
    results: Sequence[Mapping[str, pd.DataFrame]],
) -> list[Mapping[str, pd.DataFrame]]:
    taken: set[str] = set()
    out: list[Mapping[str, pd.DataFrame]] = []
    for part in results:
        articles = part["articles"]
        ids = articles["article_id"].astype(str).tolist()
        if taken.isdisjoint(ids):
            taken.update(ids)
            out.append(part)
            continue
        reasons = articles["reason"].fillna("").astype(str).tolist()
        blank = [""] * len(ids)
        # The renaming of read_chunks (same suffixes, same note), ids of earlier partitions taken.
        new_ids = _article_ids(list(ids), blank, blank, blank, blank, reasons, taken)
        mapping = {old: new for old, new in zip(ids, new_ids, strict=True) if old != new}
        changed = [old != new for old, new in zip(ids, new_ids, strict=True)]
        articles = articles.copy()
        articles.loc[changed, "reason"] = [r for r, c in zip(reasons, changed, strict=True) if c]
        for column in _ID_COLUMNS:
            if column in articles.columns:
                articles[column] = articles[column].replace(mapping)
        fixed = dict(part)
        fixed["articles"] = articles
        for name, table in part.items():
            if name != "articles" and "article_id" in table.columns:
                fixed[name] = table.assign(article_id=table["article_id"].replace(mapping))
        out.append(fixed)
    return out
