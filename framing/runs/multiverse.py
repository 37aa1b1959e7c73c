"""The multiverse step of a run: every contrast under every combination of the ``[multiverse]``
choices, from the units of each scorer (computed once, cached), into the run folder.

Each model classifies each (sentence, target) once: the run's own model scores are reused, a
further model gets a cached stage of its own; each lexicon's cues are matched once. Alias kinds,
voice (aggregation), band, unit and the minimum number of mentions are recomputed from those units
(:mod:`framing.analysis.multiverse`).

:func:`stream_multiverse` (``framing multiverse``) computes the same multiverse on its own, chunk
by chunk of articles read from the run's article file, with bounded memory.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pandas as pd

from framing.infra.errors import ConfigError
from framing.infra.paths import is_name, models_dir, resolve_model
from framing.runs.config import ExperimentConfig
from framing.stance.settings import MODEL_METHODS

__all__ = ["choices_of", "multiverse_step", "stream_multiverse"]


def _scorers(cfg: ExperimentConfig) -> list[tuple[str, str]]:
    """(method, model or lexicon) of every scorer the multiverse compares, in the order of
    ``multiverse.method``: a model method once per model, the lexicon method once per lexicon of
    ``multiverse.lexicon`` (``""`` when it lists none: the run's lexicon)."""
    mcfg = cfg.multiverse
    methods = mcfg.method or (cfg.scoring.method,)
    models = mcfg.model or (cfg.scoring.model,)
    out: list[tuple[str, str]] = []
    for method in methods:
        if method in MODEL_METHODS:
            out += [(method, model) for model in models]
        else:
            out += [(method, lexicon) for lexicon in (mcfg.lexicon or ("",))]
    return out


def scorer_label(method: str, name: str) -> str:
    """``lexicon`` (the run's lexicon), ``lexicon: framing-stance-v1`` (a lexicon listed in
    ``multiverse.lexicon``) or ``hybrid: newsmtsc-hybrid`` (the model's folder name)."""
    if method in MODEL_METHODS or name:
        return f"{method}: {Path(name).name}"
    return method


def _baseline_scorer(cfg: ExperimentConfig) -> str:
    """The label of the run's own scorer."""
    from framing.stance import scoring

    if cfg.scoring.method in MODEL_METHODS:
        return scorer_label(cfg.scoring.method, cfg.scoring.model)
    if cfg.multiverse.lexicon:
        return scorer_label("lexicon", cfg.scoring.lexicon or scoring.DEFAULT_LEXICON)
    return "lexicon"


def _lexicon_of(cfg: ExperimentConfig, name: str):
    """The lexicon of a lexicon scorer (``""``: the run's)."""
    from framing.lexicon.folder import load_lexicon
    from framing.stance import scoring

    return load_lexicon(name or cfg.scoring.lexicon or scoring.DEFAULT_LEXICON)


def choices_of(cfg: ExperimentConfig) -> tuple[dict[str, list[str]], dict[str, str]]:
    """The labels of every choice and of the configured (baseline) analysis.

    A choice the ``[multiverse]`` table leaves empty takes the run's value; the neutral band's is
    0 (the scores as they are: the report's contrasts) and the unit's "article".
    """
    from framing.analysis import multiverse as mv

    mcfg = cfg.multiverse
    choices = {
        "scorer": [scorer_label(m, model) for m, model in _scorers(cfg)],
        "target_kinds": [mv.kinds_label(k) for k in (mcfg.target_kinds or (cfg.targets.kinds,))],
        "aggregation": list(mcfg.aggregation or (cfg.scoring.aggregation,)),
        "neutral_band": [mv.band_label(b) for b in (mcfg.neutral_band or (0.0,))],
        "unit": list(mcfg.unit or ("article",)),
        "min_mentions": [str(k) for k in (mcfg.min_mentions or (1,))],
    }
    baseline = {
        "scorer": _baseline_scorer(cfg),
        "target_kinds": mv.kinds_label(cfg.targets.kinds),
        "aggregation": cfg.scoring.aggregation,
        "neutral_band": mv.band_label(0.0),
        "unit": "article",
        "min_mentions": "1",
    }
    return choices, baseline


def _check_kinds(cfg: ExperimentConfig, target_set: Any) -> None:
    """A kind choice can only narrow the kinds the run found mentions of."""
    found = set(target_set.kinds)
    if cfg.targets.kinds and () in cfg.multiverse.target_kinds:
        raise ConfigError(
            f"multiverse.target_kinds lists [] (the target set's default kinds), but the run finds "
            f"mentions of {list(cfg.targets.kinds)} only ([targets] kinds); list those kinds instead"
        )
    for kinds in cfg.multiverse.target_kinds:
        extra = sorted(set(kinds) - found)
        if extra:
            raise ConfigError(
                f"multiverse.target_kinds {list(kinds)}: the run finds mentions of the kinds "
                f"{sorted(found)} only ({extra} not among them); a multiverse choice can narrow "
                "them, not widen them: add the kinds to [targets] kinds"
            )


def _lexicon_units_stage(articles, sentences, mentions, lexicon, target_set, *, n_jobs: int) -> pd.DataFrame:
    from framing.analysis import multiverse as mv
    from framing.stance.scoring import match_cues

    cues = match_cues(articles, sentences, mentions, lexicon=lexicon, n_jobs=n_jobs)
    return mv.lexicon_units(cues, mentions, mv.mention_kinds(mentions, target_set))


def _model_units_stage(predictions, mentions, target_set) -> pd.DataFrame:
    from framing.analysis import multiverse as mv

    return mv.model_units(predictions, mentions, mv.mention_kinds(mentions, target_set))


def _contrast_stage(articles: pd.DataFrame, *, by: list, labels: list, choices: dict,
                    baseline: dict, seed: int, n_boot: int, ci: float, min_n: int,
                    max_groups: int, progress: bool = False, **units: pd.DataFrame) -> pd.DataFrame:
    from framing.analysis import multiverse as mv

    evidence = [mv.Evidence(label, units[f"units_{i}"]) for i, label in enumerate(labels)]
    groups = mv.group_series(articles, by)
    return mv.contrasts(evidence, groups, choices, baseline=baseline, random_state=seed,
                        n_boot=n_boot, ci=ci, min_n=min_n, max_groups=max_groups,
                        progress=progress)


#: Articles per chunk of the multiverse's own model pass: only the predictions of each chunk are
#: kept (without the sentence text), so the pass adds little to what the run already holds.
MODEL_CHUNK_ARTICLES = 2000
#: The prediction columns the multiverse keeps (framing.stance.model_scoring.PREDICTION_COLUMNS
#: without the sentence and mention text).
_KEPT_PREDICTIONS = ("article_id", "sent_id", "target", "p_against", "p_neutral", "p_favor",
                     "predicted", "signed", "lexicon_signed", "n_cues", "voice")


def _predictions_stage(articles, sentences, mentions, model, lexicon, *, scoring_settings: dict,
                       chunk_articles: int = MODEL_CHUNK_ARTICLES,
                       progress: bool = False) -> pd.DataFrame:
    """Mention predictions of one model, chunk by chunk of articles (the same rows as one call:
    each (sentence, target) is classified on its own); ``progress``: a bar over the articles."""
    import numpy as np
    from tqdm.auto import tqdm

    from framing.stance import scorer

    config = scorer.scoring_config(**{**scoring_settings, "model": model})
    score = scorer.Scorer(config, lexicon=lexicon if config.method == "hybrid" else None)
    order = {a: i // chunk_articles for i, a in enumerate(pd.unique(articles["article_id"].astype(str)))}

    def chunks(table: pd.DataFrame) -> dict[int, np.ndarray]:
        number = table["article_id"].astype(str).map(order).fillna(-1).to_numpy(dtype=np.int64)
        return {int(k): np.flatnonzero(number == k) for k in np.unique(number) if k >= 0}

    by_article, by_sentence, by_mention = chunks(articles), chunks(sentences), chunks(mentions)
    parts = []
    with tqdm(total=len(articles), disable=not progress, desc="multiverse predictions",
              unit="article") as bar:
        for k, rows in sorted(by_mention.items()):
            tables = score(articles.iloc[by_article[k]],
                           sentences=sentences.iloc[by_sentence.get(k, [])],
                           mentions=mentions.iloc[rows])
            parts.append(tables["predictions"][[c for c in _KEPT_PREDICTIONS
                                                if c in tables["predictions"].columns]])
            bar.update(len(by_article[k]))
        bar.update(bar.total - bar.n)  # articles without a mention
    if not parts:
        return pd.DataFrame(columns=list(_KEPT_PREDICTIONS))
    return pd.concat(parts, ignore_index=True)


def _model_predictions(cfg, run, articles, sentences, mentions, scored, lexicon, method: str,
                       model: str, *, force: bool, say) -> pd.DataFrame:
    """The mention predictions of (method, model): the run's own, or a cached stage."""
    from framing.runs import pipeline
    from framing.stance import scorer

    folder = (Path(model) if not is_name(model) else models_dir() / model) if model else None
    own = (method == cfg.scoring.method and scored.predictions is not None and scored.model is not None
           and folder is not None and os.path.realpath(folder) == os.path.realpath(scored.model))
    if own:
        return scored.predictions
    if model == cfg.scoring.model and cfg.training.labels:
        # The run's model, trained on first use as [training] says (the run scored by lexicon).
        path = pipeline.ensure_model(cfg, run, articles, sentences, mentions, lexicon, force=False,
                                     say=say)
    else:
        path = resolve_model(model)
    settings = scorer.flat_scoring(cfg.scoring)
    settings = {k: v for k, v in settings.items() if k != "model"} | {"method": method}
    say(f"multiverse: predictions of {scorer_label(method, model)}")
    return run.stage(
        f"multiverse_predictions_{_safe(method)}_{_safe(Path(model).name)}",
        {"articles": articles, "sentences": sentences, "mentions": mentions, "model": path,
         "lexicon": lexicon},
        _predictions_stage,
        code=("stance.model_scoring", "stance.scorer"),
        settings=dict(scoring_settings=settings),
        force=force,
        runtime={"progress": say is print},
    )


def _safe(text: str) -> str:
    from framing.analysis.report_tables import slug

    return slug(text).replace("-", "_")


def multiverse_step(cfg: ExperimentConfig, run, articles, sentences, mentions, scored, *,
                    force: bool = False, say=lambda *a, **k: None) -> dict[str, Path] | None:
    """Compute and write the run's multiverse (or remove a stale one when the config has none)."""
    from framing.analysis import multiverse as mv
    from framing.lexicon.folder import load_lexicon
    from framing.runs.pipeline import default_jobs
    from framing.stance import scorer, scoring

    if not cfg.multiverse.enabled:
        mv.remove_multiverse(run.path)
        return None
    target_set = scorer.target_spec(cfg.scoring).load()
    _check_kinds(cfg, target_set)
    lexicon = load_lexicon(cfg.scoring.lexicon or scoring.DEFAULT_LEXICON)
    inputs: dict[str, Any] = {"articles": articles}

    def lexicon_stage(*args, **kwargs):  # says what it does only when it runs
        say("multiverse: matching the lexicon's cues in the mention sentences")
        return _lexicon_units_stage(*args, **kwargs)

    for i, (method, model) in enumerate(_scorers(cfg)):
        if method == "lexicon":
            units = run.stage(
                "multiverse_units_lexicon" + (f"_{_safe(Path(model).name)}" if model else ""),
                {"articles": articles, "sentences": sentences, "mentions": mentions,
                 "lexicon": _lexicon_of(cfg, model) if model else lexicon,
                 "target_set": target_set},
                lexicon_stage, code=("analysis.multiverse", "stance.scoring"),
                settings=dict(n_jobs=default_jobs()), force=force,
            )
        else:
            predictions = _model_predictions(cfg, run, articles, sentences, mentions, scored,
                                             lexicon, method, model, force=force, say=say)
            units = run.stage(
                f"multiverse_units_{i}", {"predictions": predictions, "mentions": mentions,
                                          "target_set": target_set},
                _model_units_stage, code=("analysis.multiverse",), force=force,
            )
        inputs[f"units_{i}"] = units
    return _contrasts_and_files(cfg, run, articles, inputs, target_set, force=force, say=say)


def _contrasts_and_files(cfg: ExperimentConfig, run, articles: pd.DataFrame, inputs: dict,
                         target_set: Any, *, force: bool, say) -> dict[str, Path]:
    """Every contrast in every specification from the scorers' units (``inputs``: the articles
    and ``units_<i>``), then the run's multiverse files."""
    from framing.analysis import multiverse as mv

    choices, baseline = choices_of(cfg)
    n_specs = 1
    for values in choices.values():
        n_specs *= len(values)
    say(f"multiverse: {n_specs} specifications")
    comp = cfg.compare

    def contrast_stage(articles, **rest):  # the bar is not a setting: it leaves the key alone
        return _contrast_stage(articles, progress=say is print, **rest)

    table = run.stage(
        # Not "multiverse": write_multiverse writes multiverse.parquet, the report's table.
        "multiverse_contrasts", inputs, contrast_stage, code=("analysis.multiverse",),
        settings=dict(by=list(comp.by), labels=choices["scorer"], choices=choices,
                      baseline=baseline, seed=cfg.seed, n_boot=cfg.multiverse.n_boot, ci=comp.ci,
                      min_n=comp.min_n, max_groups=cfg.multiverse.max_groups),
        force=force,
    )
    names = {t: target_set.targets[t].label for t in table["target"].unique() if t in target_set.targets}
    settings = {"choices": choices, "baseline": baseline, "n_specs": n_specs, "by": list(comp.by),
                "n_boot": cfg.multiverse.n_boot, "ci": comp.ci, "random_state": cfg.seed,
                "min_n": comp.min_n, "max_groups": cfg.multiverse.max_groups,
                "hold_share": mv.HOLD_SHARE}
    files = mv.write_multiverse(table, run.path, settings=settings, target_names=names,
                                figure_titles=cfg.report.figure_titles)
    summary = mv.robustness(table)
    counts = summary["verdict"].value_counts()
    say("multiverse: " + ", ".join(f"{counts.get(v, 0)} {v}" for v in mv.VERDICTS)
        + f" of {len(summary)} contrasts")
    return files


#: Articles per chunk of :func:`stream_multiverse` (each chunk's sentences, mentions and
#: predictions are dropped once its units are kept).
STREAM_CHUNK_ARTICLES = 1000


def _article_chunks(path: Path, chunk_articles: int):
    """The article table in ``path`` (a run's ``articles`` stage), ``chunk_articles`` rows at a
    time, each as ``pd.read_parquet`` would return those rows: the texts are never all in memory."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    table = pq.ParquetFile(path)
    for batch in table.iter_batches(batch_size=chunk_articles):
        yield pa.Table.from_batches([batch], schema=table.schema_arrow).to_pandas()


def _stream_units_stage(articles: Path, lexicon, target_set, *, scorers: list, scoring_settings: dict,
                        name_or_path: str, extra: list, kinds: list, chunk_articles: int,
                        n_jobs: int, progress: bool = False, **resources) -> dict[str, pd.DataFrame]:
    """The units of every scorer, chunk by chunk of the articles in the Parquet file
    ``articles``: the texts, sentences, mentions, the lexicon's cues and the models'
    predictions of a chunk are dropped once its units are kept.

    The units are those of the whole corpus at once (every step is per article); ``resources``
    holds ``model_<i>``, the folder of the i-th scorer when it is a model, and ``lexicon_<i>``,
    the lexicon of the i-th scorer when it is not the run's (``lexicon``).
    """
    import pyarrow as pa
    import pyarrow.parquet as pq
    from tqdm.auto import tqdm

    from framing.analysis import multiverse as mv
    from framing.runs.stream import release_memory
    from framing.stance import scorer
    from framing.stance.scoring import match_cues
    from framing.text.mentions import TargetSpec, sentences_and_mentions

    spec = TargetSpec(name_or_path, tuple(extra), tuple(kinds))
    models_of = {}
    for i, (method, _) in enumerate(scorers):
        if method != "lexicon":
            config = scorer.scoring_config(**{**scoring_settings, "method": method,
                                              "model": resources[f"model_{i}"]})
            models_of[i] = scorer.Scorer(config, lexicon=lexicon if method == "hybrid" else None)
    # Each chunk's units are kept as Arrow tables (compact strings); pandas objects at the end.
    parts: dict[int, list[pa.Table]] = {i: [] for i in range(len(scorers))}
    total = pq.ParquetFile(articles).metadata.num_rows
    bar = tqdm(total=total, disable=not progress, desc="multiverse units", unit="article")
    cues = predictions = None
    for chunk in _article_chunks(articles, chunk_articles):
        size = len(chunk)
        sentences, mentions = sentences_and_mentions(chunk, target_spec=spec, n_jobs=n_jobs)
        mention_kinds = mv.mention_kinds(mentions, target_set)
        for i, (method, _) in enumerate(scorers):
            if method == "lexicon":
                cues = match_cues(chunk, sentences, mentions, n_jobs=n_jobs,
                                  lexicon=resources.get(f"lexicon_{i}", lexicon))
                units = mv.lexicon_units(cues, mentions, mention_kinds)
            else:
                predictions = models_of[i](chunk, sentences=sentences, mentions=mentions)["predictions"]
                units = mv.model_units(predictions, mentions, mention_kinds)
            parts[i].append(pa.Table.from_pandas(units, preserve_index=False))
        chunk = sentences = mentions = mention_kinds = units = cues = predictions = None
        release_memory()
        bar.update(size)
    bar.close()
    models_of.clear()
    release_memory()
    return {f"units_{i}": (pa.concat_tables(found, promote_options="permissive").to_pandas()
                           if found else mv.empty_units())
            for i, found in parts.items()}


def stream_multiverse(cfg: ExperimentConfig, *, root: str | Path = "reports/runs", force: bool = False,
                      n_jobs: int | None = None, command_line=None, progress: bool = False,
                      chunk_articles: int = STREAM_CHUNK_ARTICLES) -> dict[str, Path]:
    """The multiverse of ``cfg`` alone, chunk by chunk of articles: bounded memory.

    ``framing run`` computes the multiverse from the run's tables, which hold every sentence of
    the corpus; this reads the run's cached article table (its file) chunk by chunk of
    ``chunk_articles`` articles and keeps only the units of each scorer (one row per mention and
    sentence of a few numbers), so memory holds the articles without their texts, the models
    and one chunk. Each model
    classifies each (sentence, target) once (in this computation: the run's own predictions, held
    by ``framing run``, are not read back). The contrasts, files and figures are the same as
    ``framing run`` writes (the same units; bf16 inference can move the last digits with the
    batch). A run folder that already has a report gets it rebuilt with the robustness section.

    Returns the files written (as :func:`framing.analysis.multiverse.write_multiverse`).
    """
    from framing.lexicon.folder import load_lexicon
    from framing.runs import pipeline
    from framing.runs.folders import Run
    from framing.runs.stream import release_memory
    from framing.stance import scorer, scoring

    if not cfg.multiverse.enabled:
        raise ConfigError(f"{cfg.name}: the config has no [multiverse] table")
    jobs = n_jobs or pipeline.default_jobs()
    say = print if progress else (lambda *a, **k: None)
    run = Run.open(cfg, root=root, command_line=command_line)
    run.set_seed(seed_torch=False)
    say(f"run folder: {run.path}")
    articles = pipeline._articles_step(cfg, run, jobs=jobs, force=force, progress=progress)
    say(f"articles: {len(articles)}")
    articles_file = run.path / "articles.parquet"  # the stage's file (folders.Run.stage)
    # The texts are read chunk by chunk from the file; the groups need none of them.
    articles = articles.drop(columns=[c for c in ("text",) if c in articles.columns])
    release_memory()
    target_set = scorer.target_spec(cfg.scoring).load()
    _check_kinds(cfg, target_set)
    lexicon = load_lexicon(cfg.scoring.lexicon or scoring.DEFAULT_LEXICON)
    scorers = _scorers(cfg)
    resources = {f"model_{i}": _model_folder(cfg, run, articles, lexicon, model, say=say)
                 for i, (method, model) in enumerate(scorers) if method != "lexicon"}
    resources |= {f"lexicon_{i}": _lexicon_of(cfg, name)
                  for i, (method, name) in enumerate(scorers) if method == "lexicon" and name}
    settings = scorer.flat_scoring(cfg.scoring)
    say("multiverse: " + ", ".join(scorer_label(m, model) for m, model in scorers)
        + f", chunks of {chunk_articles} articles")

    def units_stage(articles, lexicon, target_set, **rest):  # the bar leaves the key alone
        return _stream_units_stage(articles, lexicon, target_set, progress=progress, **rest)

    units = run.stage(
        "multiverse_stream_units",
        {"articles": articles_file, "lexicon": lexicon, "target_set": target_set, **resources},
        units_stage,
        code=("analysis.multiverse", "stance.scoring", "stance.model_scoring", "stance.scorer",
              "text.mentions"),
        settings=dict(scorers=[list(s) for s in scorers],
                      scoring_settings={k: v for k, v in settings.items() if k != "model"},
                      name_or_path=cfg.targets.lexicon, extra=[str(p) for p in cfg.targets.extra],
                      kinds=list(cfg.targets.kinds), chunk_articles=chunk_articles, n_jobs=jobs),
        force=force,
    )
    release_memory()
    files = _contrasts_and_files(cfg, run, articles, {"articles": articles, **units}, target_set,
                                 force=force, say=say)
    if (run.path / "report.html").is_file():
        from framing.report import build as report

        report.build_report(run.path, title=cfg.report.title or None)
        say(f"report rebuilt: {run.path / 'report.html'}")
    else:
        say("no report in the run folder yet: `framing run` writes one (with this section)")
    return files


def _model_folder(cfg: ExperimentConfig, run, articles, lexicon, model: str, *, say) -> Path:
    """The folder of a multiverse model, trained first when ``[training]`` (labels from a training
    config) asks for it; a model trained on the run's weak labels must exist already."""
    from framing.runs import pipeline

    if model == cfg.scoring.model and cfg.training.labels == "config":
        return pipeline.ensure_model(cfg, run, articles, None, None, lexicon, say=say)
    if model == cfg.scoring.model and cfg.training.labels:
        folder = Path(model) if not is_name(model) else models_dir() / model
        if not (folder / "model.safetensors").is_file():
            raise ConfigError(
                f"the model {model} is trained on weak labels from the run's sentences; run "
                "`framing run` on the config first (it trains the model), then the multiverse")
        return folder
    return resolve_model(model)
