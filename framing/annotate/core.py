"""Manual coding: draw mentions to code, export them, read the codes back, agreement, adjudication.

The annotation loop::

    run folder (articles, sentences, mentions) [+ model predictions]
      -> mention_items   one item per (article, sentence, target), with context and marked mention
      -> sample_items    stratified, seeded draw (random | uncertainty | disagreement)
      -> write_sample    sample.csv (codebook header, empty label column), Label Studio tasks + config
      -> coders fill the label column (or code in Label Studio and export)
      -> import_codes    validate, agreement per target and label, disagreements, adjudication
      -> write_import    agreement tables, disagreements.csv, labelled.csv (+ its sha256)

Items
-----
An item's id is ``"<article_id>:<sent_id>:<target>"`` (:func:`item_id`): the same mention gets the
same id in every sample, so coded files join back and earlier batches can be excluded. The
target's words are marked ``[[like this]]`` in ``sentence_marked``; ``context_before`` and
``context_after`` are the previous and next sentence of the same article (the title counts as
the sentence before the first body sentence). Articles flagged as exact or near duplicates (wire
copies) and repeats of the same (sentence, target) are left out, so no coding effort is spent
twice. Model predictions are never shown to coders (they would anchor the codes).

Strategies
----------
Every strategy is stratified (default strata: outlet, language, target) and seeded.

``random``
    Each item gets a uniform key from the sha256 of ``(seed, item id)``, so an item's key does not
    depend on the rest of the corpus: adding articles does not reshuffle earlier choices.
``uncertainty``
    Items with a model prediction, ranked by the normalised entropy of
    ``(p_against, p_neutral, p_favor)``: ``H(p) / log 3``, 0 for a one-hot prediction, 1 for the
    uniform one. Entropy (rather than 1 - max p) also separates "torn between two labels" from
    "torn between three".
``disagreement``
    Items whose lexicon label (the sign of ``lexicon_signed``: > 0 favor, < 0 against, 0 neutral)
    differs from the model's ``predicted`` label, ranked by the model's probability of its own
    label (confident contradictions first: either the model is confidently wrong, the most useful
    training example, or the lexicon misfires, worth knowing), ties by ``|lexicon_signed|``.
    Only disagreeing items are eligible: when fewer disagree than asked, fewer are drawn.

Allocation across strata: ``equal`` (default) gives each stratum the same share, and the share
of a stratum with too few eligible items goes to the others; ``proportional`` follows the
strata sizes (largest remainder). Which strata get the last few items is seeded.

Agreement
---------
Computed per target (and over all targets, ``"(all)"``) on every item at least one coder coded:

- Krippendorff's alpha, nominal, with the ``krippendorff`` package: missing codes are allowed
  (an item counts when two or more coders coded it). With an ordered codebook also ordinal alpha
  (against < neutral < favor: against-vs-favor weighs more than neutral-vs-favor).
- Cohen's kappa for every pair of coders on the items both coded
  (``sklearn.metrics.cohen_kappa_score``); the table gives mean, min and max over pairs, and
  ``agreement-pairs.csv`` each pair.
- Per label: the same statistics on the binary coding "is label X" (one-vs-rest): a low value
  for ``favor`` says coders do not agree on what favor is.
- ``pct_agree``: share of items coded by two or more coders on which all codes are equal.

An undefined statistic (only one label used, no item coded twice) is NaN with a note, never an
error.

Adjudication rule
-----------------
For each item, in this order: an adjudicator's decision (``adjudicated`` column of a filled-in
``disagreements.csv``) wins; else the codes all agree (``agreed``); else one coder coded it
(``single``); else a strict majority of the codes (``majority``, e.g. 2 of 3); else it stays
``unresolved`` and is left out of the labelled file until adjudicated. Uncoded items are left
out. Labels that are not stance labels (a user codebook may add e.g. ``off_target``) are left
out of the labelled file, which ``framing.stance.datasets.load_labelled`` reads.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
import math
import sys
import warnings
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from itertools import combinations
from pathlib import Path
from typing import Any
from xml.sax.saxutils import quoteattr

import numpy as np
import pandas as pd

from framing.infra import datafolder, defaults, schema, tableio
from framing.infra.defaults import IMPORT_FILES, LABEL_SOURCE_PREFIX  # noqa: F401 - public here too
from framing.infra.errors import ConfigError, DataError

__all__ = [
    "ALL",
    "DEFAULT_CODEBOOK",
    "DEFAULT_STRATA",
    "IMPORT_FILES",
    "SAMPLE_COLUMNS",
    "SAMPLE_FILES",
    "STRATEGIES",
    "Codebook",
    "ImportResult",
    "Sample",
    "adjudicate",
    "agreement",
    "codes_sha256",
    "disagreements",
    "import_codes",
    "item_id",
    "label_studio_config",
    "label_studio_tasks",
    "labelled_table",
    "load_codebook",
    "mark_spans",
    "mention_items",
    "read_codes",
    "read_decisions",
    "read_run",
    "read_sample",
    "read_sample_ids",
    "sample_items",
    "write_import",
    "write_sample",
]

#: The codebook used when none is given: ``framing/data/<DEFAULT_CODEBOOK>.toml``.
DEFAULT_CODEBOOK = defaults.DEFAULT_CODEBOOK
#: Sampling strategies of :func:`sample_items`.
STRATEGIES: tuple[str, ...] = ("random", "uncertainty", "disagreement")
#: How a sample is spread over strata.
ALLOCATIONS: tuple[str, ...] = ("equal", "proportional")
#: Item columns a sample is stratified by, by default.
DEFAULT_STRATA: tuple[str, ...] = ("outlet", "language", "target")
#: Marks put around the target's words in ``sentence_marked``.
MARK_OPEN, MARK_CLOSE = "[[", "]]"
#: The value of ``target``/``label`` in agreement rows that pool all targets or all labels.
ALL = "(all)"
#: Columns a prediction table must have for the model-based strategies.
PREDICTION_REQUIRED: tuple[str, ...] = (
    "article_id", "sent_id", "target", "p_against", "p_neutral", "p_favor", "predicted",
    "lexicon_signed",
)
_PROBA = ("p_against", "p_neutral", "p_favor")
_KEY = ["article_id", "sent_id", "target"]

#: Columns of a sample, coder-facing ones first (a spreadsheet shows them without scrolling).
CODER_COLUMNS: tuple[str, ...] = (
    "id", "target", "mention", "context_before", "sentence_marked", "context_after", "label", "note",
)
SAMPLE_COLUMNS: tuple[str, ...] = CODER_COLUMNS + (
    "outlet", "language", "article_id", "sent_id", "section", "sentence", "span_start",
    "span_end", "stratum", "strategy", "priority",
)
#: Files :func:`write_sample` writes into its folder.
SAMPLE_FILES: dict[str, str] = {
    "sample": "sample.csv",
    "coder": "coder.csv",
    "tasks": "label-studio-tasks.json",
    "config": "label-studio-config.xml",
    "manifest": "sample.json",
}
#: Name of the Label Studio control that holds the label (also the column of its CSV export).
LS_CONTROL = "label"
LS_NOTE = "note"
#: Prefix of the per-coder columns of ``disagreements.csv``.
CODE_PREFIX = "code:"
#: Placeholder shown by Label Studio for an empty context (it renders nothing for "").
_NO_CONTEXT = "(none)"
_CSV_DELIMITERS = (",", ";", "\t")
_SHA_SHOWN = 12


# --------------------------------------------------------------------------------------------
# Codebook


@dataclass(frozen=True)
class Codebook:
    """Labels, their definitions and the coding unit; read by :func:`load_codebook`.

    Attributes
    ----------
    name, version : str, int
        ``id`` is ``f"{name}-v{version}"``.
    labels : tuple of str
        In the file's order (pole to pole when ``ordered``).
    definitions : dict
        label -> one-paragraph definition.
    coding_unit, instructions, description : str
    ordered : bool
        The labels form a scale (ordinal alpha is reported too).
    holders : tuple of str
        Values of a second coded field, ``holder`` (who holds the stance); empty when the codebook
        codes the label only.
    holder_definitions : dict
        holder -> definition.
    rules : tuple of dict
        Decision rules in order, each ``{"name", "rule", "examples"}`` (examples: list of str).
    article_unit, article_instructions : str
        The coding unit and instructions for article-level items (``[article]`` table); empty
        when the codebook has none.
    path : Path
    sha256 : str
        Of the file's bytes.
    """

    name: str
    version: int
    labels: tuple[str, ...]
    definitions: dict[str, str]
    coding_unit: str
    instructions: str = ""
    description: str = ""
    ordered: bool = False
    holders: tuple[str, ...] = ()
    holder_definitions: dict[str, str] = field(default_factory=dict)
    rules: tuple[dict[str, Any], ...] = ()
    article_unit: str = ""
    article_instructions: str = ""
    path: Path | None = None
    sha256: str = ""
    #: The coded column this codebook reads ("label", or "holder" from :meth:`for_field`).
    field: str = "label"

    @property
    def id(self) -> str:
        return f"{self.name}-v{self.version}"

    def for_field(self, field_name: str) -> Codebook:
        """The codebook of one coded field: ``"label"`` (itself) or ``"holder"``.

        The holder field's codebook has the holders as its (unordered) labels, so the same
        reading, agreement and adjudication code serves both fields.

        Examples
        --------
        >>> load_codebook("codebook-state-v1").for_field("holder").labels
        ('author', 'target', 'other', 'unclear')
        """
        if field_name == "label":
            return self
        if field_name != "holder" or not self.holders:
            accepted = ["label", "holder"] if self.holders else ["label"]
            raise ConfigError(f"codebook {self.id} has no coded field {field_name!r}; accepted: {accepted}")
        return Codebook(
            name=self.name, version=self.version, labels=self.holders,
            definitions=dict(self.holder_definitions), coding_unit=self.coding_unit,
            instructions=self.instructions, description=self.description, ordered=False,
            path=self.path, sha256=self.sha256, field="holder",
        )


def _codebook_values(path: Path, raw: Mapping[str, Any], key: str, minimum: int = 2) -> dict[str, str]:
    """``value -> definition`` of a ``[[key]]`` list of tables, checked (lower-case unique values)."""
    entries = raw.get(key)
    if not isinstance(entries, list) or len(entries) < minimum:
        raise ConfigError(
            f"codebook {path}: needs two or more [[{key}]] tables (value, definition); "
            f"got {entries!r:.80}"
        )
    definitions: dict[str, str] = {}
    for i, entry in enumerate(entries, start=1):
        value = entry.get("value") if isinstance(entry, dict) else None
        definition = entry.get("definition") if isinstance(entry, dict) else None
        if not isinstance(value, str) or not value.strip() or value != value.strip().lower():
            raise ConfigError(
                f"codebook {path}: {key}[{i}].value must be a non-empty lower-case string "
                f"without surrounding spaces; got {value!r}"
            )
        if value in definitions:
            raise ConfigError(f"codebook {path}: {key}[{i}].value {value!r} is repeated")
        if not isinstance(definition, str) or not definition.strip():
            raise ConfigError(f"codebook {path}: {key}[{i}] ({value!r}) needs a non-empty definition")
        definitions[value] = " ".join(definition.split())
    return definitions


def _codebook_rules(path: Path, raw: Mapping[str, Any]) -> tuple[dict[str, Any], ...]:
    entries = raw.get("rules", [])
    if not isinstance(entries, list):
        raise ConfigError(f"codebook {path}: 'rules' must be a list of [[rules]] tables; got {entries!r:.80}")
    rules = []
    for i, entry in enumerate(entries, start=1):
        if not isinstance(entry, dict) or set(entry) - {"name", "rule", "examples"}:
            raise ConfigError(
                f"codebook {path}: rules[{i}] must be a table with keys name, rule, examples; got {entry!r:.80}"
            )
        name, rule, examples = entry.get("name"), entry.get("rule"), entry.get("examples", [])
        if not isinstance(name, str) or not name.strip() or not isinstance(rule, str) or not rule.strip():
            raise ConfigError(f"codebook {path}: rules[{i}] needs a non-empty 'name' and 'rule'")
        if not isinstance(examples, list) or not all(isinstance(x, str) and x.strip() for x in examples):
            raise ConfigError(f"codebook {path}: rules[{i}] ({name!r}): 'examples' must be a list of strings")
        rules.append({"name": " ".join(name.split()), "rule": " ".join(rule.split()),
                      "examples": [" ".join(x.split()) for x in examples]})
    return tuple(rules)


def load_codebook(path: str | Path | None = None) -> Codebook:
    """Read a codebook TOML file (default: the bundled ``codebook-stance-v1``).

    Parameters
    ----------
    path : path or str, optional
        A TOML file, or the name of a bundled codebook (``codebook-stance-v1``,
        ``codebook-state-v1``). The file has ``name``, ``version``, ``coding_unit``, optional
        ``instructions``, ``description``, ``ordered``, two or more ``[[labels]]`` tables, each
        with ``value`` (lower case, unique) and ``definition``; optionally two or more
        ``[[holders]]`` (a second coded field: who holds the stance), ``[[rules]]`` (``name``,
        ``rule``, ``examples``) and an ``[article]`` table (``unit``, ``instructions``) for
        article-level items. See ``framing/data/codebook-state-v1.toml``.

    Returns
    -------
    Codebook

    Raises
    ------
    ConfigError
        Missing file, invalid TOML, or a missing/invalid key; the message names the file and key.

    Examples
    --------
    >>> load_codebook().labels
    ('against', 'neutral', 'favor')
    >>> load_codebook("codebook-state-v1").holders
    ('author', 'target', 'other', 'unclear')
    """
    path = _codebook_file(DEFAULT_CODEBOOK if path is None else path)
    raw = datafolder.read_toml(path, error=ConfigError)

    def text(key: str, required: bool) -> str:
        value = raw.get(key, None if required else "")
        if not isinstance(value, str) or (required and not value.strip()):
            raise ConfigError(f"codebook {path}: key {key!r} must be a non-empty string; got {value!r}")
        return " ".join(value.split())

    name = text("name", True)
    version = raw.get("version")
    if isinstance(version, bool) or not isinstance(version, int) or version < 1:
        raise ConfigError(f"codebook {path}: key 'version' must be a positive integer; got {version!r}")
    ordered = raw.get("ordered", False)
    if not isinstance(ordered, bool):
        raise ConfigError(f"codebook {path}: key 'ordered' must be true or false; got {ordered!r}")
    definitions = _codebook_values(path, raw, "labels", 2)
    labels = list(definitions)
    holder_definitions = _codebook_values(path, raw, "holders", 2) if "holders" in raw else {}
    article = raw.get("article", {})
    if not isinstance(article, dict) or set(article) - {"unit", "instructions"} or (
        article and not all(isinstance(v, str) and v.strip() for v in article.values())
    ):
        raise ConfigError(
            f"codebook {path}: [article] must be a table with non-empty strings 'unit' and "
            f"'instructions'; got {article!r:.80}"
        )
    known = {"name", "version", "description", "ordered", "coding_unit", "instructions", "labels",
             "holders", "rules", "article"}
    unknown = sorted(set(raw) - known)
    if unknown:
        raise ConfigError(f"codebook {path}: unknown keys {unknown}; accepted: {sorted(known)}")
    return Codebook(
        name=name,
        version=version,
        labels=tuple(labels),
        definitions=definitions,
        coding_unit=text("coding_unit", True),
        instructions=text("instructions", False),
        description=text("description", False),
        ordered=ordered,
        holders=tuple(holder_definitions),
        holder_definitions=holder_definitions,
        rules=_codebook_rules(path, raw),
        article_unit=" ".join(article.get("unit", "").split()),
        article_instructions=" ".join(article.get("instructions", "").split()),
        path=path,
        sha256=hashlib.sha256(path.read_bytes()).hexdigest(),
    )


def _codebook_file(name_or_path: str | Path) -> Path:
    """A codebook file: a bundled name (``framing/data/<name>.toml``) or a path."""
    if Path(name_or_path).is_file():
        return Path(name_or_path)  # a file, as given
    return datafolder.resolve(name_or_path, what="codebook", bundled=True, suffix=".toml",
                              error=ConfigError)


# --------------------------------------------------------------------------------------------
# Items


def item_id(article_id: str, sent_id: int, target: str) -> str:
    """The stable id of a mention item.

    Examples
    --------
    >>> item_id("a1", 3, "CN")
    'a1:3:CN'
    """
    return f"{article_id}:{int(sent_id)}:{target}"


def mark_spans(sentence: str, spans: Iterable[Sequence[int]]) -> str:
    """Wrap each ``(start, end)`` span of ``sentence`` in ``[[`` and ``]]`` (overlaps skipped).

    Examples
    --------
    >>> mark_spans("China and the EU met.", [(0, 5), (14, 16)])
    '[[China]] and the [[EU]] met.'
    """
    parts, pos = [], 0
    for start, end in sorted((int(s), int(e)) for s, e in spans):
        if start < pos or not 0 <= start < end <= len(sentence):
            continue
        parts += [sentence[pos:start], MARK_OPEN, sentence[start:end], MARK_CLOSE]
        pos = end
    parts.append(sentence[pos:])
    return "".join(parts)


def read_run(run_dir: str | Path) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """Read the article, sentence and mention tables of a run folder.

    Parameters
    ----------
    run_dir : path
        A folder of ``framing run`` (``articles.parquet``, ``mentions.mentions.parquet``,
        ``mentions.sentences.parquet``), or one holding ``articles.parquet``,
        ``mentions.parquet`` and ``sentences.parquet``.

    Returns
    -------
    (articles, sentences, mentions) : tuple of DataFrame

    Raises
    ------
    DataError
        A table is missing or lacks required columns.
    """
    from framing.runs.folders import read_table

    folder = Path(run_dir)
    if not folder.is_dir():
        raise DataError(f"run folder not found: {folder}")
    candidates = {
        "articles": ("articles.parquet",),
        "sentences": ("mentions.sentences.parquet", "sentences.parquet"),
        "mentions": ("mentions.mentions.parquet", "mentions.parquet"),
    }
    tables = {}
    for kind, names in candidates.items():
        found = next((folder / n for n in names if (folder / n).is_file()), None)
        if found is None:
            raise DataError(
                f"{folder}: no {kind} table; looked for {', '.join(names)} "
                "(a folder of `framing run`, or pass the tables explicitly)"
            )
        tables[kind] = read_table(found, kind=kind)
    return tables["articles"], tables["sentences"], tables["mentions"]


def mention_items(
    articles: pd.DataFrame,
    sentences: pd.DataFrame,
    mentions: pd.DataFrame,
    *,
    drop_duplicates: bool = True,
    article_columns: Sequence[str] = (),
) -> pd.DataFrame:
    """One codable item per (article, sentence, target), with its context and marked mention.

    Parameters
    ----------
    articles : DataFrame
        ``schema.ARTICLE_COLUMNS`` (``outlet``, ``language``, ``duplicate_of`` and
        ``near_duplicate_of`` are used when present).
    sentences : DataFrame
        ``schema.SENTENCE_COLUMNS``: context sentences and the offsets that turn mention spans
        (offsets in the section string) into offsets within the sentence.
    mentions : DataFrame
        ``schema.MENTION_COLUMNS``.
    drop_duplicates : bool
        Leave out articles flagged as exact or near duplicates, and repeats of a
        (sentence, target) pair already seen (the first in mention-table order is kept).
    article_columns : sequence of str
        Further article columns to carry onto each item (e.g. ``leaning``, to stratify by it).

    Returns
    -------
    DataFrame
        Columns ``id, article_id, sent_id, section, target, mention, outlet, language,
        sentence, span_start, span_end, spans, sentence_marked, context_before, context_after``
        and then ``article_columns``;
        mention-table order. ``mention`` and ``span_start``/``span_end`` are the first alias
        hit of the target (what the classifier sees), ``spans`` all its hits (within the sentence).

    Raises
    ------
    DataError
        A table lacks a column, a mention names a sentence missing from the sentence table, or
        the mention table repeats an (article, sentence, target).
    """
    from framing.stance.model_scoring import mention_examples

    columns = ["id", "article_id", "sent_id", "section", "target", "mention", "outlet", "language",
               "sentence", "span_start", "span_end", "spans", "sentence_marked", "context_before",
               "context_after"]
    if not len(mentions):
        return pd.DataFrame({c: pd.Series(dtype=object) for c in columns})
    examples = mention_examples(articles, sentences, mentions)
    items = examples.assign(
        id=[item_id(a, s, t) for a, s, t in zip(examples["article_id"], examples["sent_id"],
                                                 examples["target"], strict=True)],
        section=mentions["section"].astype(str).to_numpy() if "section" in mentions.columns else "",
    )
    repeated = items["id"].duplicated()
    if repeated.any():
        raise DataError(
            f"the mention table repeats (article_id, sent_id, target) for {int(repeated.sum())} "
            f"row(s) (first: {items['id'][repeated].iloc[0]!r}); pass the table `framing mentions` wrote"
        )
    art = articles.assign(article_id=articles["article_id"].astype(str)).drop_duplicates("article_id")
    art = art.set_index("article_id")
    outlet = art["outlet"] if "outlet" in art.columns else pd.Series(dtype=object)
    items["outlet"] = items["article_id"].map(outlet).fillna("unknown").astype(str)
    items["sentence_marked"] = [mark_spans(s, sp) for s, sp in zip(items["sentence"], items["spans"],
                                                                    strict=True)]
    text = pd.Series(
        sentences["text"].astype(str).to_numpy(),
        index=pd.MultiIndex.from_arrays(
            [sentences["article_id"].astype(str), sentences["sent_id"].astype(np.int64)]
        ),
    )
    for column, step in (("context_before", -1), ("context_after", 1)):
        where = text.index.get_indexer(
            pd.MultiIndex.from_arrays([items["article_id"], items["sent_id"] + step])
        )
        values = text.to_numpy()[np.maximum(where, 0)] if len(text) else np.array([""] * len(items))
        items[column] = np.where(where >= 0, values, "")
    if drop_duplicates:
        flagged = pd.Series(False, index=art.index)
        for col in ("duplicate_of", "near_duplicate_of"):
            if col in art.columns:
                flagged |= art[col].notna() & (art[col].astype(str).str.strip() != "")
        copies = items["article_id"].map(flagged).fillna(False).astype(bool)
        items = items.loc[~copies]
        items = items.loc[~items.duplicated(["sentence", "target"])]
    extra = [c for c in article_columns if c not in columns]
    missing = [c for c in extra if c not in art.columns]
    if missing:
        raise DataError(f"the article table has no column(s) {missing}; it has {list(art.columns)}")
    for col in extra:
        items[col] = items["article_id"].map(art[col]).astype(str)
    return items[columns + extra].reset_index(drop=True)


#: ``sent_id`` of an article-level item: the item is the whole article, not one sentence.
ARTICLE_SENT_ID = -1
#: Item units of :func:`framing annotate sample`.
UNITS: tuple[str, ...] = ("mention", "article")


def article_items(
    articles: pd.DataFrame,
    mentions: pd.DataFrame,
    *,
    drop_duplicates: bool = True,
    article_columns: Sequence[str] = (),
) -> pd.DataFrame:
    """One codable item per (article, target) that the article mentions: the article-level unit.

    Parameters
    ----------
    articles : DataFrame
        ``schema.ARTICLE_COLUMNS`` (``title``, ``text``, ``outlet``, ``language``).
    mentions : DataFrame
        ``schema.MENTION_COLUMNS``: which targets an article mentions, and where (spans in the
        section string, ``section`` title or body).
    drop_duplicates : bool
        Leave out articles flagged as exact or near duplicates.
    article_columns : sequence of str
        Further article columns to carry onto each item.

    Returns
    -------
    DataFrame
        The columns of :func:`mention_items` plus ``n_mentions``: ``sent_id`` is
        ``ARTICLE_SENT_ID`` (-1), ``section`` ``"article"``, ``sentence`` the title and the text
        (a blank line between), ``sentence_marked`` the same with every mention of the target
        marked, contexts empty; ordered by article id and target.

    Examples
    --------
    >>> arts = pd.DataFrame({"article_id": ["a"], "title": ["EU vote"], "text": ["The EU voted."],
    ...                      "outlet": ["x"], "language": ["en"]})
    >>> ms = pd.DataFrame({"article_id": ["a", "a"], "sent_id": [0, 1], "section": ["title", "body"],
    ...                    "target": ["EU", "EU"], "spans": [[[0, 2]], [[4, 6]]], "aliases": [["EU"], ["EU"]]})
    >>> item = article_items(arts, ms).iloc[0]
    >>> item["id"], int(item["n_mentions"]), item["sentence_marked"]
    ('a:-1:EU', 2, '[[EU]] vote\\n\\nThe [[EU]] voted.')
    """
    columns = ["id", "article_id", "sent_id", "section", "target", "mention", "outlet", "language",
               "sentence", "span_start", "span_end", "spans", "sentence_marked", "context_before",
               "context_after", "n_mentions"]
    art = articles.assign(article_id=articles["article_id"].astype(str)).drop_duplicates("article_id")
    art = art.set_index("article_id")
    missing = [c for c in article_columns if c not in art.columns and c not in columns]
    if missing:
        raise DataError(f"the article table has no column(s) {missing}; it has {list(art.columns)}")
    if drop_duplicates:
        for col in ("duplicate_of", "near_duplicate_of"):
            if col in art.columns:
                art = art.loc[~(art[col].notna() & (art[col].astype(str).str.strip() != ""))]
    ms = mentions.assign(article_id=mentions["article_id"].astype(str), target=mentions["target"].astype(str))
    ms = ms.loc[ms["article_id"].isin(art.index)]
    rows = []
    for (aid, target), part in ms.groupby(["article_id", "target"], sort=True):
        title, text = (str(art.at[aid, c]) if c in art.columns and pd.notna(art.at[aid, c]) else ""
                       for c in ("title", "text"))
        sections = part["section"].astype(str) if "section" in part.columns else pd.Series("body", index=part.index)
        marked = {sec: mark_spans(src, [sp for spans in part.loc[sections == sec, "spans"] for sp in spans])
                  for sec, src in (("title", title), ("body", text))}
        aliases = [a for al in part["aliases"] for a in al] if "aliases" in part.columns else []
        rows.append({
            "id": item_id(aid, ARTICLE_SENT_ID, target), "article_id": aid, "sent_id": ARTICLE_SENT_ID,
            "section": "article", "target": target, "mention": aliases[0] if aliases else target,
            "outlet": str(art.at[aid, "outlet"]) if "outlet" in art.columns else "unknown",
            "language": str(art.at[aid, "language"]) if "language" in art.columns else "",
            "sentence": f"{title}\n\n{text}" if title else text, "span_start": pd.NA, "span_end": pd.NA,
            "spans": [], "sentence_marked": f"{marked['title']}\n\n{marked['body']}" if title else marked["body"],
            "context_before": "", "context_after": "", "n_mentions": int(len(part)),
            **{c: str(art.at[aid, c]) for c in article_columns if c not in columns},
        })
    extra = [c for c in article_columns if c not in columns]
    return pd.DataFrame(rows, columns=columns + extra)


# --------------------------------------------------------------------------------------------
# Sampling


@dataclass
class Sample:
    """A drawn sample: the items to code, the per-stratum counts, and notes for the user.

    Attributes
    ----------
    items : DataFrame
        ``SAMPLE_COLUMNS``, in presentation order (seeded shuffle); ``label`` and ``note`` empty.
    strata : DataFrame
        One row per stratum: the stratum columns, ``available`` (after exclusions),
        ``eligible`` (for the strategy) and ``drawn``.
    notes : list of str
    params : dict
        strategy, seed, n, allocation, strata.
    """

    items: pd.DataFrame
    strata: pd.DataFrame
    notes: list[str] = field(default_factory=list)
    params: dict[str, Any] = field(default_factory=dict)


def _unit_keys(seed: int, ids: Iterable[str], salt: str) -> np.ndarray:
    """A uniform number in [0, 1) per id from sha256(seed, salt, id): independent of other ids."""
    out = [
        int.from_bytes(hashlib.sha256(f"{seed}\x1f{salt}\x1f{i}".encode()).digest()[:8], "big") / 2**64
        for i in ids
    ]
    return np.asarray(out, dtype=np.float64)


def _check_predictions(predictions: pd.DataFrame) -> pd.DataFrame:
    if not isinstance(predictions, pd.DataFrame):
        raise ConfigError(
            f"predictions must be a DataFrame (the table of `framing score --predictions`); "
            f"received {type(predictions).__name__}"
        )
    missing = [c for c in PREDICTION_REQUIRED if c not in predictions.columns]
    if missing:
        raise DataError(
            f"the prediction table lacks column(s) {missing}; required: {list(PREDICTION_REQUIRED)} "
            f"(write it with `framing score --method model --predictions FILE`)"
        )
    pred = predictions[list(PREDICTION_REQUIRED)].copy()
    pred["article_id"] = pred["article_id"].astype(str)
    sent_id = pd.to_numeric(pred["sent_id"], errors="coerce")
    if sent_id.isna().any() or (sent_id % 1 != 0).any():
        row = int(np.flatnonzero((sent_id.isna() | (sent_id % 1 != 0)).to_numpy())[0])
        raise DataError(
            f"the prediction table, row {row}: sent_id {predictions['sent_id'].iloc[row]!r} is not an integer"
        )
    pred["sent_id"] = sent_id.astype(np.int64)
    pred["target"] = pred["target"].astype(str)
    repeated = pred.duplicated(_KEY)
    if repeated.any():
        first = pred.loc[repeated].iloc[0]
        raise DataError(
            f"the prediction table repeats (article_id, sent_id, target) in {int(repeated.sum())} "
            f"row(s), first {first['article_id']!r}, {int(first['sent_id'])}, {first['target']!r}; "
            "expected one row per mention"
        )
    for col in (*_PROBA, "lexicon_signed"):
        pred[col] = pd.to_numeric(pred[col], errors="coerce").astype(np.float64)
    proba = pred[list(_PROBA)].to_numpy()
    bad = np.isfinite(proba) & ((proba < 0) | (proba > 1))
    if bad.any():
        row = int(np.flatnonzero(bad.any(axis=1))[0])
        raise DataError(
            f"the prediction table, row {row}: probabilities {proba[row].tolist()} outside [0, 1]"
        )
    predicted = pred["predicted"].astype(str)
    unknown = pred["predicted"].notna() & ~predicted.isin(schema.STANCE_LABELS)
    if unknown.any():
        row = int(np.flatnonzero(unknown.to_numpy())[0])
        raise DataError(
            f"the prediction table, row {row}: predicted label {pred['predicted'].iloc[row]!r}; "
            f"accepted: {list(schema.STANCE_LABELS)}"
        )
    return pred


def _lexicon_label(signed: pd.Series) -> pd.Series:
    against, neutral, favor = schema.STANCE_LABELS
    return pd.Series(
        np.select([signed > 0, signed < 0], [favor, against], default=neutral), index=signed.index
    ).where(signed.notna())


def _allocate(sizes: list[int], n: int, how: str, order: np.ndarray) -> list[int]:
    """Spread ``n`` draws over strata of ``sizes``; ``order`` (a permutation) breaks ties."""
    total = sum(sizes)
    if n >= total:
        return list(sizes)
    alloc = [0] * len(sizes)
    if how == "proportional":
        quota = [n * s / total for s in sizes]
        alloc = [math.floor(q) for q in quota]
        rank = sorted(range(len(sizes)), key=lambda k: (-(quota[k] - alloc[k]), order[k]))
        for k in rank[: n - sum(alloc)]:
            alloc[k] += 1
        return alloc
    remaining = n
    active = [k for k in range(len(sizes)) if sizes[k] > 0]
    while remaining > 0 and active:
        share = remaining // len(active)
        if share == 0:
            for k in sorted(active, key=lambda k: order[k])[:remaining]:
                alloc[k] += 1
            break
        for k in active:
            add = min(share, sizes[k] - alloc[k])
            alloc[k] += add
            remaining -= add
        active = [k for k in active if alloc[k] < sizes[k]]
    return alloc


def sample_items(
    items: pd.DataFrame,
    n: int,
    *,
    seed: int,
    strategy: str = "random",
    predictions: pd.DataFrame | None = None,
    strata: Sequence[str] = DEFAULT_STRATA,
    allocation: str = "equal",
    exclude: Iterable[str] = (),
) -> Sample:
    """Draw ``n`` items for manual coding, stratified and seeded (module docstring: strategies).

    Parameters
    ----------
    items : DataFrame
        From :func:`mention_items`.
    n : int
        Items to draw (fewer when fewer are eligible).
    seed : int
        The same items, seed and options give the same sample.
    strategy : {"random", "uncertainty", "disagreement"}
    predictions : DataFrame, optional
        Required by ``uncertainty`` and ``disagreement``: one row per (article_id, sent_id,
        target) with ``p_against``, ``p_neutral``, ``p_favor``, ``predicted`` and
        ``lexicon_signed`` (the prediction table of ``framing score``). Items without a row are
        not eligible.
    strata : sequence of str
        Item columns to stratify by; ``()`` for none.
    allocation : {"equal", "proportional"}
    exclude : iterable of str
        Item ids not to draw (items already sampled or coded).

    Returns
    -------
    Sample

    Raises
    ------
    ConfigError
        Bad ``n``, ``seed``, ``strategy``, ``allocation`` or stratum column, or a model-based
        strategy without predictions.
    DataError
        A malformed prediction table, or predictions that match no item.

    Examples
    --------
    >>> items = pd.DataFrame({"id": ["a:1:US", "b:1:US", "c:1:CN"], "target": ["US", "US", "CN"],
    ...                       "outlet": "x", "language": "en"})
    >>> s = sample_items(items, 2, seed=1, strata=["target"])
    >>> sorted(s.items["target"])
    ['CN', 'US']
    """
    if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)):
        raise ConfigError(f"seed must be an integer; received {seed!r}")
    if isinstance(n, bool) or not isinstance(n, (int, np.integer)) or n < 1:
        raise ConfigError(f"n must be a positive integer; received {n!r}")
    if strategy not in STRATEGIES:
        raise ConfigError(f"unknown strategy {strategy!r}; accepted: {list(STRATEGIES)}")
    if allocation not in ALLOCATIONS:
        raise ConfigError(f"unknown allocation {allocation!r}; accepted: {list(ALLOCATIONS)}")
    strata = list(strata)
    missing = [c for c in strata if c not in items.columns]
    if missing:
        raise ConfigError(f"unknown stratum column(s) {missing}; the items have {list(items.columns)}")
    notes: list[str] = []
    excluded = set(map(str, exclude))
    pool = items.loc[~items["id"].astype(str).isin(excluded)].copy()
    if excluded:
        notes.append(f"excluded {len(items) - len(pool)} item(s) already sampled or coded")
    pool["_rand"] = _unit_keys(int(seed), pool["id"], "draw")
    pool["priority"] = pool["_rand"]
    pool["_second"] = 0.0
    eligible = pd.Series(True, index=pool.index)
    if strategy != "random":
        if predictions is None:
            raise ConfigError(
                f"strategy {strategy!r} needs predictions (`framing score --method model "
                "--predictions FILE`); use strategy 'random' without a model"
            )
        pred = _check_predictions(predictions)
        for col in ("article_id", "target"):
            pool[col] = pool[col].astype(str)
        pool["sent_id"] = pool["sent_id"].astype(np.int64)
        pool = pool.merge(pred, on=_KEY, how="left", validate="one_to_one")
        pool.index = range(len(pool))
        proba = pool[list(_PROBA)].to_numpy(dtype=np.float64)
        has = np.isfinite(proba).all(axis=1)
        if not has.any() and len(pool):
            raise DataError(
                f"the predictions match none of the {len(pool)} items by (article_id, sent_id, "
                "target): were they computed on the same run?"
            )
        if (~has).any():
            notes.append(f"{int((~has).sum())} of {len(pool)} item(s) have no prediction: not eligible")
        proba = np.where(np.isfinite(proba), proba, 0.0)
        sums = proba.sum(axis=1, keepdims=True)
        p = np.divide(proba, sums, out=np.full_like(proba, 1 / 3), where=sums > 0)
        if strategy == "uncertainty":
            with np.errstate(divide="ignore", invalid="ignore"):
                h = -np.nansum(np.where(p > 0, p * np.log(p), 0.0), axis=1) / np.log(len(_PROBA))
            pool["priority"] = h
            eligible = pd.Series(has, index=pool.index)
        else:
            lex = _lexicon_label(pool["lexicon_signed"])
            predicted = pool["predicted"].astype(str)
            column = {lab: k for k, lab in enumerate(schema.STANCE_LABELS)}
            idx = predicted.map(column).fillna(0).astype(int).to_numpy()
            pool["priority"] = p[np.arange(len(pool)), idx]
            pool["_second"] = pool["lexicon_signed"].abs().fillna(0.0)
            eligible = pd.Series(has, index=pool.index) & lex.notna() & pool["predicted"].notna() & (
                lex != predicted
            )
            notes.append(
                f"{int(eligible.sum())} of {int(has.sum())} predicted item(s) have lexicon label != model label"
            )
    pool["_eligible"] = eligible.to_numpy()
    # Within a stratum: highest priority first (random: the seeded key), ties by the seeded key.
    ascending = strategy == "random"
    pool = pool.sort_values(
        ["priority", "_second", "_rand"], ascending=[ascending, False, True], kind="stable"
    )
    keys = strata or ["_all"]
    if not strata:
        pool["_all"] = ALL
    # Grouping by a list gives tuple names; the sort inside each group is kept.
    groups = list(pool.groupby(keys, sort=True, dropna=False))
    sizes = [int(part["_eligible"].sum()) for _, part in groups]
    order = _unit_keys(int(seed), [json.dumps(list(g), default=str) for g, _ in groups], "strata")
    alloc = _allocate(sizes, int(n), allocation, order)
    chosen, rows = [], []
    for (g, part), size, k in zip(groups, sizes, alloc, strict=True):
        chosen.append(part.loc[part["_eligible"]].head(k))
        rows.append({**dict(zip(keys, g, strict=True)), "available": len(part), "eligible": size,
                     "drawn": k})
    drawn = sum(alloc)
    if drawn < n:
        notes.append(f"drew {drawn} item(s): only {sum(sizes)} eligible for strategy {strategy!r}, {n} asked")
    picked = pd.concat(chosen) if chosen else pool.iloc[:0]
    picked = picked.assign(_order=_unit_keys(int(seed), picked["id"], "order"))
    picked = picked.sort_values("_order", kind="stable")
    picked["stratum"] = picked[keys].astype(str).agg(" | ".join, axis=1) if len(picked) else ""
    picked["strategy"] = strategy
    picked["label"] = ""
    picked["note"] = ""
    for col in SAMPLE_COLUMNS:
        if col not in picked.columns:
            picked[col] = ""
    table = pd.DataFrame(rows, columns=[*keys, "available", "eligible", "drawn"])
    params = {"strategy": strategy, "seed": int(seed), "n": int(n), "allocation": allocation,
              "strata": strata, "n_drawn": int(drawn),
              "n_excluded": int(items["id"].astype(str).isin(excluded).sum())}
    extra = [c for c in strata if c not in SAMPLE_COLUMNS]
    return Sample(picked[list(SAMPLE_COLUMNS) + extra].reset_index(drop=True), table, notes, params)


#: Default shares of :func:`split_by_article`.
SPLIT_FRACTIONS: dict[str, float] = {"train": 0.45, "dev": 0.15, "test": 0.40}


def split_by_article(
    article_ids: Iterable[str],
    *,
    seed: int,
    fractions: Mapping[str, float] | None = None,
    holdout: Iterable[str] = (),
) -> dict[str, str]:
    """Assign every article to one split (train / dev / test): no article is in two splits.

    Each article's split follows from a uniform key of sha256(seed, article id), so an article's
    split never depends on the other articles. Articles in ``holdout`` (for example those coded at
    article level, whose sentence scores are checked against the article's code) never go to the
    first split (``train``): they are spread over the others in proportion to their shares.

    Parameters
    ----------
    article_ids : iterable of str
    seed : int
    fractions : mapping, optional
        split -> share, in order (default ``SPLIT_FRACTIONS``); shares are normalised.
    holdout : iterable of str
        Article ids kept out of the first split.

    Returns
    -------
    dict
        article id -> split name.

    Examples
    --------
    >>> s = split_by_article(["a", "b", "c", "d"], seed=1, holdout=["a"])
    >>> s["a"] != "train" and set(s.values()) <= {"train", "dev", "test"}
    True
    """
    fractions = dict(fractions or SPLIT_FRACTIONS)
    if not fractions or any(not isinstance(v, (int, float)) or v <= 0 for v in fractions.values()):
        raise ConfigError(f"fractions must map split names to positive shares; received {fractions!r}")
    names = list(fractions)
    shares = np.asarray([fractions[n] for n in names], dtype=np.float64)
    ids = sorted({str(a) for a in article_ids})
    keys = _unit_keys(int(seed), ids, "split")
    held = {str(a) for a in holdout}
    out: dict[str, str] = {}
    for aid, key in zip(ids, keys, strict=True):
        part = shares[1:] if aid in held and len(shares) > 1 else shares
        offset = 1 if part is not shares else 0
        edges = np.cumsum(part) / part.sum()
        out[aid] = names[offset + int(np.searchsorted(edges, key, side="right"))]
    return out


def keyed_items(
    sample: pd.DataFrame,
    adjudicated: pd.DataFrame,
    *,
    splits: Mapping[str, str],
    corpus: str,
    holders: pd.DataFrame | None = None,
    extra_columns: Mapping[str, pd.Series] | None = None,
) -> pd.DataFrame:
    """Coded items keyed to their text without the text: what a project may keep of third-party news.

    Each item keeps its article id, sentence number, section and offsets, and the sha256 of the
    coded text (the sentence, or for article items the title and text as shown to the coders), so
    :func:`framing.stance.datasets.load_state` can read the text back from the corpus and check it.

    Parameters
    ----------
    sample : DataFrame
        :func:`read_sample` of the sample (mention or article items), with ``start``/``end``
        (the sentence's offsets in its section; empty for article items) added.
    adjudicated : DataFrame
        :func:`adjudicate` of the label codes (``id``, ``label``, ``resolution``, ``n_codes``).
    splits : mapping
        article id -> split (:func:`split_by_article`).
    corpus : str
        The corpus name, as in the coded set's ``meta.toml``.
    holders : DataFrame, optional
        :func:`adjudicate` of the holder codes.
    extra_columns : mapping, optional
        Column -> values aligned with ``sample`` (e.g. ``leaning``).

    Returns
    -------
    DataFrame
        ``framing.stance.datasets.STATE_ITEM_COLUMNS``; items without a resolved stance label left out.
    """
    from framing.stance.datasets import STATE_ITEM_COLUMNS

    table = sample.copy()
    for name, values in (extra_columns or {}).items():
        table[name] = list(values)
    lab = adjudicated.set_index("id")
    table["label"] = table["id"].map(lab["label"]).fillna("")
    table["label_resolution"] = table["id"].map(lab["resolution"]).fillna("")
    table["n_coders"] = table["id"].map(lab["n_codes"]).astype("Int64")
    if holders is not None:
        hol = holders.set_index("id")
        table["holder"] = table["id"].map(hol["label"]).fillna("")
        table["holder_resolution"] = table["id"].map(hol["resolution"]).fillna("")
    else:
        table["holder"] = table["holder_resolution"] = ""
    article = table["sent_id"].astype(int) == ARTICLE_SENT_ID
    out = pd.DataFrame({
        "item_id": table["id"],
        "unit": np.where(article, "article", "mention"),
        "corpus": corpus,
        "language": table["language"],
        "article_id": table["article_id"].astype(str),
        "sent_id": table["sent_id"].astype(int),
        "section": table["section"],
        "start": table.get("start", pd.Series(pd.NA, index=table.index)),
        "end": table.get("end", pd.Series(pd.NA, index=table.index)),
        "text_sha256": [hashlib.sha256(str(t).encode("utf-8")).hexdigest() for t in table["sentence"]],
        "target": table["target"],
        "mention": table["mention"],
        "span_start": table["span_start"].where(~article),
        "span_end": table["span_end"].where(~article),
        "outlet": table["outlet"],
        "leaning": table.get("leaning", pd.Series("", index=table.index)).fillna(""),
        "split": table["article_id"].astype(str).map(splits),
        "label": table["label"],
        "label_resolution": table["label_resolution"],
        "holder": table["holder"].where(~article, ""),
        "holder_resolution": table["holder_resolution"].where(~article, ""),
        "n_coders": table["n_coders"],
    })
    if out["split"].isna().any():
        first = out.loc[out["split"].isna(), "article_id"].iloc[0]
        raise DataError(f"no split for article {first!r}: pass every coded article to split_by_article")
    out = out.loc[out["label"].isin(schema.STANCE_LABELS)]
    return out[list(STATE_ITEM_COLUMNS)].sort_values("item_id", kind="stable").reset_index(drop=True)


# --------------------------------------------------------------------------------------------
# Export


def _codebook_header(codebook: Codebook) -> list[str]:
    labels = ", ".join(codebook.labels)
    lines = [
        f"# framing annotation sample. Fill the column 'label' with one of: {labels}. "
        "Leave it blank to skip an item; 'note' is free text. Do not edit other columns, "
        "reorder ids or delete rows.",
        f"# codebook: {codebook.id} sha256 {codebook.sha256}",
        f"# coding unit: {codebook.coding_unit}",
    ]
    if codebook.holders:
        lines.append(f"# Fill the column 'holder' too, with one of: {', '.join(codebook.holders)}.")
    if codebook.instructions:
        lines.append(f"# instructions: {codebook.instructions}")
    lines += [f"# {lab}: {codebook.definitions[lab]}" for lab in codebook.labels]
    lines += [f"# holder {h}: {codebook.holder_definitions[h]}" for h in codebook.holders]
    lines += [f"# rule '{r['name']}': {r['rule']} Examples: {' / '.join(r['examples'])}"
              for r in codebook.rules]
    return lines


def _with_holder(items: pd.DataFrame, codebook: Codebook) -> pd.DataFrame:
    """``items`` with an empty ``holder`` column after ``label`` when the codebook codes holders."""
    if not codebook.holders or "holder" in items.columns:
        return items
    at = list(items.columns).index("label") + 1 if "label" in items.columns else len(items.columns)
    return items.reindex(columns=[*items.columns[:at], "holder", *items.columns[at:]], fill_value="")


def _csv_text(header_comments: Sequence[str], table: pd.DataFrame) -> str:
    """CSV text; each comment line is one quoted-if-needed cell, so spreadsheets keep it whole.

    Formula cells are neutralised (:mod:`framing.infra.tableio`); :func:`_read_csv` restores them.
    """
    buf = io.StringIO()
    cells = [*header_comments, *table.columns, *(v for row in table.itertuples(index=False) for v in row)]
    writer = csv.writer(buf, lineterminator="\n", quoting=tableio.csv_quoting(cells))
    for line in header_comments:
        writer.writerow([line])
    writer.writerow([tableio.neutralise_cell(c) for c in table.columns])
    for row in table.itertuples(index=False):
        writer.writerow(["" if v is None or (isinstance(v, float) and math.isnan(v)) or v is pd.NA
                         else tableio.neutralise_cell(v) for v in row])
    return buf.getvalue()


def label_studio_config(codebook: Codebook) -> str:
    """The Label Studio labeling config (XML) for a sample coded under ``codebook``.

    One single-choice control named ``label`` (so Label Studio's CSV and JSON-MIN exports have a
    ``label`` column), an optional free-text ``note``, the marked sentence between its context
    sentences, and the codebook in a collapsible panel (each choice also carries its definition
    as a hover hint).

    Parameters
    ----------
    codebook : Codebook

    Returns
    -------
    str
        XML text; the task fields it reads are those of :func:`label_studio_tasks`.
    """
    def attr(value: str) -> str:
        return quoteattr(value)

    choices = "\n".join(
        f"    <Choice value={attr(lab)} hint={attr(codebook.definitions[lab])}/>" for lab in codebook.labels
    )
    definitions = "\n".join(
        f'        <Header value={attr(lab)} size="5"/>\n'
        f"        <Text name={attr('codebook_' + lab)} value={attr(codebook.definitions[lab])}/>"
        for lab in codebook.labels
    )
    instructions = (
        f'        <Header value="Instructions" size="5"/>\n'
        f"        <Text name=\"codebook_instructions\" value={attr(codebook.instructions)}/>\n"
        if codebook.instructions else ""
    )
    return (
        f"<!-- framing annotation: codebook {codebook.id} sha256 {codebook.sha256[:_SHA_SHOWN]} -->\n"
        "<View>\n"
        '  <Header value="$heading" size="4"/>\n'
        '  <View style="color: #666; margin-bottom: 0.5em">\n'
        '    <Text name="context_before" value="$context_before"/>\n'
        "  </View>\n"
        '  <View style="font-size: 1.15em; margin-bottom: 0.5em">\n'
        '    <Text name="sentence" value="$sentence_marked"/>\n'
        "  </View>\n"
        '  <View style="color: #666; margin-bottom: 1em">\n'
        '    <Text name="context_after" value="$context_after"/>\n'
        "  </View>\n"
        f'  <Choices name="{LS_CONTROL}" toName="sentence" choice="single-radio" required="true" '
        'showInline="true">\n'
        f"{choices}\n"
        "  </Choices>\n"
        f'  <TextArea name="{LS_NOTE}" toName="sentence" placeholder="note (optional)" '
        'maxSubmissions="1" editable="true"/>\n'
        "  <Collapse>\n"
        f"    <Panel value={attr('Codebook ' + codebook.id)}>\n"
        "      <View>\n"
        '        <Header value="Coding unit" size="5"/>\n'
        f"        <Text name=\"codebook_unit\" value={attr(codebook.coding_unit)}/>\n"
        f"{instructions}"
        f"{definitions}\n"
        "      </View>\n"
        "    </Panel>\n"
        "  </Collapse>\n"
        "</View>\n"
    )


def label_studio_tasks(sample: pd.DataFrame) -> list[dict[str, Any]]:
    """Label Studio tasks (``[{"data": {...}}, ...]``) for the items of a sample.

    ``data.item_id`` carries the item id (Label Studio keeps its own task ``id``); empty
    contexts are shown as ``"(none)"``. No labels or predictions are included.

    Parameters
    ----------
    sample : DataFrame
        ``Sample.items``.

    Returns
    -------
    list of dict
        JSON-ready; import the file :func:`write_sample` writes into a Label Studio project set
        up with :func:`label_studio_config`.
    """
    tasks = []
    for row in sample.itertuples(index=False):
        tasks.append({"data": {
            "item_id": row.id,
            "heading": f"Stance toward {row.target} (marked: {row.mention})",
            "target": row.target,
            "mention": row.mention,
            "context_before": row.context_before or _NO_CONTEXT,
            "sentence_marked": row.sentence_marked,
            "context_after": row.context_after or _NO_CONTEXT,
            "outlet": row.outlet,
            "language": row.language,
        }})
    return tasks


def write_sample(
    sample: Sample,
    folder: str | Path,
    *,
    codebook: Codebook,
    meta: Mapping[str, Any] | None = None,
) -> dict[str, Path]:
    """Write a sample for coding: CSV with codebook header, Label Studio tasks and config, manifest.

    Parameters
    ----------
    sample : Sample
    folder : path
        Created if needed; files named by ``SAMPLE_FILES``. Existing files are replaced.
    codebook : Codebook
    meta : mapping, optional
        Extra entries for ``sample.json`` (e.g. the input files and their sha256).

    Returns
    -------
    dict
        ``SAMPLE_FILES`` key -> path written. The files are byte-identical for the same inputs.
    """
    from framing.runs.folders import file_sha256, write_json, write_text

    folder = Path(folder)
    paths = {k: folder / v for k, v in SAMPLE_FILES.items()}
    write_text(_csv_text(_codebook_header(codebook), _with_holder(sample.items, codebook)), paths["sample"])
    # What a coder needs and nothing more: no outlet, leaning or stratum, which could anchor codes.
    blind = _with_holder(sample.items[list(CODER_COLUMNS)], codebook)
    write_text(_csv_text(_codebook_header(codebook), blind), paths["coder"])
    write_text(
        json.dumps(label_studio_tasks(sample.items), ensure_ascii=False, indent=1, sort_keys=True) + "\n",
        paths["tasks"],
    )
    write_text(label_studio_config(codebook), paths["config"])
    manifest = {
        **sample.params,
        "codebook": {"id": codebook.id, "sha256": codebook.sha256,
                     "path": str(codebook.path) if codebook.path else None},
        "n_items": len(sample.items),
        "sample_sha256": file_sha256(paths["sample"]),
        "strata_counts": json.loads(sample.strata.to_json(orient="records")),
        "notes": list(sample.notes),
        **dict(meta or {}),
    }
    write_json(manifest, paths["manifest"])
    return paths


# --------------------------------------------------------------------------------------------
# Reading files back


def _read_csv(path: Path) -> tuple[list[str], list[str], list[tuple[int, dict[str, str]]]]:
    """(comment lines, header, [(line number, row dict)]) of a CSV with optional '#' lines first.

    The delimiter is the one of ``,``/``;``/tab whose header row has an ``id`` or ``item_id``
    column (spreadsheets in some locales save with ``;``). Cells neutralised on writing
    (:func:`framing.infra.tableio.restore_cell`) get their original value back.
    """
    if not path.is_file():
        raise DataError(f"file not found: {path}")
    try:
        text = path.read_text(encoding="utf-8-sig")
    except UnicodeDecodeError as err:
        raise DataError(
            f"{path}: not UTF-8 text (byte {err.start}); save it as 'CSV UTF-8' and try again"
        ) from err
    for delimiter in _CSV_DELIMITERS:
        reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
        comments: list[str] = []
        header: list[str] | None = None
        try:
            for cells in reader:
                if not any(c.strip() for c in cells):
                    continue
                if cells[0].lstrip().startswith("#"):
                    comments.append(cells[0].strip())
                    continue
                header = [tableio.restore_cell(c.strip()) for c in cells]
                break
            if header is None or not {"id", "item_id"} & {h.lower() for h in header}:
                continue
            rows = []
            for cells in reader:
                if not any(c.strip() for c in cells):
                    continue
                if len(cells) > len(header) and any(c.strip() for c in cells[len(header):]):
                    raise DataError(
                        f"{path}, line {reader.line_num}: {len(cells)} cells but the header has "
                        f"{len(header)} columns"
                    )
                rows.append((reader.line_num, dict(zip(header, [tableio.restore_cell(c) for c in cells] + [""] *
                                                       (len(header) - len(cells)), strict=False))))
        except csv.Error as err:
            raise DataError(f"{path}, line {reader.line_num}: not valid CSV ({err})") from err
        lower = {h.lower(): h for h in header}
        rename = {lower[k]: k for k in lower if k in ("id", "item_id", "label", "note", "adjudicated")}
        rows = [(n, {rename.get(k, k): v for k, v in r.items()}) for n, r in rows]
        return comments, [rename.get(h, h) for h in header], rows
    raise DataError(
        f"{path}: no header row with an 'id' (or Label Studio 'item_id') column found; "
        "expected a sample CSV written by `framing annotate sample` (separated by , ; or tab)"
    )


def read_sample(path: str | Path) -> pd.DataFrame:
    """Read a sample CSV written by :func:`write_sample` (the reference for importing codes).

    Parameters
    ----------
    path : path

    Returns
    -------
    DataFrame
        ``SAMPLE_COLUMNS`` as text, except ``sent_id`` (int) and ``span_start``/``span_end``
        (Int64); ``attrs["codebook"]`` is the codebook line of the header (``""`` if none).

    Raises
    ------
    DataError
        Missing columns, a repeated or empty id, or a bad ``sent_id``; naming the row.
    """
    path = Path(path)
    comments, header, rows = _read_csv(path)
    required = ("id", "target", "sentence", "article_id", "sent_id")
    missing = [c for c in required if c not in header]
    if missing:
        raise DataError(
            f"{path}: missing columns {missing}; it has {header}. Pass the sample.csv that "
            "`framing annotate sample` wrote (unedited) as the reference"
        )
    seen: dict[str, int] = {}
    for line, row in rows:
        rid = row["id"].strip()
        if not rid:
            raise DataError(f"{path}, line {line}: empty id")
        if rid in seen:
            raise DataError(f"{path}, line {line}: id {rid!r} repeats line {seen[rid]}")
        seen[rid] = line
        if not row["sent_id"].strip().lstrip("-").isdigit():
            raise DataError(f"{path}, line {line}: sent_id {row['sent_id']!r} is not an integer")
    table = pd.DataFrame([r for _, r in rows], columns=header).fillna("")
    for col in SAMPLE_COLUMNS:
        if col not in table.columns:
            table[col] = ""
    table = table[list(SAMPLE_COLUMNS)].copy()
    table["id"] = table["id"].str.strip()
    table["sent_id"] = table["sent_id"].astype(str).str.strip().astype(np.int64)
    for col in ("span_start", "span_end"):
        table[col] = pd.to_numeric(table[col].replace("", None), errors="coerce").astype("Int64")
    table.attrs["codebook"] = next((c for c in comments if c.startswith("# codebook:")), "")
    table.attrs["lines"] = [line for line, _ in rows]
    return table


def read_sample_ids(path: str | Path) -> list[str]:
    """The item ids of a CSV with an ``id`` (or ``item_id``) column: a sample, coded or labelled file.

    Parameters
    ----------
    path : path

    Returns
    -------
    list of str
        Non-empty ids, in file order.
    """
    _, header, rows = _read_csv(Path(path))
    column = "id" if "id" in header else "item_id"
    return [row[column].strip() for _, row in rows if row[column].strip()]


def _normalise_label(value: Any, labels: Sequence[str], at: str) -> str:
    text = "" if value is None else str(value).strip().lower()
    if text and text not in labels:
        raise DataError(f"{at}: unknown label {value!r}; accepted: {list(labels)}, or blank to skip")
    return text


def _annotator(annotation: Mapping[str, Any]) -> str:
    who = annotation.get("completed_by", annotation.get("annotator", ""))
    if isinstance(who, dict):
        who = who.get("email") or who.get("id") or ""
    return str(who)


def _ls_choice(results: Any, labels: Sequence[str], at: str) -> tuple[str, str]:
    """(label, note) of one Label Studio annotation result list."""
    label, note = "", ""
    for res in results or []:
        value = res.get("value", {}) if isinstance(res, dict) else {}
        if res.get("type") == "choices" and res.get("from_name", LS_CONTROL) == LS_CONTROL:
            picked = value.get("choices") or []
            if len(picked) > 1:
                raise DataError(f"{at}: {len(picked)} labels chosen ({picked}); one is accepted")
            label = _normalise_label(picked[0] if picked else "", labels, at)
        elif res.get("type") == "textarea" and res.get("from_name") == LS_NOTE:
            note = " ".join(value.get("text") or [])
    return label, note


def _read_label_studio(path: Path, labels: Sequence[str]) -> tuple[list[str], list[dict[str, str]]]:
    """(item ids present, code rows {id, annotator, label, note, where}) of a Label Studio export."""
    limit = sys.get_int_max_str_digits()  # an integer longer than this stays text (no int())
    try:
        tasks = json.loads(
            path.read_text(encoding="utf-8-sig"),
            parse_int=lambda digits: digits if limit and len(digits) > limit else int(digits),
        )
    except (UnicodeDecodeError, json.JSONDecodeError) as err:
        raise DataError(f"{path}: not a Label Studio JSON export ({err})") from err
    except RecursionError as err:
        raise DataError(f"{path}: not a Label Studio JSON export (nested too deeply)") from err
    if not isinstance(tasks, list):
        raise DataError(f"{path}: expected a JSON list of tasks (Label Studio 'JSON' or 'JSON-MIN' export)")
    present, codes = [], []
    for i, task in enumerate(tasks, start=1):
        at = f"{path}, task {i}"
        if not isinstance(task, dict):
            raise DataError(f"{at}: expected an object, got {task!r:.60}")
        data = task.get("data", task)
        rid = str(data.get("item_id", "")).strip() if isinstance(data, dict) else ""
        if not rid:
            raise DataError(
                f"{at} (Label Studio id {task.get('id')!r}): no item_id; import tasks from the "
                f"{SAMPLE_FILES['tasks']} that `framing annotate sample` wrote"
            )
        at = f"{at}, item {rid!r}"
        present.append(rid)
        if "annotations" in task:  # full JSON export: one entry per annotator
            for annotation in task.get("annotations") or []:
                if annotation.get("was_cancelled"):
                    label, note = "", "skipped in Label Studio"
                else:
                    label, note = _ls_choice(annotation.get("result"), labels, at)
                codes.append({"id": rid, "annotator": _annotator(annotation), "label": label,
                              "note": note, "where": at})
        elif "data" not in task:  # JSON-MIN export: task fields and the choice at top level
            value = task.get(LS_CONTROL, "")
            if isinstance(value, dict):  # some versions nest {"choices": [...]}
                value = (value.get("choices") or [""])[0]
            codes.append({"id": rid, "annotator": _annotator(task),
                          "label": _normalise_label(value, labels, at),
                          "note": str(task.get(LS_NOTE, "") or ""), "where": at})
    return present, codes


def read_codes(
    path: str | Path,
    sample: pd.DataFrame,
    codebook: Codebook,
    *,
    coder: str | None = None,
    allow_missing: bool = False,
) -> pd.DataFrame:
    """Read one coded file: a filled-in sample CSV, or a Label Studio export (JSON, JSON-MIN, CSV).

    Parameters
    ----------
    path : path
        ``.csv``: one coder per file, columns ``id`` (or Label Studio's ``item_id``) and
        ``label``; a blank label is a skipped item. ``.json``: a Label Studio export; each
        annotator is a coder, named after the file when it has one annotator, else
        ``"<file stem>:<annotator>"``; a task without an annotation by a coder, or a cancelled
        one, is a skipped item.
    sample : DataFrame
        :func:`read_sample` of the sample the file was coded from.
    codebook : Codebook
    coder : str, optional
        Coder name (default: the file name without extension).
    allow_missing : bool
        Accept a file that lacks some sample items (rows deleted): they count as skipped.

    Returns
    -------
    DataFrame
        One row per (sample item, coder): ``id, coder, label, note, source``; ``label`` is
        ``""`` where the coder did not code the item.

    Raises
    ------
    DataError
        Unknown label, id not in the sample, repeated id, missing rows (unless
        ``allow_missing``), or an unreadable file; the message names the file and row.
    """
    path = Path(path)
    name = coder or path.stem
    ids = sample["id"].tolist()
    known = set(ids)
    suffix = path.suffix.lower()
    if suffix == ".json":
        if not path.is_file():
            raise DataError(f"file not found: {path}")
        if codebook.field != "label":
            raise DataError(f"{path}: Label Studio exports carry the label only; code {codebook.field!r} in the CSV")
        present, rows = _read_label_studio(path, codebook.labels)
        annotators = sorted({r["annotator"] for r in rows})
        for r in rows:
            r["coder"] = name if len(annotators) <= 1 else f"{name}:{r['annotator']}"
        coders = sorted({r["coder"] for r in rows}) or [name]
    elif suffix in (".csv", ".tsv", ".txt"):
        _, header, raw = _read_csv(path)
        id_col = "item_id" if "item_id" in header else "id"
        column = codebook.field
        if column not in header:
            raise DataError(
                f"{path}: no {column!r} column; it has {header}. Fill the {column} column of the sample CSV"
            )
        present, rows = [], []
        for line, row in raw:
            rid = row[id_col].strip()
            at = f"{path}, line {line}, id {rid!r}"
            present.append(rid)
            rows.append({"id": rid, "coder": name, "note": row.get("note", ""), "where": at,
                         "label": _normalise_label(row[column], codebook.labels, at)})
        coders = [name]
    else:
        raise DataError(f"{path}: unsupported file type {suffix!r}; accepted: .csv, .json (Label Studio export)")
    first_at: dict[str, int] = {}
    for k, rid in enumerate(present):
        if rid not in known:
            raise DataError(
                f"{rows[k]['where'] if k < len(rows) and rows[k]['id'] == rid else path}: id {rid!r} is "
                f"not in the sample ({len(ids)} items); was the file coded from another sample?"
            )
        if rid in first_at:
            raise DataError(f"{path}: id {rid!r} appears twice (entries {first_at[rid] + 1} and {k + 1})")
        first_at[rid] = k
    seen_pairs: dict[tuple[str, str], str] = {}
    for r in rows:
        key = (r["id"], r["coder"])
        if key in seen_pairs:
            raise DataError(f"{r['where']}: coder {r['coder']!r} coded this item twice (also {seen_pairs[key]})")
        seen_pairs[key] = r["where"]
    lacking = [i for i in ids if i not in first_at]
    if lacking and not allow_missing:
        raise DataError(
            f"{path}: {len(lacking)} sample item(s) missing (first: {lacking[:3]}); keep every row "
            "and leave the label blank to skip an item, or pass allow_missing (--allow-missing)"
        )
    by_key = {(r["id"], r["coder"]): r for r in rows}
    out = [
        {"id": i, "coder": c, "label": by_key.get((i, c), {}).get("label", ""),
         "note": str(by_key.get((i, c), {}).get("note", "") or ""), "source": str(path)}
        for c in coders for i in ids
    ]
    return pd.DataFrame(out, columns=["id", "coder", "label", "note", "source"])


def read_decisions(path: str | Path, sample: pd.DataFrame, codebook: Codebook) -> dict[str, str]:
    """Adjudicator decisions: a filled-in ``disagreements.csv`` (columns ``id``, ``adjudicated``).

    Parameters
    ----------
    path : path
    sample : DataFrame
    codebook : Codebook

    Returns
    -------
    dict
        item id -> label, for rows with a non-blank ``adjudicated`` cell.

    Raises
    ------
    DataError
        Missing column, unknown label, id not in the sample, or a repeated id; naming the row.
    """
    path = Path(path)
    _, header, rows = _read_csv(path)
    if "adjudicated" not in header:
        raise DataError(
            f"{path}: no 'adjudicated' column; it has {header}. Fill the 'adjudicated' column of "
            f"the {IMPORT_FILES['disagreements']} that `framing annotate import` wrote"
        )
    known = set(sample["id"])
    out: dict[str, str] = {}
    lines: dict[str, int] = {}
    for line, row in rows:
        rid = row.get("id", row.get("item_id", "")).strip()
        at = f"{path}, line {line}, id {rid!r}"
        if rid not in known:
            raise DataError(f"{at}: not an item of the sample")
        if rid in lines:
            raise DataError(f"{at}: repeats line {lines[rid]}")
        lines[rid] = line
        label = _normalise_label(row["adjudicated"], codebook.labels, at)
        if label:
            out[rid] = label
    return out


# --------------------------------------------------------------------------------------------
# Agreement


def _matrix(codes: pd.DataFrame, ids: Sequence[str]) -> pd.DataFrame:
    """items x coders, label or NaN."""
    table = codes.assign(label=codes["label"].replace("", np.nan))
    wide = table.pivot(index="id", columns="coder", values="label")
    return wide.reindex(index=list(ids), columns=sorted(wide.columns))


def _alpha(values: np.ndarray, domain: int, level: str) -> tuple[float, str]:
    """Krippendorff's alpha of an items x coders float matrix (NaN = missing), or NaN + why."""
    import krippendorff

    pairable = (np.isfinite(values).sum(axis=1) >= 2)
    if not pairable.any():
        return math.nan, "no item coded by two coders"
    if len(np.unique(values[pairable][np.isfinite(values[pairable])])) < 2:
        return math.nan, "one value only: alpha undefined"
    try:
        return float(krippendorff.alpha(reliability_data=values.T, value_domain=list(range(domain)),
                                        level_of_measurement=level)), ""
    except ValueError as err:
        return math.nan, str(err)


def _kappa(a: np.ndarray, b: np.ndarray, domain: int) -> float:
    from sklearn.metrics import cohen_kappa_score

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        value = cohen_kappa_score(a, b, labels=list(range(domain)))
    return float(value)


def _stats(values: np.ndarray, coders: Sequence[str], domain: int, ordinal: bool) -> dict[str, Any]:
    n_codes = np.isfinite(values).sum(axis=1)
    pairable = n_codes >= 2
    same = [len(set(row[np.isfinite(row)])) == 1 for row in values[pairable]]
    alpha, note = _alpha(values, domain, "nominal")
    alpha_ord = _alpha(values, domain, "ordinal")[0] if ordinal else math.nan
    kappas, pairs = [], []
    for (i, a), (j, b) in combinations(enumerate(coders), 2):
        both = np.isfinite(values[:, i]) & np.isfinite(values[:, j])
        k = _kappa(values[both, i], values[both, j], domain) if both.any() else math.nan
        agree = float(np.mean(values[both, i] == values[both, j])) if both.any() else math.nan
        pairs.append({"coder_a": a, "coder_b": b, "n_both": int(both.sum()), "pct_agree": agree, "kappa": k})
        if math.isfinite(k):
            kappas.append(k)
    if pairs and not kappas and pairable.any():
        note = "; ".join(x for x in (note, "kappa undefined (one label only)") if x)
    return {
        "n_items": len(values),
        "n_coded": int((n_codes >= 1).sum()),
        "n_pairable": int(pairable.sum()),
        "n_codes": int(n_codes.sum()),
        "pct_agree": float(np.mean(same)) if same else math.nan,
        "alpha": alpha,
        "alpha_ordinal": alpha_ord,
        "kappa_mean": float(np.mean(kappas)) if kappas else math.nan,
        "kappa_min": float(np.min(kappas)) if kappas else math.nan,
        "kappa_max": float(np.max(kappas)) if kappas else math.nan,
        "n_pairs": len(kappas),
        "note": note,
        "_pairs": pairs,
    }


def agreement(
    codes: pd.DataFrame, sample: pd.DataFrame, codebook: Codebook
) -> dict[str, pd.DataFrame]:
    """Inter-coder agreement per target and label (module docstring: definitions).

    Parameters
    ----------
    codes : DataFrame
        ``id, coder, label`` (``""`` = not coded), e.g. :func:`read_codes` of several files
        concatenated.
    sample : DataFrame
        The sample (``id``, ``target``).
    codebook : Codebook

    Returns
    -------
    dict of DataFrame
        ``"agreement"``: one row per (target, label), both including ``"(all)"``: ``n_items,
        n_coded, n_pairable, n_codes, pct_agree, alpha, alpha_ordinal, kappa_mean, kappa_min,
        kappa_max, n_pairs, note``. Label rows are the binary "is label X" coding.
        ``"pairs"``: kappa and agreement per (target, coder pair), all labels.
        ``"coders"``: per coder, items coded and skipped and the count of each label.
    """
    coded = codes.loc[codes["id"].isin(sample["id"])]
    coders = sorted(coded["coder"].unique())
    matrix = _matrix(coded, sample["id"].tolist())
    code_of = {lab: k for k, lab in enumerate(codebook.labels)}
    numeric = matrix.apply(lambda col: col.map(code_of)).to_numpy(dtype=np.float64)
    target = sample.set_index("id")["target"].reindex(matrix.index).to_numpy()
    rows, pair_rows = [], []
    for tgt in [ALL, *sorted(set(target))]:
        keep = np.ones(len(target), bool) if tgt == ALL else target == tgt
        part = numeric[keep]
        for lab in [ALL, *codebook.labels]:
            if lab == ALL:
                values, domain, ordinal = part, len(codebook.labels), codebook.ordered
            else:
                values = np.where(np.isfinite(part), (part == code_of[lab]).astype(float), np.nan)
                domain, ordinal = 2, False
            stats = _stats(values, coders, domain, ordinal)
            pairs = stats.pop("_pairs")
            rows.append({"target": tgt, "label": lab, **stats})
            if lab == ALL:
                pair_rows += [{"target": tgt, **p} for p in pairs]
    counts = []
    for c in coders:
        labels = coded.loc[coded["coder"] == c, "label"]
        counts.append({"coder": c, "n_items": len(labels), "n_coded": int((labels != "").sum()),
                       "n_skipped": int((labels == "").sum()),
                       **{f"n_{lab}": int((labels == lab).sum()) for lab in codebook.labels}})
    return {
        "agreement": pd.DataFrame(rows),
        "pairs": pd.DataFrame(pair_rows, columns=["target", "coder_a", "coder_b", "n_both",
                                                  "pct_agree", "kappa"]),
        "coders": pd.DataFrame(counts),
    }


def _majority(labels: Sequence[str]) -> str:
    """The label more than half of ``labels`` share, else ""."""
    if not labels:
        return ""
    values, counts = np.unique(np.asarray(labels, dtype=object), return_counts=True)
    k = int(np.argmax(counts))
    return str(values[k]) if counts[k] * 2 > len(labels) else ""


def adjudicate(
    codes: pd.DataFrame,
    sample: pd.DataFrame,
    *,
    decisions: Mapping[str, str] | None = None,
) -> pd.DataFrame:
    """One label per item by the adjudication rule (module docstring).

    Parameters
    ----------
    codes : DataFrame
        ``id, coder, label`` (``""`` = not coded).
    sample : DataFrame
        The sample (``id``).
    decisions : mapping, optional
        item id -> label chosen by an adjudicator (:func:`read_decisions`); wins over the codes.

    Returns
    -------
    DataFrame
        ``id, label, resolution, n_codes, codes`` in sample order; ``resolution`` is one of
        ``adjudicated, agreed, single, majority, unresolved, uncoded``; ``label`` is ``""`` for
        the last two; ``codes`` lists the codes, e.g. ``"favor 2, neutral 1"``.
    """
    decisions = dict(decisions or {})
    given = codes.loc[codes["label"] != ""].groupby("id")["label"].apply(list)
    rows = []
    for rid in sample["id"]:
        labels = list(given.get(rid, []))
        counts = pd.Series(labels, dtype=object).value_counts()
        summary = ", ".join(f"{lab} {int(k)}" for lab, k in sorted(counts.items()))
        if rid in decisions:
            label, how = decisions[rid], "adjudicated"
        elif not labels:
            label, how = "", "uncoded"
        elif len(set(labels)) == 1:
            label, how = labels[0], "agreed" if len(labels) > 1 else "single"
        elif _majority(labels):
            label, how = _majority(labels), "majority"
        else:
            label, how = "", "unresolved"
        rows.append({"id": rid, "label": label, "resolution": how, "n_codes": len(labels), "codes": summary})
    return pd.DataFrame(rows, columns=["id", "label", "resolution", "n_codes", "codes"])


def disagreements(codes: pd.DataFrame, sample: pd.DataFrame) -> pd.DataFrame:
    """Items coded by two or more coders with different labels, laid out for adjudication.

    Parameters
    ----------
    codes : DataFrame
        ``id, coder, label`` (``""`` = not coded).
    sample : DataFrame
        The sample (``SAMPLE_COLUMNS``).

    Returns
    -------
    DataFrame
        ``id, target, mention, context_before, sentence_marked, context_after``, one
        ``code:<coder>`` column per coder, ``majority`` (``""`` when none), and an empty
        ``adjudicated`` and ``note`` column to fill in; sample order.
    """
    matrix = _matrix(codes.loc[codes["id"].isin(sample["id"])], sample["id"].tolist())
    values = matrix.to_numpy(dtype=object)
    keep = []
    for row in values:
        given = [v for v in row if isinstance(v, str)]
        keep.append(len(given) >= 2 and len(set(given)) > 1)
    keep = np.asarray(keep, dtype=bool)
    base = sample.set_index("id").loc[matrix.index[keep]]
    out = pd.DataFrame({
        "id": matrix.index[keep],
        **{c: base[c].to_numpy() for c in ("target", "mention", "context_before", "sentence_marked",
                                           "context_after")},
    })
    for coder in matrix.columns:
        out[f"{CODE_PREFIX}{coder}"] = matrix.loc[keep, coder].fillna("").to_numpy()
    out["majority"] = [_majority([v for v in row if isinstance(v, str)]) for row in values[keep]]
    out["adjudicated"] = ""
    out["note"] = ""
    return out


def labelled_table(adjudicated: pd.DataFrame, sample: pd.DataFrame, codebook: Codebook) -> pd.DataFrame:
    """The adjudicated items as a labelled table for ``framing.stance.datasets.load_labelled``.

    Parameters
    ----------
    adjudicated : DataFrame
        :func:`adjudicate`.
    sample : DataFrame
    codebook : Codebook

    Returns
    -------
    DataFrame
        ``id, sentence, target, span_start, span_end, label`` (``target`` is the mention's
        surface form, as the classifier sees it) plus ``label_source`` (``"coded:<codebook id>"``),
        ``target_id, article_id, sent_id, outlet, language, resolution, n_codes``; sorted by id.
        Items without a label, or with a label that is not a stance label, are left out.
    """
    joined = adjudicated.merge(sample.drop(columns=["label"]), on="id", how="left", validate="one_to_one")
    keep = joined["label"].isin(schema.STANCE_LABELS if codebook.field == "label" else codebook.labels)
    joined = joined.loc[keep].sort_values("id", kind="stable")
    mention = joined["mention"].where(joined["mention"].astype(str).str.strip() != "", joined["target"])
    return pd.DataFrame({
        "id": joined["id"],
        "sentence": joined["sentence"],
        "target": mention,
        "span_start": joined["span_start"].astype("Int64"),
        "span_end": joined["span_end"].astype("Int64"),
        codebook.field: joined["label"],
        "label_source": f"{LABEL_SOURCE_PREFIX}{codebook.id}",
        "target_id": joined["target"],
        "article_id": joined["article_id"],
        "sent_id": joined["sent_id"],
        "outlet": joined["outlet"],
        "language": joined["language"],
        "resolution": joined["resolution"],
        "n_codes": joined["n_codes"],
    }).reset_index(drop=True)


def codes_sha256(codes: pd.DataFrame) -> str:
    """sha256 of the codes themselves (``id\\tcoder\\tlabel`` lines, sorted): format-independent.

    Examples
    --------
    >>> a = pd.DataFrame({"id": ["x", "y"], "coder": ["c", "c"], "label": ["favor", ""]})
    >>> codes_sha256(a) == codes_sha256(a.iloc[::-1])
    True
    """
    lines = sorted(f"{i}\t{c}\t{lab}\n" for i, c, lab in zip(codes["id"], codes["coder"], codes["label"],
                                                              strict=True))
    return hashlib.sha256("".join(lines).encode("utf-8")).hexdigest()


# --------------------------------------------------------------------------------------------
# Import, end to end


@dataclass
class ImportResult:
    """Everything :func:`import_codes` found; write it with :func:`write_import`."""

    sample: pd.DataFrame
    codes: pd.DataFrame
    agreement: pd.DataFrame
    pairs: pd.DataFrame
    coders: pd.DataFrame
    disagreements: pd.DataFrame
    adjudicated: pd.DataFrame
    labelled: pd.DataFrame
    codebook: Codebook
    sources: list[dict[str, Any]] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


def import_codes(
    sample_path: str | Path,
    coded_paths: Sequence[str | Path],
    *,
    codebook: Codebook | None = None,
    coders: Sequence[str] | None = None,
    allow_missing: bool = False,
    decisions_path: str | Path | None = None,
    field: str = "label",
) -> ImportResult:
    """Read coded files against their sample, check them, measure agreement and adjudicate.

    Parameters
    ----------
    sample_path : path
        The ``sample.csv`` the files were coded from.
    coded_paths : sequence of path
        One per coder (CSV), or Label Studio exports (JSON; one or more annotators each).
    codebook : Codebook, optional
        Default :func:`load_codebook` ().
    coders : sequence of str, optional
        A name per coded file (default: file names without extension).
    allow_missing : bool
        See :func:`read_codes`.
    decisions_path : path, optional
        A filled-in ``disagreements.csv`` (:func:`read_decisions`).
    field : {"label", "holder"}
        The coded column to import; ``"holder"`` needs a codebook with ``[[holders]]`` and gives
        agreement, disagreements and adjudication of the holder (the labelled file then has a
        ``holder`` column instead of ``label``).

    Returns
    -------
    ImportResult

    Raises
    ------
    ConfigError
        No coded file, a coder named twice, or ``coders`` of the wrong length.
    DataError
        Any problem in a file (see :func:`read_sample`, :func:`read_codes`).
    """
    from framing.runs.folders import file_sha256

    codebook = (codebook or load_codebook()).for_field(field)
    if not coded_paths:
        raise ConfigError("no coded file given; pass one file per coder (or Label Studio exports)")
    if coders is not None and len(coders) != len(coded_paths):
        raise ConfigError(f"{len(coders)} coder name(s) for {len(coded_paths)} file(s); give one per file")
    sample = read_sample(sample_path)
    notes: list[str] = []
    stated = sample.attrs.get("codebook", "")
    if stated and codebook.sha256 not in stated:
        notes.append(f"the sample was drawn under '{stated[2:]}', codes read with {codebook.id} "
                     f"sha256 {codebook.sha256}: check that the label definitions match")
    tables, sources, owner = [], [], {}
    for k, path in enumerate(coded_paths):
        table = read_codes(path, sample, codebook, coder=coders[k] if coders else None,
                           allow_missing=allow_missing)
        for c in table["coder"].unique():
            if c in owner:
                raise ConfigError(
                    f"coder {c!r} comes from both {owner[c]} and {path}; name coders with --coders a,b,..."
                )
            owner[c] = str(path)
        tables.append(table)
        sources.append({"path": str(path), "sha256": file_sha256(path),
                        "coders": sorted(table["coder"].unique())})
    codes = pd.concat(tables, ignore_index=True)
    n_coders = codes["coder"].nunique()
    if n_coders < 2:
        notes.append("one coder only: agreement needs two or more; codes taken as they are")
    skipped = int((codes["label"] == "").sum())
    if skipped:
        notes.append(f"{skipped} code(s) missing (items a coder skipped): left out of agreement pairs")
    stats = agreement(codes, sample, codebook)
    decisions = read_decisions(decisions_path, sample, codebook) if decisions_path else {}
    adjudicated = adjudicate(codes, sample, decisions=decisions)
    labelled = labelled_table(adjudicated, sample, codebook)
    counts = adjudicated["resolution"].value_counts()
    if counts.get("unresolved", 0):
        notes.append(f"{int(counts['unresolved'])} item(s) unresolved: fill 'adjudicated' in "
                     f"{IMPORT_FILES['disagreements']} and import again with it as the adjudication file "
                     "(into another output folder)")
    other = adjudicated["label"].ne("") & ~adjudicated["label"].isin(
        schema.STANCE_LABELS if field == "label" else codebook.labels)
    if other.any():
        notes.append(f"{int(other.sum())} item(s) with non-stance labels left out of the labelled file")
    return ImportResult(
        sample=sample, codes=codes, agreement=stats["agreement"], pairs=stats["pairs"],
        coders=stats["coders"], disagreements=disagreements(codes, sample), adjudicated=adjudicated,
        labelled=labelled, codebook=codebook, sources=sources, notes=notes,
    )


def write_import(result: ImportResult, folder: str | Path) -> dict[str, Any]:
    """Write the tables of an import (``IMPORT_FILES``) and return their paths and hashes.

    Parameters
    ----------
    result : ImportResult
    folder : path

    Returns
    -------
    dict
        ``IMPORT_FILES`` key -> path, plus ``labelled_sha256`` (sha256 of ``labelled.csv``, the
        value ``framing train`` records for that file) and ``codes_sha256`` (:func:`codes_sha256`).
    """
    from framing.runs.folders import file_sha256, write_json, write_text

    folder = Path(folder)
    paths = {k: folder / v for k, v in IMPORT_FILES.items()}

    def csv_out(table: pd.DataFrame, key: str) -> None:
        write_text(tableio.csv_text(table, lineterminator="\n"), paths[key])

    csv_out(result.agreement, "agreement")
    csv_out(result.pairs, "pairs")
    csv_out(result.coders, "coders")
    csv_out(result.codes[["id", "coder", "label", "note"]], "codes")
    csv_out(result.disagreements, "disagreements")
    csv_out(result.adjudicated, "adjudicated")
    csv_out(result.labelled, "labelled")
    out: dict[str, Any] = dict(paths)
    out["labelled_sha256"] = file_sha256(paths["labelled"])
    out["codes_sha256"] = codes_sha256(result.codes)
    overall = result.agreement.loc[(result.agreement["target"] == ALL) & (result.agreement["label"] == ALL)]
    summary = json.loads(overall.drop(columns=["target", "label"]).to_json(orient="records"))
    write_json({
        "codebook": {"id": result.codebook.id, "sha256": result.codebook.sha256},
        "sources": result.sources,
        "n_items": len(result.sample),
        "n_coders": int(result.codes["coder"].nunique()),
        "resolution": {k: int(v) for k, v in result.adjudicated["resolution"].value_counts().sort_index().items()},
        "n_disagreements": len(result.disagreements),
        "n_labelled": len(result.labelled),
        "agreement_overall": summary[0] if summary else {},
        "labelled_sha256": out["labelled_sha256"],
        "codes_sha256": out["codes_sha256"],
        "notes": list(result.notes),
    }, paths["manifest"])
    return out
