"""Do the conclusions survive the analyst's choices? A multiverse of every comparison.

A contrast such as "outlet A is more negative toward China than outlet B" rests on choices: the
scorer (lexicon, a model), which alias kinds name the target, whose voice counts (the
aggregation rule), the neutral band, whether articles or sentences are the unit, and how
many mentions an article needs to count. A
multiverse (Steegen et al. 2016), shown as a specification curve (Simonsohn, Simmons & Nelson
2020), recomputes every contrast under every combination of those choices and asks which
conclusions hold in nearly all of them.

Nothing is classified again: each scorer's evidence is a table of **units** computed once (a
model's prediction per (sentence, target) mention, or the lexicon's cues), and a specification
only filters and re-weights those units:

``target_kinds``
    A mention counts when at least one of its aliases has a chosen kind (:func:`mention_kinds`).
    Its units are the same as in the run, which found mentions of every kind: a model read the
    sentence with all of its aliases marked, and a lexicon cue was attributed among all of them.
``aggregation``
    A rule of :data:`framing.stance.scoring.AGGREGATIONS`: the weight of a unit by its voice and
    the smoothing constant. An article (or sentence) none of whose mentions weighs anything under
    the rule (``author-v1`` and an article that only quotes others) says nothing in that voice
    and is left out of that specification.
``neutral_band``
    A score within ``[-band, band]`` counts as 0 (neutral); 0 keeps every score as it is.
``unit``
    ``article``: one score per (article, target), as the run computes it; ``sentence``: one
    score per (sentence, target) by the same rule, each article's sentences resampled together
    (a cluster bootstrap), so that sentences of one article do not pass for independent ones.
``min_mentions``
    An article counts toward a target only when it mentions the target in at least this many
    sentences (mentions of the chosen kinds, in any voice); 1, the run's choice, keeps every
    article that mentions it. An article that names a state once in passing says less about
    the outlet's stance than one about that state.

Under the run's own choices (and band 0, unit article) the article scores are the run's scores,
and the estimate of a contrast is the report's difference of mean stance.

For each specification and each contrast the report makes (every pair of groups, per target)
the table has the difference of means and its percentile interval (cluster bootstrap of
articles, ``n_boot`` resamples, the same random draws in every specification). A contrast
**holds** when its interval excludes zero on the side of the median estimate in at least
``HOLD_SHARE`` of the specifications; it keeps the **same sign** when at least that share has
the median's sign; otherwise it **flips**.
"""

from __future__ import annotations

import itertools
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any, NamedTuple

import numpy as np
import pandas as pd

from framing.analysis import plots, statistics
from framing.analysis.report_tables import (
    FIGURES_DIR,
    MULTIVERSE_FILE,
    TABLE_FILES,
    cell_text,
    group_labels,
    read_json,
    slug,
)
from framing.infra import schema, tableio
from framing.infra.errors import ConfigError
from framing.stance.scoring import aggregation_rule, voice_weights

__all__ = [
    "CHOICE_LABELS",
    "DIMENSIONS",
    "HOLD_SHARE",
    "UNITS",
    "Evidence",
    "contrasts",
    "lexicon_units",
    "mention_kinds",
    "model_units",
    "robustness",
    "specifications",
    "write_multiverse",
]

#: The choices a multiverse varies, in the order of the table's columns and the figure's rows.
DIMENSIONS: tuple[str, ...] = ("scorer", "target_kinds", "aggregation", "neutral_band", "unit",
                               "min_mentions")
#: How the report and the figure name each choice.
CHOICE_LABELS: dict[str, str] = {
    "scorer": "scorer",
    "target_kinds": "alias kinds",
    "aggregation": "aggregation (voice)",
    "neutral_band": "neutral band",
    "unit": "unit of analysis",
    "min_mentions": "minimum mentions",
}
#: The value of a choice a caller may leave out (the run's own: every article that mentions the
#: target).
DEFAULT_CHOICES: dict[str, str] = {"min_mentions": "1"}
#: Units of analysis.
UNITS: tuple[str, ...] = ("article", "sentence")
#: Share of specifications a contrast must hold in.
HOLD_SHARE = 0.9
#: Verdicts of :func:`robustness`, strongest first.
VERDICTS: tuple[str, ...] = ("holds", "same sign", "flips", "not estimable")
#: The label of the target set's default alias kinds.
DEFAULT_KINDS = "default kinds"
#: Bumped when the layout of multiverse.json changes.
MULTIVERSE_FORMAT = 1
_UNIT_COLUMNS = ("article_id", "sent_id", "target", "signed", "mass", "mention", "voice", "kinds")


class Evidence(NamedTuple):
    """One scorer's units (see :func:`model_units`, :func:`lexicon_units`) under its label."""

    scorer: str
    units: pd.DataFrame


def kinds_label(kinds: Sequence[str]) -> str:
    """The label of an alias-kind choice: ``"default kinds"`` or the kinds joined by ", "."""
    return ", ".join(kinds) if kinds else DEFAULT_KINDS


def band_label(band: float) -> str:
    """The label of a neutral band: ``0``, ``0.1``..."""
    return f"{float(band):g}"


# --------------------------------------------------------------------------------------------
# Units: each scorer's evidence, computed once


def mention_kinds(mentions: pd.DataFrame, target_set: Any) -> list[str]:
    """The alias kinds of each mention row, joined by "|" (sorted), found from its aliases.

    Each distinct (target, surface form) is looked up once in ``target_set``
    (:class:`framing.text.targets.TargetSet`, every language); a form it does not find again
    (it should not happen) gets ``"?"``, which every kind choice keeps.
    """
    memo: dict[tuple[str, str], frozenset[str]] = {}

    def kinds_of(target: str, surface: str) -> frozenset[str]:
        key = (target, surface)
        if key not in memo:
            found = {h.kind for h in target_set.find(surface, language=None) if h.target == target}
            memo[key] = frozenset(found) or frozenset({"?"})
        return memo[key]

    out = []
    for target, aliases in zip(mentions["target"].astype(str), mentions["aliases"], strict=True):
        kinds: set[str] = set()
        for surface in list(aliases) if aliases is not None else []:
            kinds |= kinds_of(target, str(surface))
        out.append("|".join(sorted(kinds)) or "?")
    return out


def _keyed(mentions: pd.DataFrame, kinds: Sequence[str]) -> pd.DataFrame:
    return pd.DataFrame({
        "article_id": mentions["article_id"].astype(str).to_numpy(),
        "sent_id": mentions["sent_id"].to_numpy(dtype=np.int64),
        "target": mentions["target"].astype(str).to_numpy(),
        "voice": (mentions[schema.MENTION_VOICE].fillna("").astype(str).to_numpy()
                  if schema.MENTION_VOICE in mentions.columns else ""),
        "kinds": list(kinds),
    }).drop_duplicates(["article_id", "sent_id", "target"])


def model_units(predictions: pd.DataFrame, mentions: pd.DataFrame, kinds: Sequence[str]) -> pd.DataFrame:
    """Units of a model: one per (sentence, target) prediction, ``signed`` = p(favor) - p(against),
    ``mass`` 1, with the voice and alias kinds of its mention."""
    keyed = _keyed(mentions, kinds)
    units = pd.DataFrame({
        "article_id": predictions["article_id"].astype(str).to_numpy(),
        "sent_id": predictions["sent_id"].to_numpy(dtype=np.int64),
        "target": predictions["target"].astype(str).to_numpy(),
        "signed": predictions["signed"].to_numpy(dtype=np.float64),
    }).merge(keyed, on=["article_id", "sent_id", "target"], how="left", validate="many_to_one")
    units["mass"] = 1.0
    units["mention"] = 1
    units["voice"] = units["voice"].fillna("")
    units["kinds"] = units["kinds"].fillna("?")
    return units[list(_UNIT_COLUMNS)]


def lexicon_units(cues: pd.DataFrame, mentions: pd.DataFrame, kinds: Sequence[str]) -> pd.DataFrame:
    """Units of the lexicon: one row per mention (signed 0, mass 0: the article is scored, 0
    without cues) and one per cue attributed to a target (signed weight, mass ``|signed|``)."""
    from framing.stance.scoring import cue_units

    keyed = _keyed(mentions, kinds)
    rows = keyed.assign(signed=0.0, mass=0.0, mention=1)
    attributed = cue_units(cues, mentions)[["article_id", "sent_id", "target", "signed", "mass"]]
    attributed = attributed.merge(keyed, on=["article_id", "sent_id", "target"], how="left",
                                  validate="many_to_one").assign(mention=0)
    units = pd.concat([rows, attributed], ignore_index=True)
    units["voice"] = units["voice"].fillna("")
    units["kinds"] = units["kinds"].fillna("?")
    return units[list(_UNIT_COLUMNS)]


# --------------------------------------------------------------------------------------------
# Specifications


def empty_units() -> pd.DataFrame:
    """A units table without rows (a corpus without mentions)."""
    types = {"sent_id": "int64", "signed": "float64", "mass": "float64", "mention": "int64"}
    return pd.DataFrame({c: pd.Series(dtype=types.get(c, "object")) for c in _UNIT_COLUMNS})


def specifications(choices: Mapping[str, Sequence[str]]) -> pd.DataFrame:
    """Every combination of the choices, one row each, ``spec`` numbered from 1.

    ``choices`` maps each of :data:`DIMENSIONS` to its values (labels); the first dimension
    varies slowest.

    Examples
    --------
    >>> specifications({"scorer": ["lexicon"], "target_kinds": ["default kinds"],
    ...                 "aggregation": ["smoothed-v1", "author-v1"], "neutral_band": ["0"],
    ...                 "unit": ["article", "sentence"]})["spec"].tolist()
    [1, 2, 3, 4]
    """
    choices = {**{d: [v] for d, v in DEFAULT_CHOICES.items()}, **choices}
    missing = [d for d in DIMENSIONS if not choices.get(d)]
    if missing:
        raise ConfigError(f"a multiverse needs at least one value of each choice; none for {missing}")
    rows = list(itertools.product(*(list(dict.fromkeys(choices[d])) for d in DIMENSIONS)))
    table = pd.DataFrame(rows, columns=list(DIMENSIONS))
    table.insert(0, "spec", np.arange(1, len(table) + 1, dtype=np.int64))
    return table


def _kind_mask(kinds: pd.Series, choice: str, available: set[str]) -> np.ndarray:
    """Units whose mention has an alias of a chosen kind (every unit for the default kinds)."""
    if choice == DEFAULT_KINDS:
        return np.ones(len(kinds), dtype=bool)
    wanted = {k.strip() for k in choice.split(",")}
    keep = {combo for combo in available
            if combo == "?" or wanted & set(combo.split("|"))}
    return kinds.isin(keep).to_numpy()


def _values(units: pd.DataFrame, mask: np.ndarray, aggregation: str, unit: str) -> pd.DataFrame:
    """Scores per (article, target) or (article, sentence, target) under a rule: ``score`` and
    the article it belongs to; groups whose mentions all weigh 0 are left out."""
    rule = aggregation_rule(aggregation)
    part = units.loc[mask]
    weight = voice_weights(part["voice"], aggregation)
    keys = ["article_id", "target"] if unit == "article" else ["article_id", "sent_id", "target"]
    frame = part[keys].assign(
        S=part["signed"].to_numpy() * weight, M=part["mass"].to_numpy() * weight,
        W=part["mention"].to_numpy() * weight,
    )
    sums = frame.groupby(keys, sort=True).sum().reset_index()
    sums = sums.loc[sums["W"] > 0]
    # Sentences of the article that mention the target (any voice): the min_mentions choice.
    mentioned = part.loc[part["mention"].to_numpy() > 0]
    counts = mentioned.drop_duplicates(["article_id", "sent_id", "target"]).groupby(
        ["article_id", "target"], sort=False).size().rename("n_mentions")
    sums = sums.join(counts, on=["article_id", "target"])
    denominator = sums["M"].to_numpy() + rule["smoothing"]
    with np.errstate(invalid="ignore", divide="ignore"):
        score = np.where(denominator > 0, sums["S"].to_numpy() / np.where(denominator > 0, denominator, 1), 0.0)
    return sums[[*keys, "n_mentions"]].assign(score=np.clip(score, -1.0, 1.0))


# --------------------------------------------------------------------------------------------
# Contrasts in every specification


def contrasts(
    evidence: Sequence[Evidence],
    groups: pd.Series,
    choices: Mapping[str, Sequence[str]],
    *,
    baseline: Mapping[str, str] | None = None,
    random_state: int,
    n_boot: int = 1000,
    ci: float = 0.95,
    min_n: int = 5,
    max_groups: int = 12,
    progress: bool = False,
) -> pd.DataFrame:
    """Every contrast (pair of groups, per target) in every specification.

    Parameters
    ----------
    evidence : sequence of Evidence
        One per scorer; their labels are the values of the ``scorer`` choice.
    groups : Series
        The group label of each article (index ``article_id``); articles without one are left out.
    choices : mapping
        Values of each of :data:`DIMENSIONS` (labels: :func:`kinds_label`, :func:`band_label`).
    baseline : mapping, optional
        The configured choice of each dimension; that specification is marked.
    random_state, n_boot, ci, min_n
        Seed, resamples, coverage; groups with fewer than ``min_n`` articles give no estimate.
    max_groups : int
        Above this many groups, only the ``max_groups`` groups with most articles are compared.
    progress : bool
        Show a progress bar (tqdm, on stderr) over the specifications.

    Returns
    -------
    DataFrame
        ``spec``, the dimensions, ``target, group_a, group_b, pair, n_a, n_b`` (articles),
        ``diff`` (mean_a - mean_b), ``ci_low, ci_high``, ``baseline``; sorted by spec, target,
        pair.
    """
    specs = specifications(choices)
    if baseline is not None:
        baseline = {**DEFAULT_CHOICES, **baseline}
    by_scorer = {e.scorer: e.units for e in evidence}
    unknown = sorted(set(specs["scorer"]) - set(by_scorer))
    if unknown:
        raise ConfigError(f"no units for scorer(s) {unknown}; have {sorted(by_scorer)}")
    groups = groups.dropna().astype(str)
    kept = _largest_groups(groups, max_groups)
    rows: list[dict] = []
    cache: dict[tuple, pd.DataFrame] = {}
    from tqdm.auto import tqdm

    for spec in tqdm(list(specs.itertuples(index=False)), disable=not progress,
                     desc="multiverse", unit="specification"):
        units = by_scorer[spec.scorer]
        key = (spec.scorer, spec.target_kinds, spec.aggregation, spec.unit)
        if key not in cache:
            mask = _kind_mask(units["kinds"], spec.target_kinds, set(units["kinds"].unique()))
            cache[key] = _values(units, mask, spec.aggregation, spec.unit)
        values = cache[key]
        least = int(spec.min_mentions)
        if least > 1:
            values = values.loc[values["n_mentions"].to_numpy() >= least]
        band = float(spec.neutral_band)
        score = values["score"].to_numpy()
        values = values.assign(score=np.where(np.abs(score) > band, score, 0.0))
        marked = baseline is not None and all(getattr(spec, d) == baseline.get(d) for d in DIMENSIONS)
        for row in _spec_contrasts(values, groups, kept, random_state=random_state, n_boot=n_boot,
                                   ci=ci, min_n=min_n):
            rows.append({"spec": spec.spec, **{d: getattr(spec, d) for d in DIMENSIONS}, **row,
                         "baseline": bool(marked)})
    columns = ["spec", *DIMENSIONS, "target", "group_a", "group_b", "pair", "n_a", "n_b", "diff",
               "ci_low", "ci_high", "baseline"]
    return pd.DataFrame(rows, columns=columns)


def _largest_groups(groups: pd.Series, max_groups: int) -> list[str]:
    counts = groups.value_counts()
    ranked = sorted(counts.index, key=lambda g: (-int(counts[g]), str(g)))
    return sorted(ranked[:max_groups], key=str)


def _spec_contrasts(values: pd.DataFrame, groups: pd.Series, kept: Sequence[str], *,
                    random_state: int, n_boot: int, ci: float, min_n: int) -> list[dict]:
    per_article = (values.groupby(["target", "article_id"], sort=True)["score"]
                   .agg(["sum", "size"]).reset_index())
    per_article["group"] = per_article["article_id"].map(groups)
    per_article = per_article.loc[per_article["group"].isin(kept)]
    rows = []
    for target, sub in per_article.groupby("target", sort=True):
        cells = {g: _Cell(target, g, c["sum"].to_numpy(dtype=float), c["size"].to_numpy(dtype=float),
                          random_state, n_boot, min_n)
                 for g, c in sub.groupby("group", sort=True)}
        for a, b in itertools.combinations(sorted(cells, key=str), 2):
            rows.append(_pair(str(target), cells[a], cells[b], ci=ci))
    return rows


class _Cell:
    """The articles of one group and target in one specification: per article the sum and
    number of its unit scores; the bootstrap means drawn once, for every pair it is in."""

    def __init__(self, target: Any, group: str, sums: np.ndarray, counts: np.ndarray,
                 random_state: int, n_boot: int, min_n: int) -> None:
        self.group, self.n = group, len(sums)
        self.usable = self.n >= min_n
        self.mean = float(sums.sum() / counts.sum()) if self.n else np.nan
        self.boot: np.ndarray | None = None
        if self.usable and self.n > 1:
            # The same draws in every specification (the key has no spec): estimates that
            # differ, differ by the choices, not by the luck of the resampling. Groups are
            # resampled independently, so a pair's interval is that of the difference.
            rng = statistics.seeded_rng(random_state, "multiverse", target, group)
            self.boot = statistics.cluster_bootstrap_means(sums, counts, n_boot, rng)


def _pair(target: str, a: _Cell, b: _Cell, *, ci: float) -> dict:
    row = {"target": target, "group_a": a.group, "group_b": b.group,
           "pair": f"{a.group} vs {b.group}", "n_a": a.n, "n_b": b.n, "diff": np.nan,
           "ci_low": np.nan, "ci_high": np.nan}
    if not (a.usable and b.usable):
        return row
    row["diff"] = a.mean - b.mean
    if a.boot is not None or b.boot is not None:
        boot_a = a.boot if a.boot is not None else np.full_like(b.boot, a.mean)
        boot_b = b.boot if b.boot is not None else np.full_like(a.boot, b.mean)
        row["ci_low"], row["ci_high"] = statistics.interval(boot_a - boot_b, ci)
    return row


# --------------------------------------------------------------------------------------------
# Robustness of each contrast


def robustness(table: pd.DataFrame, *, hold_share: float = HOLD_SHARE) -> pd.DataFrame:
    """Per contrast: in how many specifications it keeps its sign and its interval excludes zero.

    Returns
    -------
    DataFrame
        ``target, pair, group_a, group_b, n_specs, n_estimated, baseline_diff, median_diff,
        sign`` ("+", "−", "0"), ``share_same_sign``, ``share_excluding_zero`` (the interval
        excludes zero on the median's side), ``share_reversed`` (on the other side) and
        ``verdict`` (:data:`VERDICTS`). Shares are of all specifications: one that cannot
        estimate the contrast counts against it.

    Examples
    --------
    >>> t = pd.DataFrame({"target": "US", "pair": "A vs B", "group_a": "A", "group_b": "B",
    ...                   "diff": [0.2, 0.3, -0.1], "ci_low": [0.1, 0.2, -0.3],
    ...                   "ci_high": [0.3, 0.4, 0.1], "baseline": [True, False, False]})
    >>> robustness(t)[["sign", "share_same_sign", "verdict"]].round(2).values.tolist()
    [['+', 0.67, 'flips']]
    """
    rows = []
    for (target, pair), sub in table.groupby(["target", "pair"], sort=True):
        diff = sub["diff"].to_numpy(dtype=float)
        low = sub["ci_low"].to_numpy(dtype=float)
        high = sub["ci_high"].to_numpy(dtype=float)
        estimated = np.isfinite(diff)
        n = int(estimated.sum())
        base = sub.loc[sub["baseline"].astype(bool), "diff"]
        row = {"target": target, "pair": pair, "group_a": sub["group_a"].iloc[0],
               "group_b": sub["group_b"].iloc[0], "n_specs": len(sub), "n_estimated": n,
               "baseline_diff": float(base.iloc[0]) if len(base) else np.nan,
               "median_diff": np.nan, "sign": "0", "share_same_sign": np.nan,
               "share_excluding_zero": np.nan, "share_reversed": np.nan, "verdict": VERDICTS[-1]}
        if n:
            # Shares are of every specification: one that cannot estimate the contrast (a group
            # left with too few articles) does not support it either.
            median = float(np.median(diff[estimated]))
            sign = float(np.sign(median))
            with np.errstate(invalid="ignore"):
                above, below = low > 0, high < 0  # NaN compares False: never "excluding zero"
                same = np.sign(diff) == sign
            row["median_diff"] = median
            row["sign"] = {1.0: "+", -1.0: "\u2212"}.get(sign, "0")
            row["share_same_sign"] = float(np.mean(same & estimated))
            side, other = (above, below) if sign >= 0 else (below, above)
            row["share_excluding_zero"] = float(np.mean(side)) if sign != 0 else 0.0
            row["share_reversed"] = float(np.mean(other)) if sign != 0 else float(np.mean(above | below))
            row["verdict"] = _verdict(row, hold_share)
        rows.append(row)
    columns = ["target", "pair", "group_a", "group_b", "n_specs", "n_estimated", "baseline_diff",
               "median_diff", "sign", "share_same_sign", "share_excluding_zero", "share_reversed",
               "verdict"]
    return pd.DataFrame(rows, columns=columns)


def _verdict(row: Mapping[str, Any], hold_share: float) -> str:
    tolerance = 1e-9
    if row["sign"] != "0" and row["share_excluding_zero"] >= hold_share - tolerance:
        return "holds"
    if row["sign"] != "0" and row["share_same_sign"] >= hold_share - tolerance:
        return "same sign"
    return "flips"


# --------------------------------------------------------------------------------------------
# Writing the run folder's multiverse


def write_multiverse(
    table: pd.DataFrame,
    run_dir: str | Path,
    *,
    settings: Mapping[str, Any],
    target_names: Mapping[str, str] | None = None,
    formats: Sequence[str] = ("svg", "pdf", "png"),
    figure_titles: bool = False,
) -> dict[str, Path]:
    """Write ``multiverse.parquet``, ``robustness.parquet``, a specification curve per target and
    ``multiverse.json`` (settings, counts, files, figures) into a run folder.

    ``settings`` holds ``choices`` (dimension -> labels), ``baseline`` and the statistics'
    knobs; files a previous call listed and this one did not write are deleted.
    """
    run = Path(run_dir)
    old = read_json(run / MULTIVERSE_FILE)
    hold = float(settings.get("hold_share", HOLD_SHARE))
    summary = robustness(table, hold_share=hold)
    files: dict[str, Path] = {}
    for name, frame in (("multiverse", table), ("robustness", summary)):
        files[name] = tableio.write_table(frame.reset_index(drop=True), run / TABLE_FILES[name])
    varied = [d for d in DIMENSIONS if len(settings["choices"].get(d, ())) > 1] or list(DIMENSIONS[:1])
    figures, notes = [], {}
    for target in sorted(table["target"].unique(), key=str):
        name = (target_names or {}).get(target, target)
        rows = table.loc[table["target"] == target]
        n_pairs = rows["pair"].nunique()
        if n_pairs > plots_max_pairs():
            notes[f"specification curve {target}"] = (
                f"{n_pairs} pairs of groups: more than the {plots_max_pairs()} a curve shows side "
                "by side; see the robustness table")
            continue
        ax = plots.specification_curve(rows, choices=varied, target=target, target_name=name,
                                       choice_labels=CHOICE_LABELS)
        caption = _caption(name, int(rows["spec"].nunique()), float(settings.get("ci", 0.95)))
        if figure_titles:
            plots.add_title(ax, caption)
        stem = f"specification-curve-{slug(target)}"
        for path in plots.save_figure(ax, tableio.inside(run / FIGURES_DIR, stem), formats):
            files[f"{FIGURES_DIR}/{path.name}"] = path
        figures.append({"stem": stem, "kind": "specification_curve", "target": target,
                        "caption": caption})
    counts = {"n_specs": int(table["spec"].nunique()), "n_contrasts": int(len(summary))}
    for verdict in VERDICTS:
        counts[verdict.replace(" ", "_")] = int((summary["verdict"] == verdict).sum())
    record = {
        "format": MULTIVERSE_FORMAT,
        "settings": {**_plain(settings), "choice_labels": dict(CHOICE_LABELS), "hold_share": hold},
        "counts": counts,
        "files": {k: p.relative_to(run).as_posix() for k, p in sorted(files.items())},
        "figures": figures,
        "notes": notes,
    }
    files["multiverse_record"] = tableio.write_json(record, run / MULTIVERSE_FILE)
    _drop_stale(run, old, record["files"])
    return dict(sorted(files.items()))


def plots_max_pairs() -> int:
    """Pairs per target up to which a specification curve is drawn (one panel column each)."""
    return 6


def _caption(target_name: str, n_specs: int, ci: float) -> str:
    return (
        f"Specification curve of the contrasts toward {target_name}: the difference in mean "
        f"stance between two groups under each of the {n_specs} specifications, sorted, with its "
        f"{ci:.0%} interval (cluster bootstrap of articles); coloured when the interval excludes "
        "zero. The dots beneath mark each specification's choices; the diamond is the "
        "configured analysis."
    )


def _plain(value: Any) -> Any:
    if isinstance(value, Mapping):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    if isinstance(value, np.generic):
        return value.item()
    return value


def _drop_stale(run: Path, old: Mapping[str, Any], files: Mapping[str, str]) -> None:
    keep = set(files.values())
    for rel in (old.get("files") or {}).values():
        if isinstance(rel, str) and rel not in keep:
            path = run / rel
            if path.is_file() and path.resolve().is_relative_to(run.resolve()):
                path.unlink()


def remove_multiverse(run_dir: str | Path) -> None:
    """Delete a run folder's multiverse files (the config no longer asks for one)."""
    run = Path(run_dir)
    record = read_json(run / MULTIVERSE_FILE)
    if not record:
        return
    _drop_stale(run, record, {})
    (run / MULTIVERSE_FILE).unlink(missing_ok=True)


def group_series(articles: pd.DataFrame, by: Sequence[str]) -> pd.Series:
    """The group label of each article (index ``article_id``), as the report labels groups:
    the value itself for one column, the values joined with " · " for several; None when a
    value is missing."""
    table = articles.drop_duplicates("article_id")
    ids = table["article_id"].astype(str).to_numpy()
    if len(by) == 1:
        labels = [None if pd.isna(v) else cell_text(v) for v in table[by[0]]]
    else:
        missing = table[list(by)].isna().any(axis=1).to_numpy()
        labels = [None if m else label for m, label in zip(missing, group_labels(table, by), strict=True)]
    return pd.Series(labels, index=ids, dtype=object)
