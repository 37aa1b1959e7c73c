"""Benchmark: lexicon-only work on the AllSides corpus after ingest, stage by stage.

Given the ingested article table, prints articles/s (median of ``--runs`` runs) for

1. sentence splitting + target mentions (``pipeline.sentences_and_mentions``), with 1 and ``--jobs``
   worker processes;
2. lexicon matching + aggregation (``scoring.score_lexicon``) with article-level frames (every
   sentence matched) and without them (only sentences that mention a target matched), each with 1
   and ``--jobs`` worker processes;
3. end to end after ingest: the sum of the medians of 1 and 2 (with article frames), per job count;

and the peak memory. A script, not a test: the speed target (>= 2,000 articles/s end to end on 2
cores) is read off its output.

Ingesting 37,554 articles takes minutes, so the article table (and, for reference, the sentence and
mention tables built with it) is cached in a temporary folder keyed by the input file's size and
modification time (``--rebuild`` forces it). Scoring runs on the tables of the last timed
sentences+mentions run, which are checked against the cached ones.

    python benchmarks/bench_lexicon.py [--runs 3] [--limit N] [--jobs 2] [--rebuild]
"""

from __future__ import annotations

import argparse
import platform
import resource
import statistics
import tempfile
import time
from pathlib import Path

import pandas as pd

from framing.lexicon.folder import load_lexicon
from framing.lexicon.tokens import _normaliser
from framing.runs import config, pipeline
from framing.stance import scoring
from framing.text import preprocess

ALLSIDES_MAP = {"article_id": "ID", "outlet": "source", "text": "content_original", "published": "date"}
TABLES = ("articles", "sentences", "mentions")


def cached_tables(path: Path, jobs: int, rebuild: bool) -> dict[str, pd.DataFrame]:
    """The article, sentence and mention tables of ``path``, built once and cached in a temp folder."""
    stat = path.stat()
    folder = Path(tempfile.gettempdir()) / "framing-bench" / f"{path.stem}-{stat.st_size}-{stat.st_mtime_ns}"
    files = {name: folder / f"{name}.parquet" for name in TABLES}
    if not rebuild and all(f.is_file() for f in files.values()):
        print(f"tables read from cache {folder}")
        return {name: pd.read_parquet(f) for name, f in files.items()}
    print(f"building tables (ingest, sentences, mentions) with {jobs} job(s); cache: {folder}")
    t0 = time.perf_counter()
    articles = pipeline.ingest([path], column_map=ALLSIDES_MAP, n_jobs=jobs)
    sentences, mentions = pipeline.sentences_and_mentions(articles, n_jobs=jobs)
    print(f"built in {time.perf_counter() - t0:.0f}s")
    tables = {"articles": articles, "sentences": sentences, "mentions": mentions}
    folder.mkdir(parents=True, exist_ok=True)
    for name, table in tables.items():
        table.to_parquet(files[name], index=False)
    return {name: pd.read_parquet(f) for name, f in files.items()}  # as later runs will see them


def first_articles(tables: dict[str, pd.DataFrame], limit: int | None) -> dict[str, pd.DataFrame]:
    """The tables restricted to the first ``limit`` articles (all when None)."""
    if not limit:
        return tables
    articles = tables["articles"].iloc[:limit]
    keep = set(articles["article_id"])
    return {
        "articles": articles,
        "sentences": tables["sentences"].loc[tables["sentences"]["article_id"].isin(keep)],
        "mentions": tables["mentions"].loc[tables["mentions"]["article_id"].isin(keep)],
    }


def _cold_start() -> None:
    """Empty the per-process memos, so that every run starts cold (private details, on purpose)."""
    # Token and stem memos live in per-language normalisers cached across lexicons (chunk memos
    # in the matchers of each loaded lexicon); the sentence splitter's tokenizers memoise Punkt's
    # decisions. Worker processes are forked from this one, so they start cold too.
    _normaliser.cache_clear()
    preprocess._punkt.cache_clear()


def time_split(articles: pd.DataFrame, runs: int, jobs: int) -> tuple[list[float], tuple]:
    """Seconds per run of ``pipeline.sentences_and_mentions`` and the last run's tables."""
    times, result = [], None
    for _ in range(runs):
        _cold_start()
        t0 = time.perf_counter()
        result = pipeline.sentences_and_mentions(articles, n_jobs=jobs)
        times.append(time.perf_counter() - t0)
    return times, result


def time_scoring(tables: dict[str, pd.DataFrame], runs: int, **options) -> tuple[list[float], tuple]:
    """Seconds per run of ``scoring.score_lexicon`` and the last run's tables."""
    times, result = [], None
    for _ in range(runs):
        _cold_start()
        lex = load_lexicon()
        t0 = time.perf_counter()
        result = scoring.score_lexicon(
            tables["articles"], tables["sentences"], tables["mentions"], lexicon=lex, **options
        )
        times.append(time.perf_counter() - t0)
    return times, result


def _same(a: pd.DataFrame, b: pd.DataFrame) -> bool:
    try:
        pd.testing.assert_frame_equal(a.reset_index(drop=True), b.reset_index(drop=True),
                                      check_dtype=False)
    except AssertionError:
        return False
    return True


def _runs(times: list[float]) -> str:
    return ", ".join(f"{t:.1f}s" for t in times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--limit", type=int, default=None, help="use only the first N articles")
    parser.add_argument("--jobs", type=int, default=pipeline.default_jobs())
    parser.add_argument("--rebuild", action="store_true", help="rebuild the cached tables")
    args = parser.parse_args()

    path = config.data_dir() / "data" / "allsides_baly2020" / "articles.parquet"
    print(f"machine: {platform.processor() or platform.machine()}, cores available: "
          f"{pipeline.default_jobs()}, python {platform.python_version()}")
    cached = first_articles(cached_tables(path, args.jobs, args.rebuild), args.limit)
    n = len(cached["articles"])
    loaded = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    job_counts = sorted({1, args.jobs})

    split_median: dict[int, float] = {}
    tables = cached
    for jobs in job_counts:
        times, (sentences, mentions) = time_split(cached["articles"], args.runs, jobs)
        split_median[jobs] = statistics.median(times)
        print(f"jobs={jobs} sentences+mentions: median {split_median[jobs]:.1f}s = "
              f"{n / split_median[jobs]:.0f} articles/s (runs: {_runs(times)}); "
              f"sentences {len(sentences)}, mention rows {len(mentions)}")
        tables = {"articles": cached["articles"], "sentences": sentences, "mentions": mentions}
    same = _same(tables["sentences"], cached["sentences"]) and _same(
        tables["mentions"], cached["mentions"])
    print(f"sentence and mention tables equal to the cached ones: {'yes' if same else 'NO'}")
    print(f"sentences with a mention "
          f"{len(tables['mentions'][['article_id', 'sent_id']].drop_duplicates())}")

    score_median: dict[tuple[int, bool], float] = {}
    for frames in (True, False):
        for jobs in job_counts:
            times, (scores, frame_table) = time_scoring(
                tables, args.runs, n_jobs=jobs, article_frames=frames
            )
            med = score_median[jobs, frames] = statistics.median(times)
            what = ("all sentences (stance + article frames)" if frames
                    else "mention sentences only (stance)")
            print(f"jobs={jobs} lexicon {what}: median {med:.1f}s = {n / med:.0f} articles/s "
                  f"(runs: {_runs(times)}); score rows {len(scores)}, "
                  f"frame rows {len(frame_table)}")
    for frames in (True, False):
        for jobs in job_counts:
            total = split_median[jobs] + score_median[jobs, frames]
            what = "with article frames" if frames else "stance only"
            print(f"jobs={jobs} end to end after ingest ({what}): {total:.1f}s = "
                  f"{n / total:.0f} articles/s")
    labels = scores.groupby(["target", "label"]).size().unstack(fill_value=0)
    print("labels per target (last setting):")
    print(labels.to_string())
    peak_self = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    peak_children = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    print(f"peak RSS: main process {peak_self:.0f} MiB ({loaded:.0f} MiB once the tables were read, "
          f"so the timed work added {peak_self - loaded:.0f} MiB), largest worker "
          f"{peak_children:.0f} MiB")


if __name__ == "__main__":
    main()
