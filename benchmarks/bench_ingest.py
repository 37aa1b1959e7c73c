"""Benchmark: load + clean + language id + sentence split + mentions on the AllSides corpus.

Prints per-stage throughput (articles/s) and the end-to-end figure, medians of several runs, and
peak memory. A script, not a test: speed targets are read off its output.

    python benchmarks/bench_ingest.py [--runs 3] [--limit N] [--jobs 2]
"""

from __future__ import annotations

import argparse
import platform
import resource
import statistics
import time

from framing.runs import config, pipeline

ALLSIDES_MAP = {"article_id": "ID", "outlet": "source", "text": "content_original", "published": "date"}


def run_once(path, limit: int | None, jobs: int) -> dict[str, float]:
    t0 = time.perf_counter()
    articles = pipeline.ingest([path], column_map=ALLSIDES_MAP, n_jobs=jobs)
    if limit:
        articles = articles.iloc[:limit]
    t1 = time.perf_counter()
    sents, ments = pipeline.sentences_and_mentions(articles, n_jobs=jobs)
    t2 = time.perf_counter()
    n = len(articles)
    return {
        "articles": n,
        "sentences": len(sents),
        "mention_rows": len(ments),
        "ingest_s": t1 - t0,
        "split_mentions_s": t2 - t1,
        "total_s": t2 - t0,
        "by_target": ments.groupby("target").size().to_dict() if len(ments) else {},
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--limit", type=int, default=None, help="score only the first N articles")
    parser.add_argument("--jobs", type=int, default=pipeline.default_jobs())
    args = parser.parse_args()

    path = config.data_dir() / "data" / "allsides_baly2020" / "articles.parquet"
    print(f"machine: {platform.processor() or platform.machine()}, cores available: "
          f"{pipeline.default_jobs()}, jobs: {args.jobs}, python {platform.python_version()}")
    runs = [run_once(path, args.limit, args.jobs) for _ in range(args.runs)]
    n = runs[0]["articles"]
    med = {k: statistics.median(r[k] for r in runs) for k in ("ingest_s", "split_mentions_s", "total_s")}
    print(f"articles {n}, sentences {runs[0]['sentences']}, (article, sentence, target) rows "
          f"{runs[0]['mention_rows']}")
    print(f"sentences with a mention, per target: {runs[0]['by_target']}")
    print(f"ingest (read+clean+language): median {med['ingest_s']:.1f}s = {n / med['ingest_s']:.0f} articles/s")
    print(f"sentences + mentions:         median {med['split_mentions_s']:.1f}s = {n / med['split_mentions_s']:.0f} articles/s")
    each = ", ".join(f"{r['total_s']:.1f}s" for r in runs)
    print(f"end to end:                   median {med['total_s']:.1f}s = {n / med['total_s']:.0f} articles/s (runs: {each})")
    peak_self = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    peak_children = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    print(f"peak RSS: main process {peak_self:.0f} MiB, largest worker {peak_children:.0f} MiB")


if __name__ == "__main__":
    main()
