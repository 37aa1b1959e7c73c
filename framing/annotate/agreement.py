"""Inter-coder agreement (Krippendorff's alpha, Cohen's kappa per pair), disagreements, adjudication.

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

import hashlib
import math
import warnings
from collections.abc import Mapping, Sequence
from itertools import combinations
from typing import Any

import numpy as np
import pandas as pd

from framing.annotate.codebook import Codebook
from framing.annotate.items import ALL
from framing.infra import schema
from framing.infra.defaults import LABEL_SOURCE_PREFIX

__all__ = [
    "CODE_PREFIX",
    "adjudicate",
    "agreement",
    "codes_sha256",
    "disagreements",
    "labelled_table",
]

#: Prefix of the per-coder columns of ``disagreements.csv``.
CODE_PREFIX = "code:"


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
    codes, sample : DataFrame
        As for :func:`adjudicate`; the sample with its ``SAMPLE_COLUMNS``.

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
