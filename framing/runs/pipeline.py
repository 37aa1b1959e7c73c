"""The stages of the main job chained: ingest -> sentences -> mentions.

Each stage is a package function with a table in and a table out (see ``schema``); this module only
chains them, runs the per-article work in parallel chunks, and writes a run's tables.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from pathlib import Path
from typing import NamedTuple

import pandas as pd

from framing.corpus import loading as corpus
from framing.corpus.fields import COLUMN_ALIASES
from framing.infra.errors import ConfigError, DataError
from framing.infra.pool import available_cores
from framing.infra.schema import PROCESSED_STATUSES
from framing.runs.config import ExperimentConfig
from framing.stance import scoring

# The chunked runners live with their layers; their names stay importable from here.
from framing.stance.scorer import lexicon_scores  # noqa: E402,F401
from framing.text import targets
from framing.text.mentions import (  # noqa: E402,F401
    CHUNK_SIZE,
    TargetSpec,
    _chunk_sentences_and_mentions,
    _load_targets,
    sentences_and_mentions,
)

#: Worker processes to use by default: one per available core (``framing.infra.pool.available_cores``).
default_jobs = available_cores


def ingest(
    inputs: Sequence[str | Path],
    *,
    fmt: str | None = None,
    column_map: dict[str, str] | None = None,
    metadata: str | Path | None = None,
    languages: Sequence[str] | None = None,
    n_jobs: int = 1,
    progress: bool = False,
    dayfirst: bool | Sequence[str] = False,
    language: str | None = None,
    date_floor: str | None = None,
    date_ceiling: str | None = None,
) -> pd.DataFrame:
    """Read, clean and identify the language of every input article (see ``corpus.load``).

    ``language`` is the language of short texts that cannot be identified alone (long texts keep
    their detection); ``date_floor``/``date_ceiling`` bound plausible dates (None: load's
    defaults, 1900-01-01 and the day of the run; "" ceiling: the day of the run).
    """
    tables = [p for p in inputs if Path(p).is_file() and _is_table(Path(p), fmt)]
    by_id = metadata is not None and bool(tables) and len(tables) == len(inputs)
    kwargs: dict = dict(fmt=fmt, column_map=column_map, metadata=None if by_id else metadata,
                        progress=progress)
    if languages is not None:
        kwargs["supported_languages"] = tuple(languages)
    if n_jobs > 1:
        kwargs["n_jobs"] = n_jobs
    if dayfirst:
        kwargs["dayfirst"] = dayfirst
    if language:
        kwargs["language"] = language
    if date_floor:
        kwargs["date_floor"] = date_floor
    if date_ceiling:
        kwargs["date_ceiling"] = date_ceiling
    articles = corpus.load([str(p) for p in inputs], **kwargs)
    return join_metadata(articles, metadata) if by_id else articles


def _is_table(path: Path, fmt: str | None) -> bool:
    if fmt:
        return fmt in ("csv", "jsonl", "parquet")
    return path.suffix.lower() in (".csv", ".tsv", ".jsonl", ".ndjson", ".json", ".parquet")


def join_metadata(articles: pd.DataFrame, metadata: str | Path) -> pd.DataFrame:
    """Join a per-article metadata file (CSV or JSONL keyed by ``article_id``/``id``) onto a table.

    Repeated ids are matched in order of appearance (``corpus.load`` renames a repeated id to
    ``id~2``, ``id~3``, ...). Columns recognised by their common names (``corpus.fields.COLUMN_ALIASES``: e.g. ``publisher`` for
    ``outlet``) replace the article table's values where the metadata has one; other columns are
    added. Articles missing from the metadata keep their values: none is dropped.
    """
    path = Path(metadata)
    try:
        if path.suffix.lower() in (".jsonl", ".ndjson"):
            meta = pd.read_json(path, lines=True, dtype=False)
        elif path.suffix.lower() in (".csv", ".tsv"):
            meta = pd.read_csv(path, sep=None, engine="python", dtype=str, keep_default_na=False)
        else:
            raise ConfigError(f"metadata file {path}: accepted formats are .csv, .tsv, .jsonl")
    except (ValueError, OSError) as err:
        if isinstance(err, ConfigError):
            raise
        raise DataError(f"cannot read metadata file {path}: {err}") from err
    lower = {str(c).lower(): c for c in meta.columns}
    renames: dict = {}
    for field in ("article_id", "outlet", "published", "title", "language"):
        column = next((lower[a] for a in COLUMN_ALIASES[field] if a in lower), None)
        if column is not None:
            renames[column] = field
    meta = meta.rename(columns=renames)
    if "article_id" not in meta.columns:
        raise DataError(
            f"metadata file {path}: no id column to join on; it has {list(meta.columns)}; "
            "add one called article_id or id"
        )
    meta["article_id"] = meta["article_id"].astype(str)
    # A repeated id is matched in order of appearance, the way corpus.load renames repeated
    # article ids (id, id~2, id~3, ...): the k-th metadata row goes with the k-th article.
    nth = meta.groupby("article_id").cumcount() + 1
    meta["article_id"] = meta["article_id"].where(nth == 1, meta["article_id"] + "~" + nth.astype(str))
    meta = meta.set_index("article_id")
    out = articles.copy()
    ids = out["article_id"].astype(str)
    for column in meta.columns:
        values = ids.map(meta[column])
        if column in out.columns:
            out[column] = values.where(values.notna() & (values.astype(str) != ""), out[column])
        else:
            out[column] = values
    return out


def _sentences_and_mentions_stage(articles: pd.DataFrame, target_set, *, name_or_path: str,
                                  extra: list, kinds: list, n_jobs: int,
                                  progress: bool = False) -> dict[str, pd.DataFrame]:
    spec = TargetSpec(name_or_path, tuple(extra), tuple(kinds))
    sents, ments = sentences_and_mentions(articles, target_spec=spec, n_jobs=n_jobs,
                                          progress=progress)
    return {"sentences": sents, "mentions": ments}


def _load_stage(inputs: list, *, fmt, column_map, metadata, languages, rename, n_jobs,
                dayfirst=False, language=None, date_floor=None, date_ceiling=None,
                progress: bool = False) -> pd.DataFrame:
    articles = ingest(inputs, fmt=fmt, column_map=column_map or None, metadata=metadata,
                      languages=languages, n_jobs=n_jobs, dayfirst=dayfirst, language=language,
                      date_floor=date_floor, date_ceiling=date_ceiling, progress=progress)
    missing = [col for col in rename.values() if col not in articles.columns]
    if missing:
        raise ConfigError(
            f"corpus.extra names input columns {missing} that the corpus does not have; "
            f"it has {list(articles.columns)}"
        )
    return articles.rename(columns={old: new for new, old in rename.items()})


def _plain_dayfirst(dayfirst: bool | tuple[str, ...]) -> bool | list[str]:
    return dayfirst if isinstance(dayfirst, bool) else list(dayfirst)


def _changed_corpus_settings(corpus_cfg) -> dict[str, str]:
    """``language``, ``date_floor`` and ``date_ceiling`` of ``[corpus]`` where they differ from the
    defaults: only then are they in the stage's cache key, so runs without them keep theirs."""
    defaults = {f.name: f.default for f in dataclasses.fields(corpus_cfg)}
    return {
        name: getattr(corpus_cfg, name)
        for name in ("language", "date_floor", "date_ceiling")
        if getattr(corpus_cfg, name) != defaults[name]
    }


def _score_stage(articles, sentences, mentions, lexicon, *, scoring_settings: dict,
                 n_jobs: int, progress: bool = False) -> dict[str, pd.DataFrame]:
    """Lexicon scores and frames of a run, by the one scorer (the lexicon method)."""
    from framing.stance import scorer

    config = scorer.scoring_config(**{**scoring_settings, "method": "lexicon", "model": None})
    tables = scorer.Scorer(config, lexicon=lexicon)(articles, sentences=sentences,
                                                    mentions=mentions, n_jobs=n_jobs,
                                                    progress=progress)
    return {"scores": tables["scores"], "frames": tables["frames"]}


def _model_score_stage(articles, sentences, mentions, model, lexicon, *,
                       scoring_settings: dict, progress: bool = False) -> dict[str, pd.DataFrame]:
    """Model or hybrid scores of a run, by the one scorer."""
    from framing.stance import scorer

    config = scorer.scoring_config(**{**scoring_settings, "model": model})
    hybrid_lexicon = lexicon if config.method == "hybrid" else None
    tables = scorer.Scorer(config, lexicon=hybrid_lexicon)(articles, sentences=sentences,
                                                           mentions=mentions, progress=progress)
    return {"scores": tables["scores"], "predictions": tables["predictions"]}


def _weak_label_stage(articles, sentences, mentions, lexicon, *, seed: int, per_label: int,
                      margin: float) -> pd.DataFrame:
    from framing.stance import training

    return training.weak_labels(articles, sentences, mentions, lexicon=lexicon, seed=seed,
                                per_label=per_label, margin=margin)


def _trained_with(folder: Path, wanted: dict) -> bool:
    """Whether the model in ``folder`` was trained by a run with this key."""
    import json

    from framing.stance import training

    record = folder / training.TRAINING_META
    if not (record.is_file() and (folder / "model.safetensors").is_file()):
        return False
    try:
        previous = json.loads(record.read_text(encoding="utf-8")).get("run_key")
    except (OSError, json.JSONDecodeError):
        return False
    return previous == json.loads(json.dumps(wanted, default=str))


def ensure_model(cfg: ExperimentConfig, run, articles, sentences, mentions, lexicon, *,
                 force: bool = False, retrain: bool = False, say=lambda *a, **k: None) -> Path:
    """The folder of ``scoring.model``, trained first when ``[training]`` asks for it.

    With ``training.labels = "config"`` the model is trained from the training config (the
    ``framing train`` format) unless the folder holds a model trained from the same settings and
    data files (by content hash).

    With ``training.labels = "weak"``: weak labels are derived from the run's corpus (a cached
    stage, ``weak_labels.parquet``, also written as CSV) and the model is trained on them unless
    ``models_dir()/<scoring.model>`` already holds a model trained on exactly these labels with
    the same training settings (then it is reused). Without ``[training]`` the model must exist.

    ``force`` recomputes the run's weak-label stage; only ``retrain`` trains a model that could be
    reused (training is deterministic, so a reused model is the model a retraining would give).
    """
    from framing.infra.tableio import write_csv
    from framing.runs import config as cfgmod
    from framing.runs.folders import table_sha256
    from framing.stance import training

    name = cfg.scoring.model
    if not cfg.training.labels:
        return cfgmod.resolve_model(name)
    tc = cfg.training
    folder = Path(name) if not cfgmod.is_name(name) else cfgmod.models_dir() / name
    if tc.labels == "config":
        train_cfg = training.load_train_config(tc.config)
        wanted = training.reuse_key(train_cfg)
        if not retrain and _trained_with(folder, wanted):
            say(f"model: reusing {folder} (trained earlier from {tc.config.name}, same settings and data)")
            return folder
        say(f"model: training {folder.name} from {tc.config} (this takes a while; it is reused after)")
        trained, record = training.train(train_cfg, output=folder, progress=say is print,
                                         run_key=wanted)
        for spec, rep in record["test"].items():
            say(f"  {spec}: macro-F1 {rep['macro_f1']:.3f}")
        return trained
    labels = run.stage(
        "weak_labels",
        {"articles": articles, "sentences": sentences, "mentions": mentions, "lexicon": lexicon},
        _weak_label_stage,
        code=("stance.training",),
        settings=dict(seed=cfg.seed, per_label=tc.per_label, margin=tc.margin),
        force=force,
    )
    counts = labels["label"].value_counts().to_dict() if len(labels) else {}
    say(f"weak labels: {len(labels)} ({', '.join(f'{k} {v}' for k, v in sorted(counts.items()))})")
    if labels["label"].nunique() < 2:
        raise DataError(
            f"the lexicon gives confident labels of fewer than two kinds on this corpus ({counts}); "
            "a model cannot be trained on them: lower training.margin, or use method 'lexicon'"
        )
    csv_path = run.path / "weak_labels.csv"
    write_csv(labels, csv_path)
    method_lexicon = cfg.scoring.lexicon if cfg.scoring.method == "hybrid" else ""
    train_cfg = training.TrainConfig(
        name=folder.name, seed=cfg.seed, train=str(csv_path), base_model=tc.base_model,
        lexicon=method_lexicon, target_set=cfg.targets.lexicon, training=dict(tc.arguments),
        source=str(cfg.source or ""),
    )
    wanted = {"labels_sha256": table_sha256(labels), "settings": {
        k: v for k, v in train_cfg.to_dict().items() if k not in ("train", "source")}}
    if not retrain and _trained_with(folder, wanted):
        say(f"model: reusing {folder} (trained earlier on the same weak labels and settings)")
        return folder
    say(f"model: fine-tuning {folder.name} on {len(labels)} weak labels")
    trained, _ = training.train(train_cfg, output=folder, progress=say is print, run_key=wanted)
    return trained


def _events_stage(articles, *, method: str, window_days: int, threshold: float,
                  progress: bool = False) -> pd.DataFrame:
    import functools

    from framing.analysis import events

    processed = articles.loc[articles["status"].isin(PROCESSED_STATUSES)]
    # The title and lead identify a story; the body adds cost, not identity.
    lead = processed.assign(
        title=processed["title"].fillna(""), text=processed["text"].fillna("").str.slice(0, 600)
    )
    embed = None
    if method == "encoder":
        from framing.analysis.embeddings import encoder_embed

        embed = functools.partial(encoder_embed, progress=progress)
    return events.group_events(lead, window_days=window_days, threshold=threshold, embed=embed)


def with_events(cfg: ExperimentConfig, run, articles: pd.DataFrame, *, force: bool = False,
                say=lambda *a, **k: None) -> pd.DataFrame:
    """The article table with an ``event`` column, as ``compare.events`` asks (see CompareConfig)."""
    comp = cfg.compare
    if comp.events == "column":
        return articles
    if "event" in articles.columns and articles["event"].notna().any():
        say("events: the corpus has an event column; compare.events is not applied")
        return articles
    def events_stage(articles, **settings):  # the bar is not a setting: it leaves the key alone
        if comp.events == "encoder":
            say("events: embedding titles and leads, then grouping by date window and similarity")
        return _events_stage(articles, progress=say is print, **settings)

    events = run.stage(
        "events", {"articles": articles}, events_stage, code=("analysis.events", "analysis.embeddings"),
        settings=dict(method=comp.events, window_days=comp.event_window_days,
                      threshold=comp.event_threshold),
        force=force,
    )
    grouped = events.loc[events["event"] != ""]
    say(f"events ({comp.events}): {grouped['event'].nunique()} events with 2+ articles, "
        f"{len(grouped)} articles in them")
    mapping = events.set_index("article_id")["event"]
    return articles.assign(event=articles["article_id"].map(mapping).replace("", None))


def run_experiment(
    cfg: ExperimentConfig,
    *,
    root: str | Path = "reports/runs",
    force: bool = False,
    n_jobs: int | None = None,
    command_line: Sequence[str] | None = None,
    progress: bool = False,
    retrain: bool = False,
) -> Path:
    """Run an experiment end to end: ingest, mentions, scores, comparison, figures, report.

    Every stage is cached in the run folder by the hash of its inputs, settings and code
    (``runs.Run.stage``); ``force=True`` recomputes. Returns the path of ``report.html``.

    Parameters
    ----------
    cfg : ExperimentConfig
        A validated experiment config (``config.load_config``).
    root : path
        Folder holding ``<experiment>/<run_id>/`` run folders.
    force : bool
        Recompute every stage. A model trained on first use is still reused when its settings
        and data are unchanged (it is not a stage of the run but shared by runs).
    n_jobs : int, optional
        Worker processes (default: one per core). Results do not depend on it.
    command_line : sequence of str, optional
        Recorded in the manifest.
    progress : bool
        Print one line per stage.
    retrain : bool
        Train the run's model (``[training]``) again even when a model trained from the same
        settings and data exists.
    """
    from framing.runs.folders import Run

    jobs = n_jobs or default_jobs()
    say = print if progress else (lambda *a, **k: None)
    run = Run.open(cfg, root=root, command_line=command_line)
    run.set_seed(seed_torch=False)
    say(f"run folder: {run.path}")
    articles = _articles_step(cfg, run, jobs=jobs, force=force, progress=progress)
    say(f"articles: {len(articles)}")
    sentences, mentions = _mentions_step(cfg, run, articles, jobs=jobs, force=force, say=say)
    scored = _scores_step(cfg, run, articles, sentences, mentions, jobs=jobs, force=force,
                          retrain=retrain, say=say)
    articles = with_events(cfg, run, articles, force=force, say=say)
    return _report_step(cfg, run, articles, sentences, mentions, scored, force=force, say=say)


class _Scored(NamedTuple):
    """What the scoring steps of :func:`run_experiment` hand to the report."""

    scores: pd.DataFrame  #: the scores of ``scoring.method``
    frames: pd.DataFrame  #: frame counts of the lexicon stage
    other: pd.DataFrame | None  #: the lexicon scores, when ``scores`` are a model's
    by_voice: pd.DataFrame | None  #: model scores per voice (model and hybrid methods)
    predictions: pd.DataFrame | None = None  #: the model's mention predictions
    model: Path | None = None  #: the model folder (model and hybrid methods)


def _articles_step(cfg: ExperimentConfig, run, *, jobs: int, force: bool,
                   progress: bool = False) -> pd.DataFrame:
    """The ``articles`` stage of a run: the corpus read as ``[corpus]`` says."""
    corpus_cfg = cfg.corpus
    return run.stage(
        "articles",
        {"inputs": [Path(p) for p in corpus_cfg.inputs]},
        _load_stage,
        code=("corpus.loading",),
        settings=dict(
            fmt=corpus_cfg.format or None,
            column_map=dict(corpus_cfg.columns),
            metadata=str(corpus_cfg.metadata) if corpus_cfg.metadata else None,
            languages=list(corpus_cfg.languages),
            rename=dict(corpus_cfg.extra),
            n_jobs=jobs,
            # Only when set: the cache key of runs without it stays as it was.
            **({"dayfirst": _plain_dayfirst(corpus_cfg.dayfirst)} if corpus_cfg.dayfirst else {}),
            **_changed_corpus_settings(corpus_cfg),
        ),
        force=force,
        runtime={"progress": progress},
    )


def _mentions_step(cfg: ExperimentConfig, run, articles: pd.DataFrame, *, jobs: int, force: bool,
                   say) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The ``mentions`` stage of a run: its sentences and (sentence, target) mentions."""
    from framing.stance import scorer

    target_set = scorer.target_spec(cfg.scoring).load()
    tables = run.stage(
        "mentions",
        {"articles": articles, "target_set": target_set},
        _sentences_and_mentions_stage,
        code=("text.preprocess", "text.targets", "text.mentions"),
        settings=dict(name_or_path=cfg.targets.lexicon, extra=[str(p) for p in cfg.targets.extra],
                      kinds=list(cfg.targets.kinds), n_jobs=jobs),
        force=force,
        runtime={"progress": say is print},
    )
    sentences, mentions = tables["sentences"], tables["mentions"]
    say(f"sentences: {len(sentences)}, (sentence, target) mentions: {len(mentions)}")
    if len(mentions):
        say("mentions per target:\n" + targets.mention_summary(mentions).to_string(index=False))
    return sentences, mentions


def _scores_step(cfg: ExperimentConfig, run, articles, sentences, mentions, *, jobs: int,
                 force: bool, say, retrain: bool = False) -> _Scored:
    """The ``lexicon_scores`` stage, then for a model or hybrid method the model's scores."""
    from framing.lexicon.folder import load_lexicon
    from framing.stance import scorer

    lexicon = load_lexicon(cfg.scoring.lexicon or scoring.DEFAULT_LEXICON)
    # The one scorer's settings (framing.stance.scorer), flat: the same as `framing score` would use.
    settings = scorer.flat_scoring(cfg.scoring)
    scored = run.stage(
        "lexicon_scores",
        {"articles": articles, "sentences": sentences, "mentions": mentions, "lexicon": lexicon},
        _score_stage,
        code=("stance.scoring", "stance.scorer"),
        settings=dict(scoring_settings={k: v for k, v in settings.items() if k != "model"},
                      n_jobs=jobs),
        force=force,
        runtime={"progress": say is print},
    )
    result = _Scored(scored["scores"], scored["frames"], None, None)
    if cfg.scoring.method in ("model", "hybrid"):
        folder = ensure_model(cfg, run, articles, sentences, mentions, lexicon, force=force,
                              retrain=retrain, say=say)
        modelled = run.stage(
            "model_scores",
            {"articles": articles, "sentences": sentences, "mentions": mentions,
             "model": folder, "lexicon": lexicon},
            _model_score_stage,
            code=("stance.model_scoring", "stance.scorer"),
            settings=dict(scoring_settings={k: v for k, v in settings.items() if k != "model"}),
            force=force,
            runtime={"progress": say is print},
        )
        from framing.stance.model_scoring import voice_scores

        by_voice = voice_scores(modelled["predictions"], neutral_band=cfg.scoring.neutral_band)
        result = _Scored(modelled["scores"], scored["frames"], scored["scores"], by_voice,
                         modelled["predictions"], Path(folder))
    say(f"scores ({cfg.scoring.method}): {len(result.scores)} (article, target) rows")
    return result


def _report_step(cfg: ExperimentConfig, run, articles, sentences, mentions,
                 scored: _Scored, *, force: bool = False, say=lambda *a, **k: None) -> Path:
    """Comparison tables and figures, the multiverse, the manifest, then the report; the path
    of ``report.html``."""
    from framing.analysis import report_tables
    from framing.report import build as report
    from framing.runs import multiverse

    comp = cfg.compare
    report_tables.write_comparison(
        scored.scores, run.path, frames=scored.frames, sentences=sentences, mentions=mentions,
        articles=articles, compare_with=scored.other, by=tuple(comp.by),
        also_by=tuple(comp.also_by), voice_scores=scored.by_voice, random_state=cfg.seed,
        n_boot=comp.n_boot, n_perm=comp.n_perm, min_n=comp.min_n, ci=comp.ci, test=comp.test,
        figure_titles=cfg.report.figure_titles,
    )
    multiverse.multiverse_step(cfg, run, articles, sentences, mentions, scored, force=force,
                               say=say)
    counts = {
        "n_articles": int(len(articles)),
        "n_processed": int(articles["status"].isin(PROCESSED_STATUSES).sum()),
        "n_sentences": int(len(sentences)),
        "n_mentions": int(len(mentions)),
        "n_scores": int(len(scored.scores)),
        "by_status": {k: int(v) for k, v in articles["status"].value_counts().sort_index().items()},
    }
    run.write_manifest(counts=counts)
    paths = report.build_report(run.path, title=cfg.report.title or None)
    return paths["html"]
