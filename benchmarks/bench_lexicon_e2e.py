"""Benchmark: lexicon scores end to end after ingest, this checkout against an older revision.

``lexicon_scores(articles, n_jobs=2)`` (what ``framing score --method lexicon`` runs: sentences,
mentions, cues, voice, frame counts, aggregation) over the ingested AllSides table (cached by
``bench_lexicon.py``), each run in a fresh process, the two checkouts interleaved; prints
articles/s per run, the medians, and the row counts (scores differ where the targets or the
lexicon changed between the revisions). The baseline is checked out with ``git worktree`` into a
temporary folder. A script, not a test.

    FRAMING_DATA=/work/shared python benchmarks/bench_lexicon_e2e.py --baseline 0e33f83 [--runs 2]
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(Path(__file__).resolve().parent))

#: Run in a child process whose PYTHONPATH is the checkout: prints "seconds scores frames".
CHILD = """
import sys, time
import pandas as pd
try:
    from framing.stance.scorer import lexicon_scores
except ImportError:  # older layouts
    from framing.pipeline import lexicon_scores
try:
    from framing.lexicon.folder import load_lexicon
except ImportError:
    from framing.lexicon import load_lexicon
articles = pd.read_parquet(sys.argv[1])
lexicon = load_lexicon()
t0 = time.perf_counter()
scores, frames, _ = lexicon_scores(articles, lexicon=lexicon, n_jobs=int(sys.argv[2]))
print(time.perf_counter() - t0, len(scores), len(frames))
"""


def one_run(checkout: Path, articles: Path, jobs: int) -> tuple[float, int, int]:
    env = {**os.environ, "PYTHONPATH": str(checkout)}
    out = subprocess.run([sys.executable, "-c", CHILD, str(articles), str(jobs)], env=env,
                         cwd=tempfile.gettempdir(), check=True, capture_output=True, text=True)
    seconds, scores, frames = out.stdout.split()[-3:]
    return float(seconds), int(scores), int(frames)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--baseline", required=True, help="git revision to compare with")
    parser.add_argument("--runs", type=int, default=2)
    parser.add_argument("--jobs", type=int, default=2)
    args = parser.parse_args()

    from bench_events import cpu_name
    from bench_lexicon import cached_tables

    from framing.runs import config

    source = config.data_dir() / "data" / "allsides_baly2020" / "articles.parquet"
    articles = cached_tables(source, args.jobs, False)["articles"]
    table = Path(tempfile.mkdtemp()) / "articles.parquet"
    articles.to_parquet(table, index=False)
    worktree = Path(tempfile.mkdtemp()) / f"framing-{args.baseline}"
    subprocess.run(["git", "worktree", "add", "--detach", "-f", str(worktree), args.baseline],
                   cwd=ROOT, check=True, capture_output=True)
    print(f"CPU: {cpu_name()}; {len(articles)} articles, {args.jobs} processes")
    checkouts = {args.baseline: worktree, "this checkout": ROOT}
    times: dict[str, list[float]] = {name: [] for name in checkouts}
    rows: dict[str, tuple[int, int]] = {}
    try:
        for _ in range(args.runs):
            for name, path in checkouts.items():
                seconds, n_scores, n_frames = one_run(path, table, args.jobs)
                times[name].append(seconds)
                rows[name] = (n_scores, n_frames)
                print(f"{name}: {seconds:.1f} s = {len(articles) / seconds:.0f} articles/s")
    finally:
        subprocess.run(["git", "worktree", "remove", "--force", str(worktree)], cwd=ROOT,
                       capture_output=True)
    for name in checkouts:
        t = statistics.median(times[name])
        print(f"{name}: median {t:.1f} s = {len(articles) / t:.0f} articles/s; "
              f"scores {rows[name][0]}, frame rows {rows[name][1]}")


if __name__ == "__main__":
    main()
