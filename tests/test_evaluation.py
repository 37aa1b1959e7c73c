"""Metrics on hand-made labels, checked against values worked out by hand."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from framing.infra.errors import ConfigError
from framing.stance.evaluation import (
    STANCE_LABELS,
    classification_report,
    expected_calibration_error,
    report_to_json,
)

# Worked by hand: against P=2/2 R=2/3 F1=0.8; neutral P=1/2 R=1/2 F1=0.5; favor P=1/2 R=1/1 F1=2/3.
Y_TRUE = ["against", "against", "against", "neutral", "neutral", "favor"]
Y_PRED = ["against", "against", "neutral", "neutral", "favor", "favor"]
# Confidences kept off the bin edges: 0.85, 0.85 (right), 0.55 (wrong), 0.65 (right), 0.55 (wrong),
# 0.75 (right) -> ECE = (2 * 0.15 + 2 * 0.55 + 0.35 + 0.25) / 6 = 1/3.
PROBA = np.array(
    [
        [0.85, 0.10, 0.05],
        [0.85, 0.05, 0.10],
        [0.30, 0.55, 0.15],
        [0.20, 0.65, 0.15],
        [0.15, 0.30, 0.55],
        [0.10, 0.15, 0.75],
    ]
)


def test_scores_match_hand_computed_values():
    report = classification_report(Y_TRUE, Y_PRED)
    assert report["labels"] == list(STANCE_LABELS)
    assert report["n"] == 6
    assert report["accuracy"] == pytest.approx(4 / 6)
    assert report["macro_f1"] == pytest.approx((0.8 + 0.5 + 2 / 3) / 3)
    assert report["macro_precision"] == pytest.approx((1 + 0.5 + 0.5) / 3)
    assert report["macro_recall"] == pytest.approx((2 / 3 + 0.5 + 1) / 3)
    per_class = report["per_class"].set_index("label")
    assert per_class.loc["against", "f1"] == pytest.approx(0.8)
    assert per_class.loc["neutral", "precision"] == pytest.approx(0.5)
    assert per_class.loc["favor", "recall"] == pytest.approx(1.0)
    assert per_class["support"].tolist() == [3, 2, 1]
    assert report["ece"] is None


def test_confusion_matrix_is_tidy_with_every_pair():
    confusion = classification_report(Y_TRUE, Y_PRED)["confusion"]
    assert list(confusion.columns) == ["true", "predicted", "count"]
    assert len(confusion) == 9
    counts = {(t, p): c for t, p, c in confusion.itertuples(index=False)}
    assert counts[("against", "against")] == 2
    assert counts[("against", "neutral")] == 1
    assert counts[("neutral", "favor")] == 1
    assert counts[("favor", "against")] == 0
    assert sum(counts.values()) == 6


def test_expected_calibration_error_by_hand():
    report = classification_report(Y_TRUE, Y_PRED, proba=PROBA)
    assert report["ece"] == pytest.approx(1 / 3)
    assert expected_calibration_error(Y_TRUE, PROBA, STANCE_LABELS) == pytest.approx(1 / 3)


def test_ece_is_zero_for_confident_correct_predictions():
    proba = np.eye(3)[[0, 1, 2]]
    assert expected_calibration_error(list(STANCE_LABELS), proba, STANCE_LABELS) == 0.0


def test_one_bin_ece_is_gap_between_accuracy_and_mean_confidence():
    # Single bin: accuracy 4/6 (argmax), mean confidence (0.85*2 + 0.55*2 + 0.65 + 0.75)/6.
    mean_conf = (0.85 * 2 + 0.55 * 2 + 0.65 + 0.75) / 6
    ece = expected_calibration_error(Y_TRUE, PROBA, STANCE_LABELS, n_bins=1)
    assert ece == pytest.approx(abs(4 / 6 - mean_conf))


def test_other_labels_default_to_sorted_union():
    report = classification_report(["b", "a", "c"], ["b", "a", "a"])
    assert report["labels"] == ["a", "b", "c"]
    assert report["accuracy"] == pytest.approx(2 / 3)


def test_report_to_json_is_serialisable():
    data = report_to_json(classification_report(Y_TRUE, Y_PRED, proba=PROBA))
    text = json.dumps(data)
    assert json.loads(text)["confusion"][0] == {
        "true": "against",
        "predicted": "against",
        "count": 2,
    }
    assert json.loads(text)["per_class"][2]["support"] == 1


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"y_true": ["favor"], "y_pred": ["favor", "neutral"]}, "equally long"),
        ({"y_true": [], "y_pred": []}, "empty"),
        ({"y_true": ["favor"], "y_pred": ["pro"], "labels": STANCE_LABELS}, "pro"),
        ({"y_true": ["favor"], "y_pred": ["favor"], "proba": np.ones((1, 2))}, "shape"),
    ],
)
def test_bad_input_names_the_problem(kwargs, message):
    with pytest.raises(ConfigError, match=message):
        classification_report(**kwargs)


def test_score_agreement_by_language_counts_unscored_pairs_as_neutral():
    from framing.stance.evaluation import score_agreement

    scores = pd.DataFrame({"article_id": ["a", "b", "c"], "target": ["US", "US", "CN"],
                           "score": [-0.5, 0.3, 0.0], "label": ["against", "favor", "neutral"]})
    coded = pd.DataFrame({"article_id": ["a", "b", "c", "d"], "target": ["US", "US", "CN", "EU"],
                          "label": ["against", "neutral", "neutral", "neutral"],
                          "language": ["en", "en", "nl", "nl"]})
    table = score_agreement(scores, coded, by=["language"]).set_index("language")
    assert table.loc["(all)", "n"] == 4 and table.loc["nl", "n"] == 2
    assert table.loc["(all)", "accuracy"] == pytest.approx(3 / 4)
    assert table.loc["nl", "macro_f1"] == pytest.approx(1.0)  # only 'neutral' occurs there
    assert np.isnan(table.loc["nl", "spearman"])  # the codes are constant
