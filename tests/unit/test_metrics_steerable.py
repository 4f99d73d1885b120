"""Classification, ordinal and separation metrics pinned against sklearn / scipy computed here."""
import numpy as np
import pytest
from scipy.stats import wasserstein_distance
from sklearn.metrics import accuracy_score, balanced_accuracy_score, f1_score, roc_auc_score
from sklearn.metrics import confusion_matrix as sk_confusion

from pluralbench.metrics import (accuracy, auroc, balanced_accuracy, macro_f1, micro_f1, ordinal_similarity,
                                 ordinal_wasserstein)
from pluralbench.metrics.bootstrap import bootstrap_mean_ci, bootstrap_statistic_ci
from pluralbench.metrics.classification import confusion_matrix
from pluralbench.registry import metrics as metric_registry


def random_labels(seed, n=60, gold=("A", "B", "C"), pred=("A", "B", "C", "unparseable")):
    rng = np.random.default_rng(seed)
    return list(rng.choice(gold, size=n)), list(rng.choice(pred, size=n, p=[0.4, 0.3, 0.2, 0.1][: len(pred)]
                                                          if len(pred) == 4 else None))


@pytest.mark.parametrize("seed", range(15))
def test_classification_metrics_equal_sklearn(seed):
    y_true, y_pred = random_labels(seed, n=int(5 + seed * 7))
    # pluralbench takes (predicted, gold), sklearn (gold, predicted).
    assert accuracy(y_pred, y_true) == pytest.approx(accuracy_score(y_true, y_pred), abs=1e-12)
    assert balanced_accuracy(y_pred, y_true) == pytest.approx(balanced_accuracy_score(y_true, y_pred), abs=1e-12)
    assert macro_f1(y_pred, y_true) == pytest.approx(f1_score(y_true, y_pred, average="macro", zero_division=0),
                                                     abs=1e-12)
    assert micro_f1(y_pred, y_true) == pytest.approx(f1_score(y_true, y_pred, average="micro", zero_division=0),
                                                     abs=1e-12)
    labels = sorted(set(y_true) | set(y_pred))
    assert (confusion_matrix(y_pred, y_true) == sk_confusion(y_true, y_pred, labels=labels)).all()
    # Explicit label subsets behave like sklearn's `labels=` argument.
    sub = ["A", "B"]
    assert macro_f1(y_pred, y_true, labels=sub) == pytest.approx(
        f1_score(y_true, y_pred, labels=sub, average="macro", zero_division=0), abs=1e-12)
    assert micro_f1(y_pred, y_true, labels=sub) == pytest.approx(
        f1_score(y_true, y_pred, labels=sub, average="micro", zero_division=0), abs=1e-12)


def test_classification_hand_worked():
    # gold A A B B C, pred A B B B X: recalls A 1/2, B 1, C 0 -> balanced 1/2; F1 A 2/3, B 4/5, C 0, X 0.
    y_true, y_pred = list("AABBC"), ["A", "B", "B", "B", "X"]
    assert accuracy(y_pred, y_true) == pytest.approx(3 / 5)
    assert balanced_accuracy(y_pred, y_true) == pytest.approx(0.5)
    assert balanced_accuracy(y_true, y_pred) == pytest.approx((1 + 2 / 3 + 0) / 3)  # roles swapped: another number
    assert macro_f1(y_pred, y_true) == pytest.approx((2 / 3 + 4 / 5) / 4)
    assert balanced_accuracy(["B"], ["A"]) == 0.0 and np.isnan(accuracy([], []))


@pytest.mark.parametrize("seed", range(15))
def test_ordinal_wasserstein_equals_scipy(seed):
    rng = np.random.default_rng(seed)
    k = int(rng.integers(2, 7))
    p, q = rng.dirichlet(np.ones(k)), rng.dirichlet(np.ones(k) * 0.5)
    positions = np.arange(1, k + 1) if seed % 2 else np.sort(rng.uniform(0, 5, size=k))
    if seed % 3 == 0:
        positions = rng.permutation(positions)  # survey ordinals need not follow the option order
    expected = wasserstein_distance(positions, positions, p, q)
    assert ordinal_wasserstein(p, q, positions) == pytest.approx(expected, abs=1e-12)
    span = positions.max() - positions.min()
    assert ordinal_similarity(p, q, positions) == pytest.approx(1 - expected / span, abs=1e-12)
    assert ordinal_wasserstein(p, q) == pytest.approx(wasserstein_distance(np.arange(k), np.arange(k), p, q), abs=1e-12)


def test_ordinal_extremes():
    assert ordinal_similarity([1, 0, 0], [0, 0, 1]) == pytest.approx(0.0)
    assert ordinal_similarity([0.2, 0.3, 0.5], [0.2, 0.3, 0.5]) == pytest.approx(1.0)
    with pytest.raises(ValueError):
        ordinal_similarity([0.5, 0.5], [0.5, 0.5], positions=[1, 1])


@pytest.mark.parametrize("seed", range(10))
def test_auroc_equals_sklearn_with_ties(seed):
    rng = np.random.default_rng(seed)
    y = rng.integers(0, 2, size=40)
    y[:2] = [0, 1]
    scores = np.round(rng.normal(size=40) + y * 0.5, 1)  # rounding makes ties
    assert auroc(scores, y) == pytest.approx(roc_auc_score(y, scores), abs=1e-12)
    assert np.isnan(auroc([0.1, 0.2], [1, 1]))


def test_metrics_are_registered():
    for name in ("accuracy", "balanced_accuracy", "macro_f1", "micro_f1", "auroc", "ordinal_similarity",
                 "ordinal_wasserstein"):
        assert callable(metric_registry.get(name))


def test_statistic_bootstrap_agrees_with_mean_bootstrap_for_a_mean():
    rng = np.random.default_rng(1)
    values = rng.normal(size=50)
    clusters = rng.integers(0, 12, size=50)
    for cl in (None, clusters):
        got = bootstrap_statistic_ci(lambda idx: values[idx].mean(), 50, cl, resamples=300, seed=4)
        ref = bootstrap_mean_ci(values, cl, resamples=300, seed=4)
        # Different draws, same distribution: the intervals must overlap heavily and bracket the mean.
        assert got[0] < values.mean() < got[1]
        assert abs(got[0] - ref[0]) < 0.15 and abs(got[1] - ref[1]) < 0.15


@pytest.mark.parametrize("seed", range(10))
def test_vectorised_scores_equal_sklearn(seed):
    from pluralbench.metrics.classification import scores_from_codes

    rng = np.random.default_rng(seed)
    t = rng.integers(0, 3, size=30)
    p = rng.integers(0, 4, size=30)  # code 3 plays "unparseable": predicted, never gold
    got = scores_from_codes(p, t, 4)
    expected = [accuracy_score(t, p), balanced_accuracy_score(t, p), f1_score(t, p, average="macro", zero_division=0),
                f1_score(t, p, average="micro", zero_division=0)]
    assert got == pytest.approx(expected, abs=1e-12)
