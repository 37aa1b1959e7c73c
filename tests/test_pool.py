"""The chunked process pool: order, identical results for any n_jobs, worker state, errors."""

from __future__ import annotations

import functools
import os
import time

import pytest

from framing.infra.errors import ConfigError, DataError
from framing.infra.pool import available_cores, check_jobs, map_chunks
from framing.runs import pipeline
from framing.stance import classifier


def _slow_square_sum(chunk: list[int]) -> int:
    time.sleep(0.02 * (len(chunk) % 3))  # later chunks often finish first
    return sum(x * x for x in chunk)


def _scaled(state: dict, chunk: list[int]) -> list[int]:
    return [state["factor"] * x for x in chunk]


def _make_state(factor: int) -> dict:
    return {"factor": factor}


def _record_init(path: str) -> int:
    with open(path, "a", encoding="utf-8") as handle:
        handle.write(f"{os.getpid()}\n")
    return os.getpid()


def _pid_of_init(state: int, chunk: int) -> tuple[int, int]:
    return state, os.getpid()


def _fail_on_three(chunk: int) -> int:
    if chunk == 3:
        raise DataError(f"chunk {chunk} is broken")
    return chunk


def _failing_init() -> None:
    raise ConfigError("cannot build the worker state")


CHUNKS = [list(range(i, i + i % 4)) for i in range(12)]


@pytest.mark.parametrize("n_jobs", [1, 2, 5])
def test_results_come_back_in_chunk_order(n_jobs):
    expected = [sum(x * x for x in chunk) for chunk in CHUNKS]
    assert list(map_chunks(_slow_square_sum, CHUNKS, n_jobs=n_jobs)) == expected


def test_identical_results_for_one_and_two_jobs_with_state():
    one = list(map_chunks(_scaled, CHUNKS, n_jobs=1, init=_make_state, init_args=(3,)))
    two = list(map_chunks(_scaled, CHUNKS, n_jobs=2, init=_make_state, init_args=(3,)))
    assert one == two == [[3 * x for x in chunk] for chunk in CHUNKS]


def test_partial_carries_small_settings():
    func = functools.partial(sorted, reverse=True)
    assert list(map_chunks(func, [[1, 3, 2], [5, 4]], n_jobs=2)) == [[3, 2, 1], [5, 4]]


def test_generator_input_is_read_lazily_and_in_order():
    read = []

    def chunks():
        for i in range(40):
            read.append(i)
            yield [i]

    results = map_chunks(sum, chunks(), n_jobs=2)
    first = next(results)
    assert first == 0 and len(read) < 40  # not everything was read before the first result
    assert [first, *results] == list(range(40))


def test_worker_state_is_built_once_per_worker(tmp_path):
    log = tmp_path / "inits.txt"
    results = list(map_chunks(_pid_of_init, range(30), n_jobs=2, init=_record_init,
                              init_args=(str(log),)))
    inits = log.read_text(encoding="utf-8").split()
    assert len(inits) == len(set(inits)) <= 2  # one init per worker process
    assert os.getpid() not in {int(pid) for pid in inits}  # built in the workers, not here
    assert all(state == pid for state, pid in results)  # each chunk saw its own worker's state


def test_in_process_state_is_built_once(tmp_path):
    log = tmp_path / "inits.txt"
    results = list(map_chunks(_pid_of_init, range(5), n_jobs=1, init=_record_init,
                              init_args=(str(log),)))
    assert log.read_text(encoding="utf-8").split() == [str(os.getpid())]
    assert results == [(os.getpid(), os.getpid())] * 5


def test_one_chunk_runs_in_this_process(tmp_path):
    log = tmp_path / "inits.txt"
    list(map_chunks(_pid_of_init, [0], n_jobs=4, init=_record_init, init_args=(str(log),)))
    assert log.read_text(encoding="utf-8").split() == [str(os.getpid())]


@pytest.mark.parametrize("n_jobs", [1, 2])
def test_worker_error_keeps_its_type_and_message(n_jobs):
    with pytest.raises(DataError, match="chunk 3 is broken"):
        list(map_chunks(_fail_on_three, range(8), n_jobs=n_jobs))


@pytest.mark.parametrize("n_jobs", [1, 2])
def test_init_error_keeps_its_type_and_message(n_jobs):
    with pytest.raises(ConfigError, match="cannot build the worker state"):
        list(map_chunks(_pid_of_init, range(4), n_jobs=n_jobs, init=_failing_init))


def test_fork_start_method_and_unknown_method_fall_back():
    for method in ("fork", "no-such-method"):
        assert list(map_chunks(sum, CHUNKS, n_jobs=2, start_method=method)) == [
            sum(chunk) for chunk in CHUNKS
        ]


def test_progress_bar_keeps_results(capsys):
    assert list(map_chunks(sum, CHUNKS, n_jobs=2, progress=True, desc="test")) == [
        sum(chunk) for chunk in CHUNKS
    ]
    assert "test" in capsys.readouterr().err


def test_one_core_count_for_the_package():
    assert pipeline.default_jobs is available_cores
    assert classifier.available_cores is available_cores
    assert available_cores() >= 1


@pytest.mark.parametrize("bad", [0, -2, 1.5, "2", True])
def test_check_jobs_rejects_bad_values(bad):
    with pytest.raises(ConfigError, match="n_jobs must be a positive integer or -1"):
        check_jobs(bad)


def test_check_jobs_minus_one_means_all_cores():
    assert check_jobs(-1) == available_cores()
    assert check_jobs(2) == 2


@pytest.mark.parametrize("text, expected", [
    ("max 100000\n", None), ("150000 100000\n", 2), ("100000 100000", 1), ("20000 100000", 1),
    ("garbage", None), ("", None), ("-1 100000", None),
])
def test_a_container_cpu_quota_caps_the_cores(tmp_path, monkeypatch, text, expected):
    from framing.infra import pool

    (tmp_path / "cpu.max").write_text(text)
    assert pool._cgroup_cpu_quota(str(tmp_path / "cpu.max")) == expected
    monkeypatch.setattr(pool, "CGROUP_CPU_MAX", str(tmp_path / "cpu.max"))
    cores = len(os.sched_getaffinity(0))
    assert pool.available_cores() == (min(cores, expected) if expected else cores)


def test_no_cgroup_file_means_no_cap(tmp_path, monkeypatch):
    from framing.infra import pool

    monkeypatch.setattr(pool, "CGROUP_CPU_MAX", str(tmp_path / "missing"))
    assert pool.available_cores() == len(os.sched_getaffinity(0))
