"""``framing annotate``: draw mentions for manual coding, and import the codes (see ``annotate``)."""

from __future__ import annotations

from pathlib import Path

import click

from framing.infra.cli_errors import ErrorGroup
from framing.infra.defaults import DEFAULT_CODEBOOK
from framing.infra.errors import FramingError

#: Longest table printed in full; longer ones are cut (the files hold them whole).
MAX_ROWS = 30


def _echo_table(title: str, table, where: str = "") -> None:
    click.echo(f"\n{title}")
    click.echo(table.head(MAX_ROWS).to_string(index=False) if len(table) else "  (none)")
    if len(table) > MAX_ROWS:
        click.echo(f"  ... {len(table) - MAX_ROWS} more row(s){' in ' + where if where else ''}")


def _split(value: str) -> list[str]:
    return [x.strip() for x in value.split(",") if x.strip()]


def _file(value: str | None) -> Path | None:
    """``value`` as a path when it names an existing file (a codebook may also be a bundled name)."""
    return Path(value) if value and Path(value).is_file() else None


@click.group(cls=ErrorGroup, context_settings={"help_option_names": ["-h", "--help"]})
def annotate() -> None:
    """Manual coding: draw mentions to code, then import the codes (agreement, adjudication)."""


@annotate.command()
@click.argument("run_dir", type=click.Path(exists=True, file_okay=False, path_type=Path))
@click.option("-o", "--output-dir", required=True, type=click.Path(file_okay=False, path_type=Path),
              help="folder for sample.csv, the Label Studio tasks and config, and sample.json")
@click.option("-n", "n", type=int, required=True, help="items to draw")
@click.option("--seed", type=int, required=True, help="the same seed and inputs give the same sample")
@click.option("--strategy", type=click.Choice(["random", "uncertainty", "disagreement"]), default="random",
              show_default=True, help="uncertainty/disagreement need --predictions")
@click.option("--predictions", "predictions_path", type=click.Path(exists=True, dir_okay=False, path_type=Path),
              help="mention-level predictions (`framing score --method model --predictions FILE`)")
@click.option("--strata", default="outlet,language,target", show_default=True,
              help="item columns to stratify by, comma-separated ('' for none)")
@click.option("--allocation", type=click.Choice(["equal", "proportional"]), default="equal", show_default=True)
@click.option("--exclude", "exclude_paths", multiple=True, type=click.Path(exists=True, dir_okay=False, path_type=Path),
              help="CSV with an id column (an earlier sample or labelled file): its items are not drawn again")
@click.option("--codebook", "codebook_path",
              help=f"codebook TOML file or bundled name (default: {DEFAULT_CODEBOOK}; also codebook-state-v1)")
@click.option("--keep-duplicates", is_flag=True, help="also draw from duplicate articles and repeated sentences")
@click.option("--exclude-articles", "exclude_article_paths", multiple=True,
              type=click.Path(exists=True, dir_okay=False, path_type=Path),
              help="CSV with an article_id column (e.g. a coded set's items.csv): no item of these articles is drawn")
@click.option("--unit", type=click.Choice(["mention", "article"]), default="mention", show_default=True,
              help="mention: one (sentence, target) per item; article: one (article, target), coded as a whole")
@click.option("--min-targets", type=click.IntRange(min=1), default=1, show_default=True,
              help="2 or more: draw N whole sentences that name at least this many targets, with an item "
                   "for each of their targets (the same words coded toward each target)")
def sample(run_dir, output_dir, n, seed, strategy, predictions_path, strata, allocation, exclude_paths,
           codebook_path, keep_duplicates, exclude_article_paths, unit, min_targets) -> None:
    """Draw N mentions from the run in RUN_DIR for coding (stratified, seeded).

    Writes sample.csv (codebook in its header, an empty label column for each coder's copy),
    label-studio-tasks.json with label-studio-config.xml, and sample.json (settings, counts).
    """
    from framing.annotate.codebook import load_codebook
    from framing.annotate.export import SAMPLE_FILES, write_sample
    from framing.annotate.items import article_items, mention_items, read_run
    from framing.annotate.read import read_sample_ids
    from framing.annotate.sample import SAMPLE_COLUMNS, sample_items
    from framing.runs.folders import check_outputs, file_sha256, read_table

    check_outputs({"-o": [output_dir / name for name in SAMPLE_FILES.values()]},
                  {"--predictions": predictions_path, "--exclude": exclude_paths,
                   "--exclude-articles": exclude_article_paths, "--codebook": _file(codebook_path)})
    codebook = load_codebook(codebook_path)
    articles, sentences, mentions = read_run(run_dir)
    strata_columns = _split(strata)
    known = set(SAMPLE_COLUMNS)
    extra = [c for c in strata_columns if c not in known and c != "n_mentions"]
    if unit == "article":
        items = article_items(articles, mentions, drop_duplicates=not keep_duplicates, article_columns=extra)
    else:
        items = mention_items(articles, sentences, mentions, drop_duplicates=not keep_duplicates,
                              article_columns=extra)
    click.echo(f"mentions: {len(mentions)}; codable items: {len(items)}"
               + ("" if keep_duplicates else " (duplicate articles and repeated sentences left out)"))
    if exclude_article_paths:
        from framing.infra import tableio

        blocked: set[str] = set()
        for path in exclude_article_paths:
            table = tableio.read_csv(path, dtype=str, keep_default_na=False, comment="#")
            if "article_id" not in table.columns:
                raise FramingError(f"{path}: no article_id column; it has {list(table.columns)}")
            blocked |= set(table["article_id"])
        before = len(items)
        items = items.loc[~items["article_id"].astype(str).isin(blocked)].reset_index(drop=True)
        click.echo(f"left out {before - len(items)} item(s) of {len(blocked)} excluded article(s)")
    exclude: set[str] = set()
    for path in exclude_paths:
        exclude |= set(read_sample_ids(path))
    predictions = read_table(predictions_path) if predictions_path else None
    if min_targets > 1 and unit == "article":
        raise FramingError("--min-targets applies to sentence items (--unit mention), not to articles")
    drawn = sample_items(items, n, seed=seed, strategy=strategy, predictions=predictions,
                         strata=strata_columns, allocation=allocation, exclude=exclude,
                         min_targets=min_targets)
    inputs = {"run_dir": str(run_dir)}
    if predictions_path:
        inputs["predictions"] = {"path": str(predictions_path), "sha256": file_sha256(predictions_path)}
    if exclude_paths:
        inputs["exclude"] = [{"path": str(p), "sha256": file_sha256(p)} for p in exclude_paths]
    if exclude_article_paths:
        inputs["exclude_articles"] = [{"path": str(p), "sha256": file_sha256(p)} for p in exclude_article_paths]
    paths = write_sample(drawn, output_dir, codebook=codebook,
                         meta={"inputs": inputs, "keep_duplicates": keep_duplicates, "unit": unit,
                               "min_targets": min_targets})
    _echo_table("strata:", drawn.strata, str(output_dir / "sample.json"))
    if len(drawn.strata) > len(drawn.items):
        click.echo(f"note: {len(drawn.strata)} strata for {len(drawn.items)} item(s): most strata get none; "
                   "consider fewer strata (--strata language,target) or --allocation proportional")
    for note in drawn.notes:
        click.echo(f"note: {note}")
    sentences = f" in {drawn.params['n_sentences']} sentence(s)" if min_targets > 1 else ""
    click.echo(f"\ndrew {len(drawn.items)} item(s){sentences} ({strategy}, seed {seed}), codebook {codebook.id}")
    for key in ("sample", "coder", "tasks", "config", "manifest"):
        click.echo(f"wrote {paths[key]}")
    click.echo("next: each coder fills the label column of a copy of coder.csv (only what a coder "
               "should see: no outlet or stratum), or codes in Label Studio; then: framing annotate "
               "import SAMPLE CODED1 CODED2 ... -o FOLDER")


@annotate.command("import")
@click.argument("sample_path", metavar="SAMPLE", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.argument("coded", nargs=-1, required=True, type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("-o", "--output-dir", required=True, type=click.Path(file_okay=False, path_type=Path),
              help="folder for agreement tables, disagreements.csv and labelled.csv")
@click.option("--coders", default=None, help="coder names, one per CODED file, comma-separated (default: file names)")
@click.option("--adjudication", "decisions_path", type=click.Path(exists=True, dir_okay=False, path_type=Path),
              help="a disagreements.csv with its 'adjudicated' column filled in")
@click.option("--codebook", "codebook_path",
              help=f"codebook TOML file or bundled name (default: {DEFAULT_CODEBOOK}; also codebook-state-v1)")
@click.option("--allow-missing", is_flag=True, help="accept coded files that lack some sample rows (counted as skipped)")
@click.option("--field", type=click.Choice(["label", "holder"]), default="label", show_default=True,
              help="the coded column to import (holder: codebooks with [[holders]], e.g. codebook-state-v1)")
def import_cmd(sample_path, coded, output_dir, coders, decisions_path, codebook_path, allow_missing,
               field) -> None:
    """Import CODED files of SAMPLE: check, agreement, disagreements, labelled CSV.

    CODED: a filled-in copy of sample.csv per coder, or Label Studio exports (JSON/JSON-MIN).
    """
    from framing.annotate.agreement import CODE_PREFIX
    from framing.annotate.codebook import load_codebook
    from framing.annotate.importing import IMPORT_FILES, import_codes, write_import
    from framing.runs.folders import check_outputs

    check_outputs({"-o": [output_dir / name for name in IMPORT_FILES.values()]},
                  {"SAMPLE": sample_path, "CODED": coded, "--adjudication": decisions_path,
                   "--codebook": _file(codebook_path)})
    result = import_codes(
        sample_path, coded, codebook=load_codebook(codebook_path),
        coders=_split(coders) if coders is not None else None, allow_missing=allow_missing,
        decisions_path=decisions_path, field=field,
    )
    out = write_import(result, output_dir)
    _echo_table("coders:", result.coders)
    shown = result.agreement[["target", "label", "n_pairable", "pct_agree", "alpha", "alpha_ordinal",
                              "kappa_mean", "note"]]
    _echo_table("agreement (label rows: binary 'is this label'):", shown.round(3))
    resolution = result.adjudicated["resolution"].value_counts().sort_index()
    click.echo("\nresolution: " + ", ".join(f"{k} {v}" for k, v in resolution.items()))
    codes = [c for c in result.disagreements.columns if c.startswith(CODE_PREFIX)]
    _echo_table(f"disagreements: {len(result.disagreements)} (to adjudicate: fill 'adjudicated' in "
                f"{out['disagreements']}, then import again with --adjudication FILE and another -o: "
                "the filled file is an input and is never overwritten)",
                result.disagreements[["id", "target", *codes, "majority"]], str(out["disagreements"]))
    for note in result.notes:
        click.echo(f"note: {note}")
    click.echo(f"wrote {out['labelled']} ({len(result.labelled)} labelled rows)")
    click.echo(f"labelled sha256 {out['labelled_sha256']}")
    click.echo(f"codes sha256 {out['codes_sha256']}")
    click.echo(f"wrote {out['manifest']}")
