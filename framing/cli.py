"""The ``framing`` command. Each subcommand calls the same package functions the experiments use."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import click

from framing.infra.cli_errors import EXIT_USAGE, ErrorGroup  # noqa: F401 - EXIT_USAGE is part of the CLI API
from framing.infra.defaults import (
    DEFAULT_AGGREGATION,
    DEFAULT_LANGUAGES,
    DEFAULT_LEXICON,
    DEFAULT_TARGETS,
    NEUTRAL_BAND,
)


def _parse_map(items: tuple[str, ...]) -> dict[str, str] | None:
    """Parse ``--map canonical=input_column`` options into a dict."""
    mapping: dict[str, str] = {}
    for item in items:
        key, sep, value = item.partition("=")
        if not sep or not key.strip() or not value.strip():
            raise click.BadParameter(
                f"got {item!r}; expected CANONICAL=COLUMN, e.g. --map text=content_original",
                param_hint="--map",
            )
        if key.strip() in mapping:
            raise click.BadParameter(
                f"{key.strip()} is mapped twice ({key.strip()}={mapping[key.strip()]} and "
                f"{item}); map each field once",
                param_hint="--map",
            )
        mapping[key.strip()] = value.strip()
    return mapping or None


def _dayfirst(flag: bool, outlets: tuple[str, ...]) -> bool | tuple[str, ...]:
    """``--dayfirst`` (every outlet) or ``--dayfirst-outlet NAME`` (those outlets), not both."""
    if flag and outlets:
        raise click.BadParameter(
            "give --dayfirst (every outlet) or --dayfirst-outlet (some outlets), not both",
            param_hint="--dayfirst",
        )
    return tuple(outlets) if outlets else flag


def _dayfirst_options(command):
    """The date-order options of ``ingest`` and ``stream``."""
    command = click.option(
        "--dayfirst-outlet", "dayfirst_outlets", multiple=True, metavar="OUTLET",
        help="read ambiguous dates day first for this outlet only (repeatable)",
    )(command)
    return click.option(
        "--dayfirst", is_flag=True,
        help="read dates valid both ways (05/07/2023) day first (5 July); default: month first",
    )(command)


def _reading_options(command):
    """How articles are read (``framing ingest`` and ``framing stream``): the language of short
    texts, plausible dates, the order of ambiguous dates."""
    options = [
        click.option("--language", "language", metavar="CODE", default=None, help="language of short texts (headlines) too short to identify alone, e.g. en; long texts keep their detected language, a language column wins for all (default: the outlet's, else the corpus's dominant language)"),
        click.option("--date-floor", metavar="YYYY-MM-DD", default="1900-01-01", show_default=True, help="dates before this are left empty (published NA, reason says why)"),
        click.option("--date-ceiling", metavar="YYYY-MM-DD", default="", help="dates after this are left empty (default: today)"),
    ]
    for option in reversed(options):
        command = option(command)
    return _dayfirst_options(command)


def _echo_table(title: str, table) -> None:
    click.echo(f"\n{title}")
    click.echo(table.to_string() if len(table) else "  (none)")


def _print_article_summary(articles) -> None:
    from framing.corpus import loading as corpus

    summary = corpus.summarise(articles)
    click.echo(f"articles: {len(articles)}")
    for key in ("status", "language"):
        counts = ", ".join(f"{k} {v}" for k, v in summary.get(f"by_{key}", {}).items() if v)
        click.echo(f"  by {key}: {counts or '(none)'}")
    click.echo(
        f"  flagged: {summary.get('n_duplicates', 0)} exact duplicates, "
        f"{summary.get('n_near_duplicates', 0)} near duplicates (kept, see duplicate_of / near_duplicate_of)"
    )


def _print_mention_summary(mentions) -> None:
    from framing.text import targets

    _echo_table("mentions per target:", targets.mention_summary(mentions))


@click.group(cls=ErrorGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="framing")
@click.option("--debug", is_flag=True, help="show the Python traceback of any error (also: FRAMING_DEBUG=1)")
@click.option("--threads", type=click.IntRange(min=1), default=None, help="torch threads for model inference, training and embeddings (default: $FRAMING_THREADS, else one per core)")
def main(debug: bool, threads: int | None) -> None:
    """Stance toward target actors and frames in multi-outlet, multilingual news corpora."""
    if threads is not None:  # read by framing.infra.threads.torch_threads, here and in workers
        from framing.infra.threads import THREADS_ENV

        os.environ[THREADS_ENV] = str(threads)


@main.command()
@click.argument("inputs", nargs=-1, required=True, type=click.Path(exists=True, path_type=Path))
@click.option("-o", "--output", required=True, type=click.Path(path_type=Path), help="articles .parquet to write")
@click.option("--format", "fmt", type=click.Choice(["txt", "csv", "jsonl", "parquet", "html"]), help="input format (default: from the file extension)")
@click.option("--map", "maps", multiple=True, metavar="CANONICAL=COLUMN", help="column map, e.g. --map text=content_original --map outlet=source")
@click.option("--metadata", type=click.Path(exists=True, path_type=Path), help="sidecar CSV/JSONL with per-file outlet, published, title")
@click.option("--languages", default=",".join(DEFAULT_LANGUAGES), show_default=True, help="languages to process; others get status unsupported_language")
@click.option("-j", "--jobs", type=int, default=0, help="worker processes (0: one per core)")
@_reading_options
def ingest(inputs, output, fmt, maps, metadata, languages, jobs, language, date_floor,
           date_ceiling, dayfirst, dayfirst_outlets) -> None:
    """Read INPUT files or folders into one article table (cleaned, language identified).

    A table of headlines only (a title or headline column, or --map text=headline) gives one
    article per headline, its headline kept whole as one sentence. The column language_source
    says where each article's language came from."""
    from framing.runs import pipeline
    from framing.runs.folders import check_outputs, write_table

    files = [p for p in inputs if not p.is_dir()]
    check_outputs({"-o": output}, {"INPUT": files, "--metadata": metadata},
                  folders={"INPUT": [p for p in inputs if p.is_dir()]})

    articles = pipeline.ingest(
        inputs,
        fmt=fmt,
        column_map=_parse_map(maps),
        metadata=metadata,
        languages=[x.strip() for x in languages.split(",") if x.strip()],
        n_jobs=jobs or pipeline.default_jobs(),
        progress=True,
        dayfirst=_dayfirst(dayfirst, dayfirst_outlets),
        language=language,
        date_floor=date_floor,
        date_ceiling=date_ceiling,
    )
    write_table(articles, output)
    _print_article_summary(articles)
    from framing.corpus.loading import summarise

    sources = summarise(articles).get("by_language_source", {})
    click.echo("  language from: " + (", ".join(f"{k} {v}" for k, v in sources.items()) or "-"))
    click.echo(f"wrote {output}")


@main.command()
@click.argument("articles_path", metavar="ARTICLES", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("-o", "--output", required=True, type=click.Path(path_type=Path), help="mentions .parquet to write")
@click.option("--sentences", "sentences_out", type=click.Path(path_type=Path), help="also write the sentence table here")
@click.option("--targets", "targets_name", default=DEFAULT_TARGETS, show_default=True, help="target lexicon name or folder")
@click.option("--extra-aliases", multiple=True, type=click.Path(exists=True, path_type=Path), help="further aliases/targets CSV files (add a target by data)")
@click.option("-j", "--jobs", type=int, default=0, help="worker processes (0: one per core)")
def mentions(articles_path, output, sentences_out, targets_name, extra_aliases, jobs) -> None:
    """Split ARTICLES into sentences and find every mention of each target."""
    from framing.runs import pipeline
    from framing.runs.folders import check_outputs, read_table, write_table

    check_outputs({"-o": output, "--sentences": sentences_out},
                  {"ARTICLES": articles_path, "--extra-aliases": extra_aliases})

    articles = read_table(articles_path, kind="articles")
    spec = pipeline.TargetSpec(str(targets_name), tuple(str(p) for p in extra_aliases))
    sents, ments = pipeline.sentences_and_mentions(
        articles, target_spec=spec, n_jobs=jobs or pipeline.default_jobs(), progress=True
    )
    write_table(ments, output)
    if sentences_out:
        write_table(sents, sentences_out)
    click.echo(f"sentences: {len(sents)} in {sents['article_id'].nunique() if len(sents) else 0} articles")
    _print_mention_summary(ments)
    click.echo(f"wrote {output}")


@main.command()
@click.argument("config_path", metavar="CONFIG", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--force", is_flag=True, help="recompute every stage, even when cached")
@click.option("--retrain", is_flag=True, help="train the run's model again even when one trained from the same settings and data exists (--force alone reuses it)")
@click.option("--root", type=click.Path(path_type=Path), default=Path("reports/runs"), show_default=True, help="folder of run folders")
@click.option("-j", "--jobs", type=int, default=0, help="worker processes (0: one per core)")
def run(config_path, force, retrain, root, jobs) -> None:
    """Run the experiment CONFIG (TOML) end to end and print the path of its report."""
    _run_config(config_path, force=force, root=root, jobs=jobs, retrain=retrain)


@main.command()
@click.argument("config_path", metavar="CONFIG", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--force", is_flag=True, help="recompute every stage, even when cached")
@click.option("--root", type=click.Path(path_type=Path), default=Path("reports/runs"), show_default=True, help="folder of run folders")
@click.option("-j", "--jobs", type=int, default=0, help="worker processes (0: one per core)")
@click.option("--chunk-size", type=click.IntRange(min=1), default=1000, show_default=True, help="articles per chunk (memory holds one chunk's sentences)")
def multiverse(config_path, force, root, jobs, chunk_size) -> None:
    """The [multiverse] of the experiment CONFIG alone, chunk by chunk of articles (bounded
    memory): every contrast under every combination of the listed choices, a specification curve
    per target, and the run's report rebuilt with its "Robustness of conclusions" section
    (`framing run` computes the same from the run's tables, holding every sentence in memory)."""
    from framing.runs import config
    from framing.runs.multiverse import stream_multiverse

    cfg = config.load_config(config_path)
    _need_multiverse(cfg, config_path)
    files = stream_multiverse(cfg, root=root, force=force, n_jobs=jobs or None,
                              command_line=sys.argv, progress=True, chunk_articles=chunk_size)
    click.echo(f"multiverse: {Path(files['multiverse']).parent.resolve()}")


def _need_multiverse(cfg, config_path: Path) -> None:
    from framing.infra.errors import ConfigError

    if not cfg.multiverse.enabled:
        raise ConfigError(
            f"{config_path} has no [multiverse] table; add one listing the choices to vary, e.g.\n"
            "[multiverse]\naggregation = [\"smoothed-v1\", \"author-v1\"]\nneutral_band = [0.0, 0.1, 0.2]\n"
            "unit = [\"article\", \"sentence\"]"
        )


def _run_config(config_path: Path, *, force: bool, root: Path, jobs: int,
                retrain: bool = False) -> None:
    from framing.runs import config, pipeline

    cfg = config.load_config(config_path)
    report_path = pipeline.run_experiment(
        cfg, root=root, force=force, n_jobs=jobs or None, command_line=sys.argv, progress=True,
        retrain=retrain,
    )
    click.echo(f"report: {report_path.resolve()}")


@main.command()
@click.option("--force", is_flag=True, help="recompute every stage, even when cached")
@click.option("--root", type=click.Path(path_type=Path), default=Path("reports/runs"), show_default=True)
@click.option("--retrain", is_flag=True, help="train the run's model again even when one trained from the same settings and data exists (--force alone reuses it)")
@click.option("-j", "--jobs", type=int, default=0, help="worker processes (0: one per core)")
def demo(force, retrain, root, jobs) -> None:
    """Run the main job on the bundled demo corpus and print the path of its report."""
    from framing.runs import config

    click.echo(f"demo corpus: {config.demo_corpus_path()}")
    _run_config(config.demo_corpus_path() / "demo.toml", force=force, root=root, jobs=jobs,
                retrain=retrain)


def _scoring_options(func):
    """The options of the one scoring config (``framing.runs.config.ScoringConfig``), shared by
    ``framing score`` and ``framing stream`` so that they cannot drift apart."""
    options = [
        click.option("--method", type=click.Choice(["lexicon", "model", "hybrid"]), default="lexicon", show_default=True, help="model/hybrid need --model"),
        click.option("--model", "model_name", help="trained model: a name under the models folder, or a folder path"),
        click.option("--lexicon", "lexicon_name", default=None, help=f"lexicon name or folder (default: {DEFAULT_LEXICON}; for hybrid: the model's)"),
        click.option("--targets", "targets_name", default=DEFAULT_TARGETS, show_default=True, help="target set name or folder"),
        click.option("--kinds", "alias_kinds", default="", help="alias kinds to match, comma-separated (default: the target set's default kinds)"),
        click.option("--neutral-band", type=click.FloatRange(0, 1, max_open=True), default=NEUTRAL_BAND, show_default=True, help="scores with absolute value below this are labelled neutral"),
        click.option("--precision", type=click.Choice(["fp32", "bf16", "int8"]), default="fp32", show_default=True, help="model/hybrid inference precision"),
        click.option("--aggregation", default=DEFAULT_AGGREGATION, show_default=True, help="how mention predictions (model/hybrid) or cues (lexicon) become article scores (framing.stance.scoring.AGGREGATIONS: smoothed-v1, mean-v1, author-v1, voice-weighted-v1)"),
    ]
    for option in reversed(options):
        func = option(func)
    return func


def _scoring_config(method, model_name, lexicon_name, targets_name, alias_kinds, neutral_band,
                    precision, aggregation):
    """The ScoringConfig of the shared scoring options."""
    from framing.stance.scorer import check_config, scoring_config

    config = scoring_config(
        method=method, model=model_name, lexicon=lexicon_name, target_set=targets_name,
        target_kinds=[k.strip() for k in alias_kinds.split(",") if k.strip()],
        neutral_band=neutral_band, precision=precision, aggregation=aggregation,
    )
    check_config(config)
    return config


@main.command()
@click.argument("articles_path", metavar="ARTICLES", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("-o", "--output", required=True, type=click.Path(path_type=Path), help="scores .parquet to write")
@_scoring_options
@click.option("--frames", "frames_out", type=click.Path(path_type=Path), help="lexicon: also write frame counts here (every sentence is then matched, not only those naming a target)")
@click.option("--predictions", "predictions_out", type=click.Path(path_type=Path), help="model/hybrid: also write the per-mention probabilities here")
@click.option("-j", "--jobs", type=int, default=0, help="worker processes (0: one per core)")
def score(articles_path, output, frames_out, predictions_out, jobs, **options) -> None:
    """Score stance per (article, target) for ARTICLES (an article table from `framing ingest`)."""
    from framing.runs import pipeline
    from framing.runs.folders import check_outputs, read_table, write_table
    from framing.stance.scorer import Scorer

    check_outputs({"-o": output, "--frames": frames_out, "--predictions": predictions_out},
                  {"ARTICLES": articles_path})
    # The model and lexicon load before the (long) sentence and mention pass.
    scorer = Scorer(_scoring_config(**options), article_frames=frames_out is not None)
    articles = read_table(articles_path, kind="articles")
    tables = scorer(articles, n_jobs=jobs or pipeline.default_jobs(), progress=True,
                    keep_mentions=False)
    if frames_out and "frames" in tables:
        write_table(tables["frames"], frames_out)
    if predictions_out and "predictions" in tables:
        write_table(tables["predictions"], predictions_out)
    scores = tables["scores"]
    write_table(scores, output)
    summary = scores.groupby(["target", "label"]).size().unstack(fill_value=0) if len(scores) else scores
    _echo_table(f"scores ({scorer.config.method}): (article, target) rows by label", summary)
    click.echo(f"wrote {output}")


@main.command()
@click.argument("input_path", metavar="INPUT", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("-o", "--output", required=True, type=click.Path(file_okay=False, path_type=Path), help="output folder (a killed run given the same folder resumes)")
@_scoring_options
@click.option("--format", "fmt", type=click.Choice(["jsonl", "parquet"]), help="input format (default: from the file extension)")
@click.option("--map", "maps", multiple=True, metavar="CANONICAL=COLUMN", help="column map, e.g. --map text=content_original")
@click.option("--languages", default=",".join(DEFAULT_LANGUAGES), show_default=True, help="languages to score")
@click.option("--chunk-size", type=int, default=1000, show_default=True, help="articles per chunk (memory grows with it)")
@click.option("--threads", type=int, default=None, help="torch threads for the model (default: the cores available)")
@click.option("--no-frames", is_flag=True, help="lexicon: skip article-level frame counts (faster)")
@click.option("--restart", is_flag=True, help="discard an earlier run in the output folder")
@click.option("--dask", "dask_address", metavar="ADDRESS", help="score on a Dask cluster: a scheduler address (tcp://host:8786) or 'local' for 2 local workers")
@_reading_options
def stream(input_path, output, fmt, maps, languages, chunk_size, threads, no_frames, restart,
           dask_address, language, date_floor, date_ceiling, dayfirst, dayfirst_outlets,
           **options) -> None:
    """Score a big Parquet or JSONL corpus chunk by chunk into OUTPUT (bounded memory, resumable)."""
    from framing.runs import stream as streaming
    from framing.runs.folders import check_outputs

    written = ("articles", *streaming.TABLES[options["method"]])
    files = [output / f"{name}.parquet" for name in written] + [output / streaming.STATE_FILE]
    check_outputs({"-o": files}, {"INPUT": input_path})
    settings = streaming.StreamSettings(
        _scoring_config(**options),
        languages=tuple(x.strip() for x in languages.split(",") if x.strip()),
        column_map=_parse_map(maps) or {}, fmt=fmt, chunk_size=chunk_size,
        article_frames=not no_frames, num_threads=threads,
        dayfirst=_dayfirst(dayfirst, dayfirst_outlets),
        language=language, date_floor=date_floor, date_ceiling=date_ceiling,
    )
    if dask_address:
        from framing.runs import dask_scoring
        from framing.runs.folders import write_table

        tables = dask_scoring.score_dask(input_path, settings,
                                         address=None if dask_address == "local" else dask_address)
        output.mkdir(parents=True, exist_ok=True)
        for name, table in tables.items():
            write_table(table, output / f"{name}.parquet")
        counts = {name: len(table) for name, table in tables.items()}
        counts["status"] = tables["articles"]["status"].value_counts().sort_index().to_dict()
    else:
        state = streaming.score_stream(input_path, output, settings, restart=restart, progress=True)
        if state["resumed_from"]:
            click.echo(f"resumed: {state['resumed_from']} chunk(s) were already scored")
        counts = state["counts"]
    click.echo("articles by status: " + ", ".join(f"{k} {v}" for k, v in counts["status"].items()))
    click.echo("rows: " + ", ".join(f"{k} {v}" for k, v in counts.items() if k != "status"))
    click.echo(f"wrote {output}")


@main.command()
@click.argument("config_path", metavar="CONFIG", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("-o", "--output", type=click.Path(path_type=Path), help="model folder (default: <models folder>/<name>)")
def train(config_path, output) -> None:
    """Fine-tune a stance model from the training CONFIG (TOML) and save it by name."""
    from framing.stance import training

    folder, record = training.train(training.load_train_config(config_path), output=output)
    if record["weak_labels"]:
        click.echo("note: trained on weak (lexicon-derived) labels; evaluate only on gold labels")
    click.echo(f"model: {folder.resolve()}")


@main.command()
@click.argument("model_name", metavar="MODEL")
@click.argument("datasets", nargs=-1, required=True)
@click.option("--map", "maps", multiple=True, metavar="OURS=THEIRS", help="column map, e.g. --map sentence=text")
@click.option("--precision", type=click.Choice(["fp32", "bf16", "int8"]), default="fp32", show_default=True)
@click.option("-o", "--output", type=click.Path(path_type=Path), help="write the reports as JSON here")
def evaluate(model_name, datasets, maps, precision, output) -> None:
    """Evaluate MODEL (name or folder) on labelled DATASETS (.csv/.jsonl files or newsmtsc:<split>)."""
    import json

    from framing.runs.folders import write_text
    from framing.stance import training
    from framing.stance.model_scoring import load_model

    model = load_model(model_name)
    reports = {}
    for spec in datasets:
        rep = training.evaluate(model, spec, columns=_parse_map(maps), precision=precision)
        reports[spec] = rep
        click.echo(f"\n{spec}: n {rep['n']}, macro-F1 {rep['macro_f1']:.3f}, accuracy "
                   f"{rep['accuracy']:.3f}, calibration error {rep['ece']:.3f}")
        per_class = ", ".join(f"{r['label']} {r['f1']:.3f}" for r in rep["per_class"])
        click.echo(f"  F1 per class: {per_class}")
        labels = [r["label"] for r in rep["per_class"]]
        counts = {(c["true"], c["predicted"]): c["count"] for c in rep["confusion"]}
        click.echo("  confusion (rows true, columns predicted): " + " | ".join(labels))
        for t in labels:
            click.echo(f"    {t:>8}: " + " ".join(f"{counts[(t, p)]:>6}" for p in labels))
    if output:
        write_text(json.dumps(reports, indent=2, sort_keys=True) + "\n", output)
        click.echo(f"wrote {output}")


@main.command("weak-label")
@click.argument("articles_path", metavar="ARTICLES", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("-o", "--output", required=True, type=click.Path(path_type=Path), help="labelled .csv to write")
@click.option("--seed", type=int, required=True)
@click.option("--lexicon", "lexicon_name", default=DEFAULT_LEXICON, show_default=True)
@click.option("--targets", "targets_name", default=DEFAULT_TARGETS, show_default=True)
@click.option("--per-label", type=int, default=2000, show_default=True, help="at most this many rows per label")
@click.option("--margin", type=float, default=1.0, show_default=True, help="cue weight needed for favor/against")
@click.option("-j", "--jobs", type=int, default=0)
def weak_label(articles_path, output, seed, lexicon_name, targets_name, per_label, margin, jobs) -> None:
    """Label confident mentions of ARTICLES with the lexicon, for training without gold labels."""
    from framing.infra.tableio import write_csv
    from framing.runs import pipeline
    from framing.runs.folders import check_outputs, read_table
    from framing.stance import training

    check_outputs({"-o": output}, {"ARTICLES": articles_path})
    articles = read_table(articles_path, kind="articles")
    sents, ments = pipeline.sentences_and_mentions(
        articles, target_spec=pipeline.TargetSpec(targets_name),
        n_jobs=jobs or pipeline.default_jobs(), progress=True,
    )
    table = training.weak_labels(articles, sents, ments, lexicon=lexicon_name, seed=seed,
                                 per_label=per_label, margin=margin)
    write_csv(table, output)
    _echo_table("weak labels:", table.groupby(["language", "label"]).size().unstack(fill_value=0)
                if len(table) else table)
    click.echo(f"wrote {output} (label_source {table['label_source'].iloc[0] if len(table) else '-'}; "
               "train on it, never evaluate on it)")


@main.command()
@click.argument("scores_path", metavar="SCORES", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("-o", "--output-dir", required=True, type=click.Path(path_type=Path))
@click.option("--by", default="outlet", show_default=True, help="grouping column(s), comma-separated")
@click.option("--articles", "articles_path", type=click.Path(exists=True, dir_okay=False, path_type=Path), help="article table, for grouping columns such as leaning")
@click.option("--frames", "frames_path", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--mentions", "mentions_path", type=click.Path(exists=True, dir_okay=False, path_type=Path), help="mention table (framing mentions): distinguishing terms per target")
@click.option("--sentences", "sentences_path", type=click.Path(exists=True, dir_okay=False, path_type=Path), help="sentence table: distinguishing terms over all sentences (when no --mentions)")
@click.option("--seed", type=int, default=13, show_default=True, help="seed of the bootstrap and permutation tests (recorded in comparison.json)")
@click.option("--n-boot", type=int, default=2000, show_default=True)
@click.option("--min-n", type=int, default=5, show_default=True)
@click.option("--figure-titles", is_flag=True, help="draw each figure's caption as its title (figures for a paper)")
def compare(scores_path, output_dir, by, articles_path, frames_path, mentions_path, sentences_path,
            seed, n_boot, min_n, figure_titles) -> None:
    """Compare outlets (or other groups) on SCORES: tables and figures into OUTPUT_DIR.

    With --mentions (or --sentences) the comparison also lists the words that set each group
    apart; give --articles too, so terms are compared within each language."""
    from framing.analysis import report_tables as report
    from framing.runs.folders import check_outputs, read_table

    names = [*report.TABLE_FILES.values(), report.COMPARISON_FILE]
    if (output_dir / report.TABLE_FILES["scores"]).resolve() == scores_path.resolve():
        names.remove(report.TABLE_FILES["scores"])  # rewritten only when it holds another table
    check_outputs({"-o": [output_dir / name for name in names]},
                  {"SCORES": scores_path, "--articles": articles_path, "--frames": frames_path,
                   "--mentions": mentions_path, "--sentences": sentences_path})
    written = report.write_comparison(
        read_table(scores_path),
        output_dir,
        frames=read_table(frames_path) if frames_path else None,
        mentions=read_table(mentions_path) if mentions_path else None,
        sentences=read_table(sentences_path) if sentences_path else None,
        articles=read_table(articles_path, kind="articles") if articles_path else None,
        by=tuple(x.strip() for x in by.split(",") if x.strip()),
        random_state=seed,
        n_boot=n_boot,
        min_n=min_n,
        figure_titles=figure_titles,
    )
    click.echo(f"wrote {len(written)} files into {output_dir}; next: framing report {output_dir}")


@main.command("report")
@click.argument("run_dir", type=click.Path(exists=True, file_okay=False, path_type=Path))
@click.option("--title", default=None)
def report_cmd(run_dir, title) -> None:
    """Assemble RUN_DIR's tables and figures into report.html and report.md."""
    from framing.report import build as report

    paths = report.build_report(run_dir, title=title)
    click.echo(f"report: {paths['html'].resolve()}")
    click.echo(f"markdown: {paths['markdown'].resolve()}")


@main.command()
@click.argument("configs", nargs=-1, required=True, type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("-o", "--output-dir", default=Path("reports/paper"), show_default=True, type=click.Path(path_type=Path))
@click.option("--force", is_flag=True, help="recompute every stage, even when cached")
@click.option("--retrain", is_flag=True, help="train the run's model again even when one trained from the same settings and data exists (--force alone reuses it)")
@click.option("--root", type=click.Path(path_type=Path), default=Path("reports/runs"), show_default=True)
@click.option("-j", "--jobs", type=int, default=0, help="worker processes (0: one per core)")
def paper(configs, output_dir, force, retrain, root, jobs) -> None:
    """Run experiment CONFIGS and collect every figure and table under OUTPUT_DIR (with SHA256SUMS)."""
    from framing.runs.paper import build_paper

    build_paper(configs, output_dir, root=root, force=force, n_jobs=jobs or None, retrain=retrain)


@main.group()
def lexicon() -> None:
    """Inspect lexicons: validate, stats, coverage."""


@lexicon.command()
@click.argument("names", nargs=-1)
def validate(names) -> None:
    """Validate lexicon folders (names or paths; default: every folder under lexicons/)."""
    from framing.lexicon.folder import load_lexicon
    from framing.runs import config
    from framing.text import preprocess, targets

    folders = list(names) or sorted(p.name for p in config.lexicons_dir().iterdir() if p.is_dir())
    for name in folders:
        base = Path(name).name
        if base.startswith("targets-"):
            obj = targets.load_targets(name)
        elif base.startswith("boilerplate-"):
            obj = preprocess.load_boilerplate(name)
        elif base.startswith("abbreviations-"):
            obj = preprocess.load_abbreviations(name)
        elif base.startswith("voice-"):
            from framing.text.voice import load_voice_cues

            obj = load_voice_cues(name)
        else:
            obj = load_lexicon(name)
        digest = getattr(obj, "sha256", "")
        click.echo(f"ok  {name}" + (f"  sha256 {digest[:12]}" if digest else ""))


@lexicon.command()
@click.argument("name", default=DEFAULT_LEXICON)
def stats(name) -> None:
    """Terms per language and category of lexicon NAME."""
    from framing.lexicon.folder import lexicon_stats, load_lexicon

    _echo_table(f"{name}:", lexicon_stats(load_lexicon(name)))


@lexicon.command()
@click.argument("articles_path", metavar="ARTICLES", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--lexicon", "lexicon_name", default=DEFAULT_LEXICON, show_default=True)
@click.option("--top", type=int, default=20, show_default=True)
@click.option("-o", "--output-dir", type=click.Path(path_type=Path), help="also write the tables as CSV here")
@click.option("-j", "--jobs", type=int, default=0)
def coverage(articles_path, lexicon_name, top, output_dir, jobs) -> None:
    """Share of target sentences with a cue, per language and frame, and the top terms per frame."""
    from framing.runs import pipeline
    from framing.runs.folders import check_outputs, read_table, write_table
    from framing.stance import scoring

    if output_dir:  # the tables of scoring.coverage
        names = ("by_language", "by_target", "top_terms")
        check_outputs({"-o": [Path(output_dir) / f"coverage-{key}.csv" for key in names]},
                      {"ARTICLES": articles_path})
    articles = read_table(articles_path, kind="articles")
    n_jobs = jobs or pipeline.default_jobs()
    sents, ments = pipeline.sentences_and_mentions(articles, n_jobs=n_jobs, progress=True)
    tables = scoring.coverage(articles, sents, ments, lexicon_name, top=top, n_jobs=n_jobs)
    for key, table in tables.items():
        _echo_table(f"{key}:", table)
        if output_dir:
            write_table(table, Path(output_dir) / f"coverage-{key}.csv")


def _add_subgroups() -> None:
    from framing.annotate.cli import annotate

    main.add_command(annotate)


_add_subgroups()

if __name__ == "__main__":  # pragma: no cover
    main()
