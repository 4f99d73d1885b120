"""Multi-class classification scores over label sequences, defined as scikit-learn defines them.

The label set is the sorted union of gold and predicted labels unless `labels` is given, so a class
that only appears among predictions (e.g. "unparseable" generated text) counts in the macro average
with an F1 of 0, as sklearn's `f1_score(average="macro")` does. Undefined ratios (0/0) are 0.

Every function takes the predicted labels first and the gold labels second (the model's side first, as
every declared metric kind does; sklearn's own order is the reverse).
"""
from __future__ import annotations

from typing import Sequence

import numpy as np

from pluralbench.metrics.declared import declare_metric


def label_set(y_pred: Sequence, y_true: Sequence, labels: Sequence | None = None) -> list:
    return list(labels) if labels is not None else sorted(set(y_true) | set(y_pred), key=str)


def confusion_matrix(y_pred: Sequence, y_true: Sequence, labels: Sequence | None = None) -> np.ndarray:
    """Rows are gold labels, columns predicted labels, in `label_set` order."""
    labels = label_set(y_pred, y_true, labels)
    index = {lab: i for i, lab in enumerate(labels)}
    k = len(labels)
    pairs = [(index[t], index[p]) for t, p in zip(y_true, y_pred) if t in index and p in index]
    if not pairs:
        return np.zeros((k, k), dtype=np.int64)
    flat = np.asarray([t * k + p for t, p in pairs])
    return np.bincount(flat, minlength=k * k).reshape(k, k)


@declare_metric("accuracy", "labels", direction="higher", bounds=(0, 1),
                description="share of items whose predicted label is the gold label")
def accuracy(y_pred: Sequence, y_true: Sequence) -> float:
    if len(y_true) == 0:
        return float("nan")
    return float(np.mean([t == p for t, p in zip(y_true, y_pred)]))


@declare_metric("balanced_accuracy", "labels", direction="higher", bounds=(0, 1),
                description="mean recall over the classes that occur in the gold labels")
def balanced_accuracy(y_pred: Sequence, y_true: Sequence) -> float:
    """Mean recall over the classes that occur in the gold labels."""
    if len(y_true) == 0:
        return float("nan")
    cm = confusion_matrix(y_pred, y_true)
    support = cm.sum(axis=1)
    present = support > 0
    return float(np.mean(np.diag(cm)[present] / support[present]))


def per_class_f1(y_pred: Sequence, y_true: Sequence, labels: Sequence | None = None) -> np.ndarray:
    """F1 per label of `labels` (default: all present); errors involving other labels still count."""
    every = label_set(y_pred, y_true, None)
    every += [lab for lab in (labels or []) if lab not in every]
    cm = confusion_matrix(y_pred, y_true, every)
    tp = np.diag(cm).astype(np.float64)
    denom = cm.sum(axis=0) + cm.sum(axis=1)  # 2TP + FP + FN
    f1 = np.divide(2 * tp, denom, out=np.zeros_like(tp), where=denom > 0)
    if labels is None:
        return f1
    return f1[[every.index(lab) for lab in labels]]


@declare_metric("macro_f1", "labels", direction="higher", bounds=(0, 1),
                description="unweighted mean of the per-class F1 scores")
def macro_f1(y_pred: Sequence, y_true: Sequence, labels: Sequence | None = None) -> float:
    if len(y_true) == 0:
        return float("nan")
    return float(per_class_f1(y_pred, y_true, labels).mean())


@declare_metric("micro_f1", "labels", direction="higher", bounds=(0, 1),
                description="F1 of the pooled counts over the classes")
def micro_f1(y_pred: Sequence, y_true: Sequence, labels: Sequence | None = None) -> float:
    """Pooled F1. Over the full label set it equals accuracy; restricted `labels` make it differ."""
    if len(y_true) == 0:
        return float("nan")
    cm = confusion_matrix(y_pred, y_true, label_set(y_pred, y_true, labels))
    if labels is None:
        return float(np.trace(cm) / max(cm.sum(), 1))
    # With explicit labels, items whose gold or prediction lies outside them still count as FN / FP.
    tp = float(np.trace(cm))
    inside = set(labels)
    fp = sum(1 for t, p in zip(y_true, y_pred) if p in inside and t != p)
    fn = sum(1 for t, p in zip(y_true, y_pred) if t in inside and t != p)
    return 2 * tp / (2 * tp + fp + fn) if tp + fp + fn > 0 else 0.0


def scores_from_codes(pred_codes: np.ndarray, true_codes: np.ndarray, k: int) -> np.ndarray:
    """[accuracy, balanced accuracy, macro F1, micro F1] from integer-coded labels in [0, k), over the
    labels present in this sample (sklearn's default). Vectorised: bootstraps call it thousands of times."""
    if true_codes.size == 0:
        return np.full(4, np.nan)
    cm = np.bincount(true_codes * k + pred_codes, minlength=k * k).reshape(k, k)
    tp = np.diag(cm).astype(np.float64)
    support, predicted = cm.sum(axis=1), cm.sum(axis=0)
    present = (support + predicted) > 0
    acc = tp.sum() / true_codes.size
    bacc = float(np.mean(tp[support > 0] / support[support > 0]))
    denom = (support + predicted)[present]
    macro = float(np.mean(2 * tp[present] / denom))
    return np.array([acc, bacc, macro, acc])


CLASSIFICATION_METRICS = {
    "accuracy": accuracy,
    "balanced_accuracy": balanced_accuracy,
    "macro_f1": macro_f1,
    "micro_f1": micro_f1,
}
