"""One chunked process pool: map a function over chunks, in order, here or in worker processes.

Every parallel step of the toolkit (cleaning articles in ``corpus.load``, sentences and mentions,
lexicon scores, cue matching) cuts its input into chunks and calls :func:`map_chunks`, which runs
the chunks in this process when one worker is asked for or there is only one chunk, and otherwise
in a ``ProcessPoolExecutor``. Results come back in chunk order, so the output does not depend on
the number of workers.

Worker state. A worker function often needs a resource that is costly to send or to build (a
target set, a lexicon). ``init(*init_args)`` builds it once per worker process, and the function
receives it as its first argument: ``func(state, chunk)``. In a worker the state is kept in one
place, ``_WORKER`` in this module, set by the pool's initializer; the worker functions hold no
globals of their own, and the in-process path (which builds the state once and passes it along)
runs the very same code. ``functools.partial(func, resource)`` is not used for resources because a
partial is pickled with every task: a lexicon would travel once per chunk instead of once per
worker. A partial is the right tool for small per-call settings (flags, thresholds).

>>> list(map_chunks(sum, [[1, 2], [3], [4, 5, 6]]))
[3, 3, 15]
>>> list(map_chunks(pow, [3, 4], init=int, init_args=("2",)))  # func(state, chunk): 2**3, 2**4
[8, 16]
"""

from __future__ import annotations

import multiprocessing
import os
from collections import deque
from collections.abc import Callable, Iterable, Iterator, Sized
from concurrent.futures import ProcessPoolExecutor
from itertools import chain, islice
from typing import Any

from framing.infra.errors import ConfigError

#: Chunks submitted per worker before waiting for the oldest result: keeps every worker busy while
#: bounding how many chunks (and results) are held at once.
AHEAD = 2

# The state built by ``init`` in a worker process (key "state"), or the error it raised ("error").
_WORKER: dict[str, Any] = {}


#: cgroup v2 CPU limit of this process's container ("<quota> <period>" or "max <period>").
CGROUP_CPU_MAX = "/sys/fs/cgroup/cpu.max"


def available_cores() -> int:
    """Cores this process may really use: the CPUs it may run on (affinity), capped by a container's
    CPU quota (cgroup v2 ``cpu.max``, rounded up); the default number of workers and threads.
    Threads beyond the quota would only wait for their share, and spin against each other.

    >>> available_cores() >= 1
    True
    """
    try:
        cores = max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # pragma: no cover - not on Linux
        cores = max(1, os.cpu_count() or 1)
    quota = _cgroup_cpu_quota(CGROUP_CPU_MAX)
    return min(cores, quota) if quota is not None else cores


def _cgroup_cpu_quota(path: str) -> int | None:
    """Whole CPUs a cgroup v2 ``cpu.max`` file allows (at least 1); None without a limit or file."""
    try:
        with open(path, encoding="ascii") as handle:
            fields = handle.read().split()
    except (OSError, UnicodeDecodeError):
        return None
    if len(fields) != 2 or fields[0] == "max":
        return None
    try:
        quota, period = int(fields[0]), int(fields[1])
    except ValueError:
        return None
    if quota <= 0 or period <= 0:
        return None
    return max(1, -(-quota // period))


def check_jobs(n_jobs: int) -> int:
    """The number of worker processes ``n_jobs`` asks for (-1: all available cores).

    >>> check_jobs(3)
    3
    >>> check_jobs(0)
    Traceback (most recent call last):
    ...
    framing.infra.errors.ConfigError: n_jobs must be a positive integer or -1 (all cores); received 0
    """
    if not isinstance(n_jobs, int) or isinstance(n_jobs, bool) or n_jobs == 0 or n_jobs < -1:
        raise ConfigError(f"n_jobs must be a positive integer or -1 (all cores); received {n_jobs!r}")
    return available_cores() if n_jobs == -1 else n_jobs


def map_chunks(
    func: Callable[..., Any],
    chunks: Iterable[Any],
    *,
    n_jobs: int = 1,
    init: Callable[..., Any] | None = None,
    init_args: tuple = (),
    progress: bool = False,
    desc: str = "",
    unit: str = "chunk",
    start_method: str | None = None,
) -> Iterator[Any]:
    """Apply ``func`` to every chunk and yield the results in chunk order.

    Parameters
    ----------
    func : callable
        ``func(chunk)``, or ``func(state, chunk)`` when ``init`` is given. A module-level function
        (or a ``functools.partial`` of one) when workers are used: it is pickled with each task.
    chunks : iterable
        The chunks; may be a generator (read lazily: at most ``AHEAD`` chunks per worker wait).
    n_jobs : int
        Worker processes (at most one per chunk when ``chunks`` has a length). With 1, or when
        there is only one chunk, everything runs in this process.
    init, init_args : callable and tuple, optional
        ``init(*init_args)`` builds the state passed to ``func``: once per worker process, or once
        here when the chunks run in this process. An error it raises comes back from the first
        chunk a worker runs, as it was raised.
    progress : bool
        Show a tqdm progress bar over chunks, with ``desc`` and ``unit``.
    start_method : str, optional
        How workers start (``"fork"``, ``"spawn"``, ``"forkserver"``); default: Python's. A method
        this platform lacks falls back to the default.

    Yields
    ------
    The results of ``func``, in the order of ``chunks``; an error raised by ``func`` in a worker
    is raised here with its own type and message.

    Examples
    --------
    >>> from functools import partial
    >>> list(map_chunks(partial(max, default=0), [[1, 5], [], [2]], n_jobs=1))
    [5, 0, 2]
    """
    total = len(chunks) if isinstance(chunks, Sized) else None
    items = iter(chunks)
    head = list(islice(items, 2))  # enough to know whether there is more than one chunk
    rest = chain(head, items)
    if n_jobs <= 1 or len(head) <= 1:
        results = _in_process(func, rest, init, init_args)
    else:
        workers = n_jobs if total is None else min(n_jobs, total)
        results = _in_pool(func, rest, workers, init, init_args, start_method)
    if not progress:
        return results
    from tqdm.auto import tqdm

    return iter(tqdm(results, total=total, desc=desc, unit=unit))


def _in_process(
    func: Callable[..., Any], chunks: Iterator[Any], init: Callable[..., Any] | None, init_args: tuple
) -> Iterator[Any]:
    if init is None:
        for chunk in chunks:
            yield func(chunk)
        return
    state = init(*init_args)
    for chunk in chunks:
        yield func(state, chunk)


def _in_pool(
    func: Callable[..., Any],
    chunks: Iterator[Any],
    workers: int,
    init: Callable[..., Any] | None,
    init_args: tuple,
    start_method: str | None,
) -> Iterator[Any]:
    options: dict[str, Any] = {"mp_context": _context(start_method)}
    if init is not None:
        options.update(initializer=_start_worker, initargs=(init, init_args))
    with ProcessPoolExecutor(workers, **options) as executor:
        pending: deque = deque()
        try:
            for chunk in chunks:
                if init is None:
                    pending.append(executor.submit(func, chunk))
                else:
                    pending.append(executor.submit(_run_with_state, func, chunk))
                if len(pending) >= AHEAD * workers:
                    yield pending.popleft().result()
            while pending:
                yield pending.popleft().result()
        finally:  # an error or an abandoned iteration: do not start what is still queued
            for future in pending:
                future.cancel()


def _context(start_method: str | None):
    if start_method is None or start_method not in multiprocessing.get_all_start_methods():
        return None
    return multiprocessing.get_context(start_method)


def _start_worker(init: Callable[..., Any], init_args: tuple) -> None:
    _WORKER.clear()
    try:
        _WORKER["state"] = init(*init_args)
    except Exception as error:  # raised again by the tasks: an initializer error breaks the pool
        _WORKER["error"] = error


def _run_with_state(func: Callable[..., Any], chunk: Any) -> Any:
    if "error" in _WORKER:
        raise _WORKER["error"]
    return func(_WORKER["state"], chunk)
