"""Codable items: one per mention (article, sentence, target) or per (article, target), with context.

An item's id is ``"<article_id>:<sent_id>:<target>"`` (:func:`item_id`): the same mention gets the
same id in every sample, so coded files join back and earlier batches can be excluded. The
target's words are marked ``[[like this]]`` in ``sentence_marked``; ``context_before`` and
``context_after`` are the previous and next sentence of the same article (the title counts as
the sentence before the first body sentence). Articles flagged as exact or near duplicates (wire
copies) and repeats of the same (sentence, target) are left out, so no coding effort is spent
twice. Model predictions are never shown to coders (they would anchor the codes).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from pathlib import Path

import numpy as np
import pandas as pd

from framing.infra.errors import DataError

__all__ = [
    "ALL",
    "ARTICLE_SENT_ID",
    "UNITS",
    "article_items",
    "item_id",
    "mark_spans",
    "mention_items",
    "read_run",
]

#: Marks put around the target's words in ``sentence_marked``.
MARK_OPEN, MARK_CLOSE = "[[", "]]"
#: The value that stands for all values of a column: ``target``/``label`` in agreement rows that
#: pool all targets or all labels, and the one stratum of a sample drawn without strata.
ALL = "(all)"


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


#: Columns of a mention item (:func:`mention_items`), before any ``article_columns``.
_ITEM_COLUMNS: tuple[str, ...] = (
    "id", "article_id", "sent_id", "section", "target", "mention", "outlet", "language",
    "sentence", "span_start", "span_end", "spans", "sentence_marked", "context_before",
    "context_after",
)


def _articles_by_id(articles: pd.DataFrame) -> pd.DataFrame:
    """The article table indexed by article id (as str), the first row of a repeated id."""
    art = articles.assign(article_id=articles["article_id"].astype(str)).drop_duplicates("article_id")
    return art.set_index("article_id")


def _copies(art: pd.DataFrame) -> pd.Series:
    """Which articles of :func:`_articles_by_id` are flagged as exact or near duplicates."""
    flagged = pd.Series(False, index=art.index)
    for col in ("duplicate_of", "near_duplicate_of"):
        if col in art.columns:
            flagged |= art[col].notna() & (art[col].astype(str).str.strip() != "")
    return flagged


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

    columns = list(_ITEM_COLUMNS)
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
    art = _articles_by_id(articles)
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
        copies = items["article_id"].map(_copies(art)).fillna(False).astype(bool)
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
    columns = [*_ITEM_COLUMNS, "n_mentions"]
    art = _articles_by_id(articles)
    missing = [c for c in article_columns if c not in art.columns and c not in columns]
    if missing:
        raise DataError(f"the article table has no column(s) {missing}; it has {list(art.columns)}")
    if drop_duplicates:
        art = art.loc[~_copies(art)]
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
