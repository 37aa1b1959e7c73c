"""Benchmark: the language of AllSides titles alone, before and after the context rule for short texts.

The language of each article's body is taken as the truth (``detect_language`` on the body). Each
title is then identified alone, two ways:

- before: ``detect_language`` on the title, as a lone short text is identified;
- after: the titles read by ``corpus.load`` as a headline-only corpus (columns id, outlet,
  title), so that an uncertain title takes its outlet's (else the corpus's) dominant language
  among the reliably identified titles (``framing.corpus.languages``).

Prints the share of titles whose language agrees with their article body's (articles whose body
language is determined), the undetermined counts and the most frequent disagreements. A script,
not a test:

    python benchmarks/bench_headline_language.py [--limit N] [--jobs 2]
"""

from __future__ import annotations

import argparse
import platform
import tempfile
import time
from collections import Counter
from pathlib import Path

import pandas as pd

from framing.corpus import loading as corpus
from framing.infra.pool import map_chunks
from framing.runs import config, pipeline
from framing.text.language import UNDETERMINED, detect_language

COLUMNS = ["ID", "source", "title", "content_original"]


def _detect_all(texts: list[str]) -> list[str]:
    return [detect_language(text)[0] for text in texts]


def detect(texts: list[str], jobs: int) -> list[str]:
    """The detected language of each text, in order (chunks in ``jobs`` processes)."""
    chunks = [texts[i : i + 1000] for i in range(0, len(texts), 1000)]
    out: list[str] = []
    for part in map_chunks(_detect_all, chunks, n_jobs=jobs, start_method="fork"):
        out.extend(part)
    return out


def agreement(titles: list[str], bodies: list[str]) -> tuple[float, int, Counter]:
    """(share of titles agreeing with their body, articles compared, disagreements by pair)."""
    pairs = [(t, b) for t, b in zip(titles, bodies, strict=True) if b != UNDETERMINED]
    wrong = Counter(f"{b}->{t}" for t, b in pairs if t != b)
    return 1 - sum(wrong.values()) / len(pairs), len(pairs), wrong


def headline_languages(frame: pd.DataFrame, jobs: int) -> tuple[pd.DataFrame, float]:
    """The article table of the titles as a headline-only corpus, and the seconds it took."""
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "titles.parquet"
        frame[["ID", "source", "title"]].to_parquet(path, index=False)
        start = time.perf_counter()
        articles = corpus.load(
            path, column_map={"article_id": "ID", "outlet": "source", "title": "title"},
            supported_languages=("en",), n_jobs=jobs,
        )
        return articles, time.perf_counter() - start


def report(name: str, titles: list[str], bodies: list[str]) -> None:
    share, n, wrong = agreement(titles, bodies)
    und = sum(t == UNDETERMINED for t in titles)
    common = ", ".join(f"{pair} {count}" for pair, count in wrong.most_common(6)) or "-"
    print(f"{name:<7} agree {share:.2%} of {n} ({n - round(share * n)} differ), titles und {und}; "
          f"most frequent (body->title): {common}")


def cpu_name() -> str:
    """The processor's model name (from /proc/cpuinfo where there is one)."""
    try:
        lines = Path("/proc/cpuinfo").read_text(encoding="utf-8").splitlines()
    except OSError:
        lines = []
    names = [line.split(":", 1)[1].strip() for line in lines if line.startswith("model name")]
    return names[0] if names else platform.processor() or platform.machine()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--limit", type=int, default=None, help="only the first N articles")
    parser.add_argument("--jobs", type=int, default=pipeline.default_jobs())
    args = parser.parse_args()

    path = config.data_dir() / "data" / "allsides_baly2020" / "articles.parquet"
    frame = pd.read_parquet(path, columns=COLUMNS)
    if args.limit:
        frame = frame.iloc[: args.limit]
    frame = frame.fillna({"title": "", "content_original": ""})
    print(f"cpu: {cpu_name()}, jobs: {args.jobs}, articles: {len(frame)}")

    start = time.perf_counter()
    bodies = detect(frame["content_original"].tolist(), args.jobs)
    print(f"bodies: {time.perf_counter() - start:.1f}s; by language: "
          f"{dict(Counter(bodies).most_common(5))} (und {bodies.count(UNDETERMINED)})")
    start = time.perf_counter()
    before = detect(frame["title"].tolist(), args.jobs)
    print(f"titles alone: {time.perf_counter() - start:.1f}s")
    articles, seconds = headline_languages(frame, args.jobs)
    after = articles["language"].tolist()
    sources = dict(Counter(articles["language_source"]).most_common())
    statuses = dict(Counter(articles["status"]).most_common())
    print(f"titles as a headline corpus (corpus.load): {seconds:.1f}s; language from: {sources}; "
          f"status: {statuses}")
    report("before", before, bodies)
    report("after", after, bodies)


if __name__ == "__main__":
    main()
