"""Metrics against gold labels: macro-F1, accuracy, per-class scores, confusion matrix, calibration.

Pure scikit-learn/numpy. Tables come back as tidy DataFrames (one row per observation) so that
plotting and reporting code can use them without recomputing anything.

Calibration is measured with the expected calibration error (ECE) of the top-label confidence:
the confidence of a prediction is the largest class probability; confidences are binned into
``n_bins`` equal-width bins over [0, 1] (bin ``b`` holds ``(b/n, (b+1)/n]``, the first bin also
holds 0); ECE is the sum over non-empty bins of ``(n_b / N) * |accuracy_b - mean confidence_b|``
(Guo et al. 2017, "On calibration of modern neural networks").
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd
from sklearn.metrics import accuracy_score, confusion_matrix, precision_recall_fscore_support

from framing.infra.errors import ConfigError
from framing.infra.schema import STANCE_LABELS  # re-exported: the label order of the stance task


def resolve_labels(y_true: Sequence, y_pred: Sequence, labels: Sequence | None) -> list:
    """Return the label order to report: ``labels`` if given, else the stance labels when every
    value is one of them, else the sorted union of the values."""
    if labels is not None:
        return list(labels)
    seen = set(pd.unique(np.asarray(list(y_true) + list(y_pred), dtype=object)))
    if seen <= set(STANCE_LABELS):
        return list(STANCE_LABELS)
    return sorted(seen, key=str)


def expected_calibration_error(
    y_true: Sequence, proba: np.ndarray, labels: Sequence, *, n_bins: int = 10
) -> float:
    """Expected calibration error of the top-label confidence (equal-width bins over [0, 1]).

    Parameters
    ----------
    y_true : sequence
        Gold labels.
    proba : array of shape (n, len(labels))
        Predicted probabilities, columns in the order of ``labels``.
    labels : sequence
        Label of each column of ``proba``.
    n_bins : int, default 10
        Number of equal-width confidence bins.

    Returns
    -------
    float
        ECE in [0, 1]; 0 for a perfectly calibrated predictor.

    Examples
    --------
    >>> proba = np.array([[0.8, 0.2], [0.6, 0.4]])
    >>> round(expected_calibration_error(["a", "b"], proba, ["a", "b"]), 4)
    0.4
    """
    proba = np.asarray(proba, dtype=float)
    confidence = proba.max(axis=1)
    predicted = np.asarray(labels, dtype=object)[proba.argmax(axis=1)]
    correct = predicted == np.asarray(y_true, dtype=object)
    edges = np.linspace(0.0, 1.0, n_bins + 1)
    # right=True puts (edges[b], edges[b + 1]] in bin b; confidence 0 joins the first bin.
    bins = np.clip(np.digitize(confidence, edges[1:-1], right=True), 0, n_bins - 1)
    ece = 0.0
    for b in np.unique(bins):
        in_bin = bins == b
        ece += in_bin.mean() * abs(correct[in_bin].mean() - confidence[in_bin].mean())
    return float(ece)


def classification_report(
    y_true: Sequence,
    y_pred: Sequence,
    proba: np.ndarray | None = None,
    labels: Sequence | None = None,
    *,
    n_bins: int = 10,
) -> dict:
    """Score predictions against gold labels.

    Parameters
    ----------
    y_true, y_pred : sequence
        Gold and predicted labels, same length.
    proba : array of shape (n, len(labels)), optional
        Predicted probabilities with columns in the order of ``labels``; adds ``ece``.
    labels : sequence, optional
        Labels to report, in order. Default: ``STANCE_LABELS`` when every value is a stance label,
        else the sorted union of the values.
    n_bins : int, default 10
        Confidence bins for the expected calibration error (see module docstring).

    Returns
    -------
    dict
        ``labels`` (list), ``n`` (int), ``accuracy``, ``macro_f1``, ``macro_precision``,
        ``macro_recall`` (floats), ``per_class`` (DataFrame: label, precision, recall, f1, support),
        ``confusion`` (tidy DataFrame: true, predicted, count; every pair of labels, zeros
        included), and ``ece`` (float, or None without ``proba``). Undefined precision or recall
        (no predictions or no gold examples of a class) counts as 0.

    Examples
    --------
    >>> r = classification_report(["favor", "against"], ["favor", "favor"])
    >>> r["accuracy"], round(r["macro_f1"], 4)
    (0.5, 0.2222)
    """
    y_true = list(y_true)
    y_pred = list(y_pred)
    if len(y_true) != len(y_pred):
        raise ConfigError(
            f"y_true has {len(y_true)} labels but y_pred has {len(y_pred)}; they must be equally long"
        )
    if not y_true:
        raise ConfigError("cannot score an empty set of predictions")
    labels = resolve_labels(y_true, y_pred, labels)
    unknown = sorted({str(v) for v in y_true + y_pred} - {str(v) for v in labels})
    if unknown:
        raise ConfigError(f"labels {unknown} are not among the reported labels {labels}")

    precision, recall, f1, support = precision_recall_fscore_support(
        y_true, y_pred, labels=labels, zero_division=0
    )
    per_class = pd.DataFrame(
        {"label": labels, "precision": precision, "recall": recall, "f1": f1, "support": support}
    )
    matrix = confusion_matrix(y_true, y_pred, labels=labels)
    confusion = pd.DataFrame(
        [
            {"true": t, "predicted": p, "count": int(matrix[i, j])}
            for i, t in enumerate(labels)
            for j, p in enumerate(labels)
        ]
    )
    ece = None
    if proba is not None:
        proba = np.asarray(proba, dtype=float)
        if proba.shape != (len(y_true), len(labels)):
            raise ConfigError(
                f"proba has shape {proba.shape}; expected ({len(y_true)}, {len(labels)}): one row "
                f"per example, one column per label in the order {labels}"
            )
        ece = expected_calibration_error(y_true, proba, labels, n_bins=n_bins)
    return {
        "labels": labels,
        "n": len(y_true),
        "accuracy": float(accuracy_score(y_true, y_pred)),
        "macro_f1": float(np.mean(f1)),
        "macro_precision": float(np.mean(precision)),
        "macro_recall": float(np.mean(recall)),
        "per_class": per_class,
        "confusion": confusion,
        "ece": ece,
    }


def report_to_json(report: dict) -> dict:
    """Return ``report`` with its tables as lists of records, ready for ``json.dumps``."""
    out = {}
    for key, value in report.items():
        if isinstance(value, pd.DataFrame):
            out[key] = [
                {k: (v.item() if isinstance(v, np.generic) else v) for k, v in row.items()}
                for row in value.to_dict(orient="records")
            ]
        else:
            out[key] = value
    return out


def score_agreement(scores: pd.DataFrame, coded: pd.DataFrame, *, by: Sequence[str] = ()) -> pd.DataFrame:
    """How well article scores match article-level codes: macro-F1 of the labels, Spearman of the scores.

    Parameters
    ----------
    scores : DataFrame
        ``article_id``, ``target``, ``score``, ``label`` (e.g. :func:`framing.stance.model_scoring.rescore`).
    coded : DataFrame
        ``article_id``, ``target`` (the target id), ``label`` (the code), and the ``by`` columns.
        A coded pair without a score counts as scored 0, neutral (nothing was found to score).
    by : sequence of str
        Columns of ``coded`` to report separately (e.g. ``language``); an ``(all)`` row is added.

    Returns
    -------
    DataFrame
        ``by`` columns, ``n``, ``macro_f1`` (over the labels that occur in the codes or the
        scores), ``accuracy``, ``spearman`` (of score against the code as -1 / 0 / +1; NaN when
        either is constant).

    Examples
    --------
    >>> s = pd.DataFrame({"article_id": ["a", "b"], "target": "US", "score": [-0.4, 0.0],
    ...                   "label": ["against", "neutral"]})
    >>> c = pd.DataFrame({"article_id": ["a", "b"], "target": "US", "label": ["against", "neutral"]})
    >>> score_agreement(s, c)[["n", "macro_f1", "spearman"]].round(3).values.tolist()
    [[2.0, 1.0, 1.0]]
    """
    from scipy.stats import spearmanr

    key = ["article_id", "target"]
    joined = coded.assign(article_id=coded["article_id"].astype(str)).merge(
        scores[[*key, "score", "label"]].assign(article_id=scores["article_id"].astype(str)),
        on=key, how="left", suffixes=("", "_scored"), validate="one_to_one",
    )
    joined["score"] = joined["score"].fillna(0.0)
    joined["label_scored"] = joined["label_scored"].fillna("neutral")
    code = joined["label"].map({"against": -1.0, "neutral": 0.0, "favor": 1.0})
    groups = [((), joined)] if not by else [((), joined), *joined.groupby(list(by), sort=True)]
    rows = []
    for name, part in groups:
        # Macro over the labels that occur (in the codes or the scores): a label absent from
        # both (no Dutch article is coded favor) would otherwise count as an F1 of 0.
        present = [lab for lab in STANCE_LABELS if lab in set(part["label"]) | set(part["label_scored"])]
        report = classification_report(part["label"], part["label_scored"], labels=present)
        values = code.loc[part.index]
        rho = (spearmanr(part["score"], values).statistic
               if part["score"].nunique() > 1 and values.nunique() > 1 else np.nan)
        names = name if isinstance(name, tuple) else (name,)
        rows.append({**{c: (names[i] if name != () else "(all)") for i, c in enumerate(by)},
                     "n": len(part), "macro_f1": report["macro_f1"], "accuracy": report["accuracy"],
                     "spearman": float(rho)})
    return pd.DataFrame(rows, columns=[*by, "n", "macro_f1", "accuracy", "spearman"])
