"""The ``framing`` command. Each subcommand calls the same package functions the experiments use."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from framing.errors import FramingError

#: Exit status for a user error (bad input, bad option): the message says what to change.
EXIT_USAGE = 2


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
        mapping[key.strip()] = value.strip()
    return mapping or None


def _echo_table(title: str, table) -> None:
    click.echo(f"\n{title}")
    click.echo(table.to_string() if len(table) else "  (none)")


def _print_article_summary(articles) -> None:
    from framing import corpus

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
    from framing import targets

    _echo_table("mentions per target:", targets.mention_summary(mentions))


class _Group(click.Group):
    """Print toolkit errors as one clear line and exit 2, never a traceback."""

    def invoke(self, ctx: click.Context):
        try:
            return super().invoke(ctx)
        except FramingError as err:
            click.echo(f"error: {err}", err=True)
            sys.exit(EXIT_USAGE)
        except (FileNotFoundError, IsADirectoryError, PermissionError) as err:
            click.echo(f"error: {err.strerror or err}: {err.filename}", err=True)
            sys.exit(EXIT_USAGE)


@click.group(cls=_Group, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="framing")
def main() -> None:
    """Stance toward target actors and frames in multi-outlet, multilingual news corpora."""


@main.command()
@click.argument("inputs", nargs=-1, required=True, type=click.Path(exists=True, path_type=Path))
@click.option("-o", "--output", required=True, type=click.Path(path_type=Path), help="articles .parquet to write")
@click.option("--format", "fmt", type=click.Choice(["txt", "csv", "jsonl", "parquet", "html"]), help="input format (default: from the file extension)")
@click.option("--map", "maps", multiple=True, metavar="CANONICAL=COLUMN", help="column map, e.g. --map text=content_original --map outlet=source")
@click.option("--metadata", type=click.Path(exists=True, path_type=Path), help="sidecar CSV/JSONL with per-file outlet, published, title")
@click.option("--languages", default="en,nl", show_default=True, help="languages to process; others get status unsupported_language")
@click.option("-j", "--jobs", type=int, default=0, help="worker processes (0: one per core)")
def ingest(inputs, output, fmt, maps, metadata, languages, jobs) -> None:
    """Read INPUT files or folders into one article table (cleaned, language identified)."""
    from framing import pipeline
    from framing.runs import write_table

    articles = pipeline.ingest(
        inputs,
        fmt=fmt,
        column_map=_parse_map(maps),
        metadata=metadata,
        languages=[x.strip() for x in languages.split(",") if x.strip()],
        n_jobs=jobs or pipeline.default_jobs(),
        progress=True,
    )
    write_table(articles, output)
    _print_article_summary(articles)
    click.echo(f"wrote {output}")


@main.command()
@click.argument("articles_path", metavar="ARTICLES", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("-o", "--output", required=True, type=click.Path(path_type=Path), help="mentions .parquet to write")
@click.option("--sentences", "sentences_out", type=click.Path(path_type=Path), help="also write the sentence table here")
@click.option("--targets", "targets_name", default="targets-v1", show_default=True, help="target lexicon name or folder")
@click.option("--extra-aliases", multiple=True, type=click.Path(exists=True, path_type=Path), help="further aliases/targets CSV files (add a target by data)")
@click.option("-j", "--jobs", type=int, default=0, help="worker processes (0: one per core)")
def mentions(articles_path, output, sentences_out, targets_name, extra_aliases, jobs) -> None:
    """Split ARTICLES into sentences and find every mention of each target."""
    from framing import pipeline
    from framing.runs import read_table, write_table

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
@click.option("-o", "--output-dir", type=click.Path(path_type=Path), default=Path("reports/runs/demo"), show_default=True)
@click.option("-j", "--jobs", type=int, default=1, show_default=True, help="worker processes")
def demo(output_dir, jobs) -> None:
    """Run the main job on the bundled demo corpus and print where its outputs are."""
    from framing import config, pipeline
    from framing.runs import write_table

    output_dir.mkdir(parents=True, exist_ok=True)
    demo_dir = config.demo_corpus_path()
    articles = pipeline.ingest([demo_dir / "articles.jsonl"], n_jobs=jobs)
    sents, ments = pipeline.sentences_and_mentions(articles, n_jobs=jobs)
    write_table(articles, output_dir / "articles.parquet")
    write_table(sents, output_dir / "sentences.parquet")
    write_table(ments, output_dir / "mentions.parquet")
    click.echo(f"demo corpus: {demo_dir}")
    _print_article_summary(articles)
    click.echo(f"sentences: {len(sents)}")
    _print_mention_summary(ments)
    click.echo(f"\noutputs: {output_dir.resolve()}")


if __name__ == "__main__":  # pragma: no cover
    main()
