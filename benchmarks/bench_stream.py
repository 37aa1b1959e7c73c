"""Benchmark: the whole AllSides corpus scored by ``framing stream``, with peak memory.

Runs ``stream.score_stream`` over the 37,554 articles in one process (chunks of ``--chunk-size``
articles) and prints articles/s end to end (reading, cleaning, language id, sentences, mentions,
scoring, writing) and the peak resident memory of the process tree, sampled every 50 ms.

With ``--kill-after SECONDS`` it also checks resuming on the real corpus: a second run in a child
process is killed with SIGKILL after that many seconds, restarted, and its output files compared
byte for byte with the uninterrupted run's.

    python benchmarks/bench_stream.py [--method hybrid] [--model newsmtsc-hybrid]
        [--precision bf16] [--chunk-size 1000] [--kill-after 60] [--out /tmp/framing-stream]
"""

from __future__ import annotations

import argparse
import hashlib
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

from bench_scale import ALLSIDES_MAP, PeakMemory, allsides_path

from framing.runs import stream


def digest(folder: Path, names) -> dict[str, str]:
    return {n: hashlib.sha256((folder / f"{n}.parquet").read_bytes()).hexdigest()[:16] for n in names}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--method", default="hybrid", choices=stream.METHODS)
    parser.add_argument("--model", default="newsmtsc-hybrid")
    parser.add_argument("--precision", default="bf16", choices=["fp32", "bf16", "int8"])
    parser.add_argument("--chunk-size", type=int, default=1000)
    parser.add_argument("--kill-after", type=float, default=None)
    parser.add_argument("--out", type=Path, default=Path("/tmp/framing-stream"))
    opts = parser.parse_args()

    settings = stream.StreamSettings(
        method=opts.method, model=opts.model if opts.method != "lexicon" else None,
        column_map=ALLSIDES_MAP, precision=opts.precision, chunk_size=opts.chunk_size,
    )
    out = opts.out / f"{opts.method}-{opts.precision}"
    shutil.rmtree(out, ignore_errors=True)
    with PeakMemory() as mem:
        t0 = time.perf_counter()
        state = stream.score_stream(allsides_path(), out, settings)
        seconds = time.perf_counter() - t0
    n = state["counts"]["articles"]
    print(f"{opts.method} ({opts.precision}), chunks of {opts.chunk_size}: {n:,} articles in "
          f"{seconds:.0f}s = {n / seconds:.1f} articles/s end to end; rows {state['counts']}")
    print(f"peak memory (process tree, RSS): {mem.gib:.2f} GiB")
    if opts.kill_after is None:
        return
    names = ("articles", *stream.TABLES[opts.method])
    killed = opts.out / f"{opts.method}-{opts.precision}-killed"
    shutil.rmtree(killed, ignore_errors=True)
    here = Path(__file__).resolve().parent
    code = f"import sys; sys.path.insert(0, {str(here)!r}); from bench_stream import run_child; run_child()"
    args = [sys.executable, "-c", code, str(killed), opts.method, opts.model, opts.precision,
            str(opts.chunk_size)]
    child = subprocess.Popen(args)
    time.sleep(opts.kill_after)
    os.kill(child.pid, signal.SIGKILL)
    child.wait()
    done = len(list((killed / stream.PARTS).glob("[0-9]*")))
    print(f"killed after {opts.kill_after:.0f}s with {done} chunk(s) written; restarting")
    state = stream.score_stream(allsides_path(), killed, settings)
    same = digest(out, names) == digest(killed, names)
    print(f"resumed from chunk {state['resumed_from']}; output files identical to the "
          f"uninterrupted run: {same} ({digest(killed, names)})")


def run_child() -> None:
    """Entry of the child process that gets killed (argv: out, method, model, precision, chunk)."""
    out, method, model, precision, chunk = sys.argv[1:6]
    settings = stream.StreamSettings(
        method=method, model=model if method != "lexicon" else None, column_map=ALLSIDES_MAP,
        precision=precision, chunk_size=int(chunk),
    )
    stream.score_stream(allsides_path(), Path(out), settings)


if __name__ == "__main__":
    main()
