"""How many threads torch uses, and how they wait: proportional slowdown on a shared machine.

torch runs its CPU kernels on an OpenMP thread pool (GNU libgomp in the PyPI wheels). By default
libgomp's idle threads *spin*: a thread that finished its share of a matrix product keeps a core
busy waiting for the others. On a machine where another process holds a core, the threads of one
parallel region are then not all running, the running ones spin waiting for the preempted one,
and fine-tuning ran 10x slower, not 2x (README Results, "Threads on a busy machine").
With ``OMP_WAIT_POLICY=PASSIVE`` waiting threads sleep instead, and the slowdown stays near the
share of CPU lost.

libgomp reads the policy once, when torch is first imported, so :func:`quiet_openmp` runs when
``framing`` is imported (``framing/__init__.py``) and sets it only when the user has not:
``OMP_WAIT_POLICY=ACTIVE`` in the environment keeps spinning. In a notebook that imported torch
before framing it has no effect (set the variable before starting Python there).

The number of threads: ``--threads`` / ``num_threads`` where a command or call takes it, else the
environment variable ``FRAMING_THREADS``, else every core this process may run on
(:func:`framing.infra.pool.available_cores`).

>>> torch_threads(3)
3
"""

from __future__ import annotations

import os

from framing.infra.errors import ConfigError
from framing.infra.pool import available_cores

#: Environment variable: torch threads for inference, training and embeddings.
THREADS_ENV = "FRAMING_THREADS"
#: OpenMP's wait policy variable and the value framing sets when it is unset.
WAIT_POLICY_ENV = "OMP_WAIT_POLICY"
WAIT_POLICY = "PASSIVE"


def quiet_openmp() -> None:
    """Let idle OpenMP threads sleep instead of spin, unless the environment already says.

    Effective only before torch is first imported in this process (and inherited by worker
    processes started after it).
    """
    os.environ.setdefault(WAIT_POLICY_ENV, WAIT_POLICY)


def torch_threads(requested: int | None = None) -> int:
    """The number of torch threads to use: ``requested``, else ``$FRAMING_THREADS``, else all cores.

    Raises
    ------
    ConfigError
        ``requested`` or ``$FRAMING_THREADS`` is not a positive integer.

    Examples
    --------
    >>> torch_threads(2)
    2
    >>> torch_threads(None) >= 1
    True
    """
    if requested is not None:
        if isinstance(requested, bool) or not isinstance(requested, int) or requested < 1:
            raise ConfigError(f"threads must be a positive integer; received {requested!r}")
        return requested
    env = os.environ.get(THREADS_ENV, "").strip()
    if env:
        if not env.isdigit() or int(env) < 1:
            raise ConfigError(f"{THREADS_ENV} must be a positive integer; received {env!r}")
        return int(env)
    return available_cores()
