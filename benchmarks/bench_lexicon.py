"""Benchmark: lexicon-only scoring of the AllSides corpus, given its article, sentence and mention tables.

Prints articles/s (median of several runs) for ``scoring.score_lexicon`` with article-level frames
(every sentence matched) and without them (only sentences that mention a target matched), each with
1 and ``--jobs`` worker processes, and the peak memory. A script, not a test: the speed target
(>= 2,000 articles/s on 2 cores) is read off its output.

Building the sentence and mention tables of 37,554 articles takes minutes, so they are cached in a
temporary folder keyed by the input file's size and modification time (``--rebuild`` forces it).

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

from framing import config, lexicon, pipeline, scoring

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


def time_runs(tables: dict[str, pd.DataFrame], runs: int, **options) -> tuple[list[float], tuple]:
    times, result = [], None
    for _ in range(runs):
        # Every run starts cold: the token and stem memos live in per-language normalisers that
        # the lexicon module caches across lexicons (a private detail, reset here on purpose).
        lexicon._normaliser.cache_clear()
        lex = lexicon.load_lexicon()
        t0 = time.perf_counter()
        result = scoring.score_lexicon(
            tables["articles"], tables["sentences"], tables["mentions"], lexicon=lex, **options
        )
        times.append(time.perf_counter() - t0)
    return times, result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--limit", type=int, default=None, help="score only the first N articles")
    parser.add_argument("--jobs", type=int, default=pipeline.default_jobs())
    parser.add_argument("--rebuild", action="store_true", help="rebuild the cached tables")
    args = parser.parse_args()

    path = config.data_dir() / "data" / "allsides_baly2020" / "articles.parquet"
    print(f"machine: {platform.processor() or platform.machine()}, cores available: "
          f"{pipeline.default_jobs()}, python {platform.python_version()}")
    tables = first_articles(cached_tables(path, args.jobs, args.rebuild), args.limit)
    n = len(tables["articles"])
    loaded = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"articles {n}, sentences {len(tables['sentences'])}, mention rows {len(tables['mentions'])}, "
          f"sentences with a mention "
          f"{len(tables['mentions'][['article_id', 'sent_id']].drop_duplicates())}")
    settings = [(jobs, frames) for frames in (True, False) for jobs in sorted({1, args.jobs})]
    for jobs, frames in settings:
        times, (scores, frame_table) = time_runs(
            tables, args.runs, n_jobs=jobs, article_frames=frames
        )
        med = statistics.median(times)
        what = "all sentences (stance + article frames)" if frames else "mention sentences only (stance)"
        print(f"jobs={jobs} {what}: median {med:.1f}s = {n / med:.0f} articles/s "
              f"(runs: {', '.join(f'{t:.1f}s' for t in times)}); score rows {len(scores)}, "
              f"frame rows {len(frame_table)}")
    labels = scores.groupby(["target", "label"]).size().unstack(fill_value=0)
    print("labels per target (last setting):")
    print(labels.to_string())
    peak_self = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    peak_children = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    print(f"peak RSS: main process {peak_self:.0f} MiB ({loaded:.0f} MiB once the tables were read, "
          f"so scoring added {peak_self - loaded:.0f} MiB), largest worker {peak_children:.0f} MiB")


if __name__ == "__main__":
    main()
