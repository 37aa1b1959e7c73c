"""Benchmark: the encoder event stage of a run (``compare.events = "encoder"``) on AllSides.

The stage embeds each processed article's title and lead (the first 600 characters, as
``framing.runs.pipeline`` does) with the bundled encoder, then groups the articles into events
(3-day windows, cosine threshold 0.6: ``experiments/allsides_china.toml``). Prints, with the CPU:

1. the embedding time (the vectors are kept in a temporary folder, keyed by the texts: a later
   run reuses them and prints the time measured when they were made; ``--embed`` measures again);
2. the grouping time of this checkout, median of ``--runs`` runs;
3. with ``--baseline REV``: the embedding and grouping of the git revision REV side by side (its
   ``framing/analysis/events.py`` and ``embeddings.py``, imported from ``git show``), the
   speed-up of the grouping and of the whole stage, and whether the two give the same events
   (same article -> event assignment, sizes and similarities to 1e-9);

and the peak memory. A script, not a test.

    python benchmarks/bench_events.py [--articles PARQUET] [--runs 3] [--baseline e8202d2]
        [--baseline-embed] [--embed] [--fp32]

With ``--baseline-embed`` the baseline embeds with its own code and groups its own vectors;
when the events differ the script prints how far they agree (adjusted Rand index, share of
articles whose event has the same members), and ``--fp32`` compares both with the events of
float32 vectors (the reference neither bf16 path reaches exactly).
"""

from __future__ import annotations

import argparse
import importlib.util
import platform
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd

from framing.analysis import embeddings, events
from framing.infra.schema import PROCESSED_STATUSES

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(Path(__file__).resolve().parent))


def cpu_name() -> str:
    for line in Path("/proc/cpuinfo").read_text().splitlines() if Path("/proc/cpuinfo").exists() else []:
        if line.startswith("model name"):
            return line.split(":", 1)[1].strip()
    return platform.processor() or platform.machine()


def lead_table(articles: pd.DataFrame) -> pd.DataFrame:
    """The rows and texts the event stage embeds (framing.runs.pipeline._events_stage)."""
    processed = articles.loc[articles["status"].isin(PROCESSED_STATUSES)]
    return processed.assign(title=processed["title"].fillna(""),
                            text=processed["text"].fillna("").str.slice(0, 600))


def load_articles(path: Path | None) -> pd.DataFrame:
    if path is not None:
        return pd.read_parquet(path)
    from bench_lexicon import cached_tables  # the ingested AllSides table, cached

    from framing.infra.paths import data_dir

    path = data_dir() / "data" / "allsides_baly2020" / "articles.parquet"
    return cached_tables(path, 2, False)["articles"]


def module_at(rev: str, name: str):
    """``framing.analysis.<name>`` as it was at git revision ``rev``."""
    source = subprocess.run(["git", "show", f"{rev}:framing/analysis/{name}.py"], cwd=ROOT,
                            check=True, capture_output=True, text=True).stdout
    file = Path(tempfile.mkdtemp()) / f"{name}_{rev}.py"
    file.write_text(source, encoding="utf-8")
    spec = importlib.util.spec_from_file_location(f"{name}_{rev}", file)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def timed_grouping(module, leads: pd.DataFrame, vectors: np.ndarray, runs: int,
                   window: int, threshold: float) -> tuple[float, pd.DataFrame, list[float]]:
    times, out = [], None
    for _ in range(runs):
        t0 = time.perf_counter()
        out = module.group_events(leads, window_days=window, threshold=threshold,
                                  embed=lambda texts: vectors)
        times.append(time.perf_counter() - t0)
    return statistics.median(times), out, times


def timed_embedding(module, leads: pd.DataFrame, *, cache: bool = False,
                    **options) -> tuple[float, np.ndarray]:
    """Seconds and vectors of the encoder over the stage's texts; with ``cache``, kept in (and
    read from) a temporary folder keyed by the texts, the options, and the source of ``module``
    and of the classifier module (whose bf16 encoder it uses)."""
    import hashlib
    import inspect
    import json

    from framing.stance import classifier

    texts = ["\n\n".join(pair) for pair in zip(leads["title"], leads["text"], strict=True)]
    source = inspect.getsource(module) + inspect.getsource(classifier) + repr(sorted(options.items()))
    key = hashlib.sha256(("\0".join(texts) + "\0" + source).encode("utf-8")).hexdigest()[:16]
    folder = Path(tempfile.gettempdir()) / "framing-bench"
    vectors_file, seconds_file = folder / f"events-{key}.npy", folder / f"events-{key}.json"
    if cache and vectors_file.is_file() and seconds_file.is_file():
        return json.loads(seconds_file.read_text())["seconds"], np.load(vectors_file)
    t0 = time.perf_counter()
    vectors = np.asarray(module.encoder_embed(texts, **options))
    seconds = time.perf_counter() - t0
    if cache:
        folder.mkdir(parents=True, exist_ok=True)
        np.save(vectors_file, vectors)
        seconds_file.write_text(json.dumps({"seconds": seconds}))
    return seconds, vectors


def same_events(a: pd.DataFrame, b: pd.DataFrame) -> bool:
    a, b = a.reset_index(drop=True), b.reset_index(drop=True)
    return (a["article_id"].equals(b["article_id"]) and a["event"].equals(b["event"])
            and a["event_size"].equals(b["event_size"])
            and np.allclose(a["similarity"], b["similarity"], atol=1e-9, equal_nan=True))


def event_agreement(a: pd.DataFrame, b: pd.DataFrame) -> str:
    """How far two groupings of the same articles agree: the adjusted Rand index (each article
    alone in no event counts as its own cluster), and the share of articles whose event has the
    same members in both (an article alone in both counts as the same)."""
    from sklearn.metrics import adjusted_rand_score

    a = a.set_index("article_id")
    b = b.set_index("article_id").loc[a.index]

    def labels(frame):
        return np.where(frame["event"] != "", frame["event"], "alone:" + frame.index.astype(str))

    la, lb = labels(a), labels(b)
    members_a = pd.Series(a.index, index=la).groupby(level=0).agg(frozenset)
    members_b = pd.Series(b.index, index=lb).groupby(level=0).agg(frozenset)
    same = np.mean([x == y for x, y in zip(members_a.loc[la], members_b.loc[lb], strict=True)])
    grouped_a, grouped_b = (a["event"] != "").sum(), (b["event"] != "").sum()
    return (f"adjusted Rand index {adjusted_rand_score(la, lb):.4f}; articles whose event has the "
            f"same members: {same:.2%}; articles in events {grouped_a} vs {grouped_b}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--articles", type=Path, help="article table (Parquet; default AllSides)")
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--baseline", help="git revision to time side by side (e.g. e8202d2)")
    parser.add_argument("--baseline-runs", type=int, default=1)
    parser.add_argument("--window", type=int, default=3)
    parser.add_argument("--threshold", type=float, default=0.6)
    parser.add_argument("--embed", action="store_true", help="measure the embedding again")
    parser.add_argument("--baseline-embed", action="store_true",
                        help="also time the baseline's embedding (default: its time is this "
                             "checkout's when its embeddings.py computes the same)")
    parser.add_argument("--fp32", action="store_true",
                        help="also embed in float32 (kept between runs) and compare the events of "
                             "this checkout and of the baseline with those of fp32 vectors")
    args = parser.parse_args()

    print(f"CPU: {cpu_name()}; {platform.python_version()}")
    leads = lead_table(load_articles(args.articles))
    print(f"articles embedded and grouped: {len(leads)}")
    embed_s, vectors = timed_embedding(embeddings, leads, cache=not args.embed)
    print(f"embedding (this checkout): {embed_s:.1f} s ({len(leads) / embed_s:.0f} articles/s)")
    group_s, new, times = timed_grouping(events, leads, vectors, args.runs, args.window,
                                         args.threshold)
    print(f"grouping (this checkout): median {group_s:.2f} s of {[round(t, 2) for t in times]}")
    grouped = new.loc[new["event"] != ""]
    print(f"events with 2+ articles: {grouped['event'].nunique()}, articles in them: {len(grouped)}")
    print(f"stage (this checkout): {embed_s + group_s:.1f} s")
    if args.baseline:
        old_events = module_at(args.baseline, "events")
        old_vectors = vectors
        if args.baseline_embed:
            old_embed_s, old_vectors = timed_embedding(module_at(args.baseline, "embeddings"), leads)
            print(f"embedding ({args.baseline}): {old_embed_s:.1f} s; vectors equal: "
                  f"{np.array_equal(old_vectors, vectors)}; embedding speed-up "
                  f"{old_embed_s / embed_s:.2f}x")
        else:
            old_embed_s = embed_s
            print(f"embedding ({args.baseline}): taken as this checkout's {embed_s:.1f} s "
                  "(--baseline-embed measures it)")
        old_s, old, old_times = timed_grouping(old_events, leads, old_vectors, args.baseline_runs,
                                               args.window, args.threshold)
        print(f"grouping ({args.baseline}): median {old_s:.2f} s of {[round(t, 2) for t in old_times]}")
        print(f"grouping speed-up: {old_s / group_s:.1f}x; same events: {same_events(old, new)}")
        if not same_events(old, new):
            print(f"events ({args.baseline} vs this checkout): {event_agreement(old, new)}")
        print(f"stage ({args.baseline}): {old_embed_s + old_s:.1f} s; this checkout "
              f"{embed_s + group_s:.1f} s: {(old_embed_s + old_s) / (embed_s + group_s):.2f}x")
    if args.fp32:
        fp32_s, fp32_vectors = timed_embedding(embeddings, leads, cache=True, bf16=False)
        _, reference, _ = timed_grouping(events, leads, fp32_vectors, 1, args.window,
                                         args.threshold)
        print(f"embedding (fp32): {fp32_s:.1f} s")
        print(f"events, this checkout vs fp32 vectors: {event_agreement(new, reference)}")
        if args.baseline:
            print(f"events, {args.baseline} vs fp32 vectors: {event_agreement(old, reference)}")
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 2**20
    print(f"peak memory: {peak:.2f} GiB")


if __name__ == "__main__":
    main()
