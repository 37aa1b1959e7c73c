"""Splits of a coded set: each article in one split, and coded items keyed to their text without it."""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Mapping

import numpy as np
import pandas as pd

from framing.annotate.items import ARTICLE_SENT_ID
from framing.annotate.sample import unit_keys
from framing.infra import schema
from framing.infra.errors import ConfigError, DataError

__all__ = ["SPLIT_FRACTIONS", "keyed_items", "split_by_article"]

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
    keys = unit_keys(int(seed), ids, "split")
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
