"""The report's sections in order, as blocks: overview, methods, one section per target, the
further comparisons, other figures and provenance."""

from __future__ import annotations

import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pandas as pd

from framing.analysis.report_tables import TABLE_FILES, cell_text, figure_stem, nested_get
from framing.report.cells import int_cell
from framing.report.document import (
    Cell,
    Context,
    Heading,
    Note,
    Para,
    Stats,
    Table,
    absent,
    figure_blocks,
    figure_caption,
    group_list,
    group_word,
    recorded_figure,
    scoring_method,
    target_rows,
)
from framing.report.extra_blocks import (
    also_by_section,
    by_voice_section,
    disagreement_section,
    same_event_section,
)
from framing.report.references import Citations, model_sentence
from framing.report.robustness import robustness_section
from framing.report.target_blocks import article_frames, target_section

__all__ = ["assemble"]


#: Characters of a sha256 shown in the report.
SHA_PREFIX = 12
_VERSION_SUFFIX = re.compile(r"^(?P<name>.+?)-v(?P<version>\d+)$")


def assemble(ctx: Context) -> list[Any]:
    """Every section of the report, in order, as blocks."""
    blocks: list[Any] = []
    blocks += _overview(ctx)
    blocks += _methods(ctx)
    for k, target in enumerate(ctx.targets, start=1):
        blocks += target_section(ctx, target, k)
    blocks += article_frames(ctx)
    blocks += also_by_section(ctx)
    blocks += by_voice_section(ctx)
    blocks += same_event_section(ctx)
    blocks += disagreement_section(ctx)
    blocks += robustness_section(ctx)
    blocks += _other_figures(ctx)
    blocks += _provenance(ctx)
    return blocks


def _sha_prefix(value: Any) -> str:
    return str(value)[:SHA_PREFIX] if isinstance(value, str) and value else "not recorded"


def _overview(ctx: Context) -> list[Any]:
    blocks: list[Any] = [Heading(2, "Overview", "overview")]
    counts = nested_get(ctx.manifest, "counts", default={}) or {}
    ccounts = nested_get(ctx.comparison, "counts", default={}) or {}
    scores = ctx.tables.get("scores")
    outlet = ctx.tables.get("outlet_table")
    n_articles = counts.get("n_articles")
    n_scored = ccounts.get("n_articles")
    if n_scored is None and scores is not None:
        n_scored = int(scores["article_id"].nunique())
    groups = group_list(ctx)
    method = scoring_method(ctx)
    stats = []
    if n_articles is not None:
        stats.append(("articles in the corpus", str(n_articles)))
    if n_scored is not None:
        stats.append(("articles scored", str(n_scored)))
    stats += [
        (f"{group_word(ctx)} groups", str(len(groups))),
        ("targets", str(len(ctx.targets))),
        ("method", method or "not recorded"),
    ]
    blocks.append(Stats(tuple(stats)))
    description = nested_get(ctx.manifest, "config", "description")
    if isinstance(description, str) and description.strip():
        blocks.append(Para(description.strip()))
    blocks.append(
        Para(
            f"Targets: {', '.join(ctx.targets) or 'none'}. {group_word(ctx).capitalize()} groups: "
            f"{', '.join(groups) or 'none'}. Scores run from -1 (against the target) to +1 (in "
            "favour); every number below is read from the tables of this run folder."
        )
    )
    if outlet is not None and len(outlet):
        rows = []
        for target in ctx.targets:
            part = target_rows(outlet, target)
            warned = (
                int((part["warning"].fillna("").astype(str) != "").sum())
                if "warning" in part
                else 0
            )
            rows.append(
                (
                    Cell(target),
                    int_cell(pd.to_numeric(part["n_articles"], errors="coerce").sum()),
                    int_cell(len(part)),
                    int_cell(warned),
                )
            )
        blocks.append(
            Table(
                ("target", "article scores", f"{group_word(ctx)} groups", "groups with a warning"),
                tuple(rows),
                "Coverage per target",
            )
        )
    base = figure_stem("heatmap", by=ctx.by)
    blocks += recorded_figure(ctx, base, "heatmap", "Mean stance per group and target")
    if outlet is None:
        blocks.append(absent(ctx, "outlet_table", "means per group and target"))
    return blocks


def _lexicon_info(ctx: Context, role: str) -> tuple[str, str, str]:
    """(name, version, sha256 prefix) of the scoring or targets lexicon, from the manifest."""
    recorded = nested_get(ctx.manifest, "lexicons", role)
    if isinstance(recorded, Mapping) and recorded.get("name"):
        return (
            str(recorded["name"]),
            cell_text(recorded.get("version", "?")),
            _sha_prefix(recorded.get("sha256")),
        )
    value = nested_get(ctx.manifest, "config", role, "lexicon")
    if not isinstance(value, str) or not value:
        return "", "", ""
    base = Path(value).name
    match = _VERSION_SUFFIX.match(base)
    name, version = (match["name"], match["version"]) if match else (base, "?")
    hashes = nested_get(ctx.manifest, "inputs", f"{role}.lexicon")
    sha = next(iter(hashes.values()), None) if isinstance(hashes, Mapping) and hashes else None
    return name, version, _sha_prefix(sha)


def _methods(ctx: Context) -> list[Any]:
    cfg = nested_get(ctx.manifest, "config", default={}) or {}
    settings = {
        **(nested_get(cfg, "compare", default={}) or {}),
        **(nested_get(ctx.comparison, "settings", default={}) or {}),
    }
    cite = Citations()
    sentences = [
        *_scoring_sentences(ctx, cfg, cite),
        *_corpus_sentences(ctx),
        *_statistics_sentences(ctx, settings, cite),
    ]
    if not ctx.manifest:
        sentences.append(
            "No manifest.json in this run folder: the lexicons, the model and the "
            "corpus counts are not recorded here."
        )
    blocks: list[Any] = [
        Heading(2, "Methods", "methods"),
        Para(" ".join(sentences) if sentences else "No settings recorded."),
    ]
    if cite.keys:
        blocks += [Heading(3, "References", "references"), *(Para(ref) for ref in cite.listed())]
    return blocks


def _scoring_sentences(ctx: Context, cfg: Mapping[str, Any], cite: Citations) -> list[str]:
    """The scoring method (and its model, its encoder and training data, cited) and the lexicons
    of scoring and targets."""
    sentences = []
    method = scoring_method(ctx)
    if method:
        text = f"Stance toward each target was scored per article with the {method} method"
        model = nested_get(cfg, "scoring", "model")
        if method in ("model", "hybrid") and model:
            hashes = nested_get(ctx.manifest, "inputs", "scoring.model")
            sha = (
                next(iter(hashes.values()), None)
                if isinstance(hashes, Mapping) and hashes
                else None
            )
            text += f" (model {Path(str(model)).name}, sha256 {_sha_prefix(sha)})"
        sentences.append(text + ".")
        about = model_sentence(nested_get(ctx.manifest, "model"), cite) if model else ""
        if about and method in ("model", "hybrid"):
            sentences.append(about)
    name, version, sha = _lexicon_info(ctx, "scoring")
    if name:
        sentences.append(f"Lexicon cues came from {name} version {version} (sha256 {sha}).")
    name, version, sha = _lexicon_info(ctx, "targets")
    if name:
        sentences.append(
            f"Target mentions were found with the aliases of {name} version {version} "
            f"(sha256 {sha})."
        )
    return sentences


def _corpus_sentences(ctx: Context) -> list[str]:
    """Articles read and scored, mentions, groups and targets (none when nothing is counted)."""
    counts = nested_get(ctx.manifest, "counts", default={}) or {}
    ccounts = nested_get(ctx.comparison, "counts", default={}) or {}
    corpus = []
    if counts.get("n_articles") is not None:
        processed = counts.get("n_processed")
        corpus.append(
            f"{counts['n_articles']} articles were read"
            + (f" ({processed} processed)" if processed is not None else "")
        )
    if ccounts.get("n_articles") is not None:
        corpus.append(f"{ccounts['n_articles']} articles mention at least one target")
    if ccounts.get("n_mentions") is not None:
        corpus.append(f"{ccounts['n_mentions']} (sentence, target) mentions were scored")
    if not corpus:
        return []
    return [
        "; ".join(corpus) + f", across {len(group_list(ctx))} {group_word(ctx)} "
        f"groups and {len(ctx.targets)} targets."
    ]


def _statistics_sentences(ctx: Context, settings: Mapping[str, Any], cite: Citations) -> list[str]:
    """The seed, the bootstrap, the pairwise test and its correction, the distinguishing terms,
    the warning threshold; each method cited."""
    sentences = []
    seed = nested_get(ctx.manifest, "seed", default=settings.get("random_state"))
    if seed is not None:
        sentences.append(f"Every random step used seed {seed}.")
    if settings.get("n_boot") is not None:
        level = f"{round(100 * float(settings.get('ci', 0.95)))}%"
        sentences.append(
            f"Each mean is the unweighted mean of article scores with a {level} percentile "
            f"bootstrap interval {cite.cite('bootstrap')} over articles ({settings['n_boot']} "
            "resamples; the article is the resampling unit, so sentences of one article never "
            "count as independent)."
        )
    test = settings.get("test")
    if test == "permutation":
        sentences.append(
            f"Pairs of groups were compared with a two-sided permutation test of the difference of "
            f"means {cite.cite('permutation')} ({settings.get('n_perm', '?')} permutations), with "
            f"Cliff's delta as effect size {cite.cite('cliff')}."
        )
    elif test == "mannwhitney":
        sentences.append(
            f"Pairs of groups were compared with the two-sided Mann-Whitney U test "
            f"{cite.cite('mannwhitney')}, with Cliff's delta as effect size {cite.cite('cliff')}."
        )
    if test:
        sentences.append(
            "P-values were corrected for multiple comparisons with the "
            f"Benjamini-Hochberg false discovery rate {cite.cite('bh')} over all pairs and "
            "targets (q-values)."
        )
    if "distinguishing_terms" in ctx.tables:
        sentences.append(
            "Words that set each group apart were ranked by the z-score of the log-odds ratio with "
            f"an informative Dirichlet prior {cite.cite('logodds')}, each group against the rest."
        )
    if settings.get("min_n") is not None:
        n = int(settings["min_n"])
        sentences.append(f"Cells with fewer than {n} article{'' if n == 1 else 's'} carry a warning.")
    return sentences


def _other_figures(ctx: Context) -> list[Any]:
    rest = [stem for stem in sorted(ctx.figures) if stem not in ctx.used_figures]
    if not rest:
        return []
    blocks: list[Any] = [Heading(2, "Other figures", "other-figures")]
    for stem in rest:
        blocks += figure_blocks(ctx, stem, figure_caption(ctx, stem, stem))
    return blocks


def _provenance(ctx: Context) -> list[Any]:
    blocks: list[Any] = [Heading(2, "Provenance", "provenance")]
    m = ctx.manifest
    rows = []
    git = nested_get(m, "git", default={}) or {}
    for key, value in (
        ("experiment", nested_get(m, "experiment")),
        ("run id", nested_get(m, "run_id")),
        (
            "framing version",
            nested_get(m, "framing_version", default=nested_get(ctx.comparison, "framing_version")),
        ),
        ("code sha256", _sha_prefix(nested_get(m, "code_sha256")) if m else None),
        (
            "git commit",
            f"{_sha_prefix(git.get('sha'))}{' (uncommitted changes)' if git.get('dirty') is True else ''}"
            if git
            else None,
        ),
        (
            "seed",
            nested_get(m, "seed", default=nested_get(ctx.comparison, "settings", "random_state")),
        ),
    ):
        if value is not None:
            rows.append((Cell(key), Cell(str(value))))
    if rows:
        blocks.append(Table(("what", "value"), tuple(rows), "Run"))
    inputs = nested_get(m, "inputs", default={}) or {}
    input_rows = []
    for key in sorted(inputs):
        if isinstance(inputs[key], Mapping):
            for path in sorted(inputs[key]):
                input_rows.append(
                    (Cell(key), Cell(Path(path).name), Cell(_sha_prefix(inputs[key][path])))
                )
    if input_rows:
        blocks.append(Table(("input", "file or folder", "sha256"), tuple(input_rows), "Inputs"))
    versions = nested_get(m, "versions", default={}) or {}
    if versions:
        blocks.append(
            Table(
                ("package", "version"),
                tuple(
                    (
                        Cell(str(k)),
                        Cell(
                            cell_text(versions[k]) if versions[k] is not None else "not installed"
                        ),
                    )
                    for k in sorted(versions)
                ),
                "Software",
            )
        )
    files = tuple(
        (Cell(TABLE_FILES[name]), int_cell(len(table)))
        for name, table in sorted(ctx.tables.items(), key=lambda kv: TABLE_FILES[kv[0]])
    )
    blocks.append(Table(("table", "rows"), files, "Tables in this run folder"))
    if not m:
        blocks.append(
            Note("No manifest.json in this run folder: inputs and versions are not recorded.")
        )
    return blocks
