"""Metric functions pinned against scipy and hand-worked values."""
import math

import numpy as np
import pytest
from scipy.spatial.distance import jensenshannon
from scipy.stats import entropy as scipy_entropy

from pluralbench.metrics import entropy, js_distance, js_divergence, js_similarity, most_likely_match, normalised_entropy
from pluralbench.metrics.bootstrap import bootstrap_mean_ci


@pytest.mark.parametrize("seed", range(20))
def test_js_distance_matches_scipy_in_both_bases(seed):
    rng = np.random.default_rng(seed)
    k = int(rng.integers(2, 8))
    p, q = rng.dirichlet(np.ones(k)), rng.dirichlet(np.ones(k) * 0.3)
    assert js_distance(p, q, base=2) == pytest.approx(jensenshannon(p, q, base=2), abs=1e-12)
    assert js_distance(p, q, base="e") == pytest.approx(jensenshannon(p, q), abs=1e-12)
    # The conversion DESIGN.md states: base-2 distance = natural-log distance / sqrt(ln 2).
    assert js_distance(p, q, 2) == pytest.approx(js_distance(p, q, "e") / math.sqrt(math.log(2)), abs=1e-12)


def test_js_hand_worked():
    # p = (1/2, 1/2), q = (1, 0): m = (3/4, 1/4)
    # KL(p||m) = 1/2 ln(2/3) + 1/2 ln 2 ; KL(q||m) = ln(4/3)
    kl_p = 0.5 * math.log(2 / 3) + 0.5 * math.log(2)
    kl_q = math.log(4 / 3)
    div_nats = 0.5 * (kl_p + kl_q)
    assert js_divergence([0.5, 0.5], [1, 0], base="e") == pytest.approx(div_nats, abs=1e-15)
    assert js_distance([0.5, 0.5], [1, 0], base=2) == pytest.approx(math.sqrt(div_nats / math.log(2)), abs=1e-15)
    assert js_distance([0.5, 0.5], [1, 0], base=2) == pytest.approx(0.557923, abs=1e-6)
    # Disjoint supports are maximally distant: 1 in base 2, sqrt(ln 2) in nats.
    assert js_distance([1, 0], [0, 1], base=2) == pytest.approx(1.0)
    assert js_distance([1, 0], [0, 1], base="e") == pytest.approx(math.sqrt(math.log(2)))
    assert js_distance([0.2, 0.8], [0.2, 0.8]) == 0.0
    assert js_similarity([1, 0], [0, 1]) == pytest.approx(0.0)


def test_js_normalises_like_scipy_and_rejects_bad_input():
    assert js_distance([2, 2], [1, 0]) == pytest.approx(jensenshannon([2, 2], [1, 0], base=2))
    with pytest.raises(ValueError):
        js_distance([0, 0], [1, 0])
    with pytest.raises(ValueError):
        js_distance([-0.1, 1.1], [1, 0])
    with pytest.raises(ValueError):
        js_distance([0.5, 0.5], [0.2, 0.3, 0.5])
    with pytest.raises(ValueError):
        js_distance([0.5, 0.5], [1, 0], base=1)


@pytest.mark.parametrize("seed", range(10))
def test_entropy_matches_scipy(seed):
    p = np.random.default_rng(seed).dirichlet(np.ones(5))
    assert entropy(p, 2) == pytest.approx(scipy_entropy(p, base=2), abs=1e-12)
    assert entropy(p, "e") == pytest.approx(scipy_entropy(p), abs=1e-12)


def test_entropy_hand_worked():
    assert entropy([0.25] * 4, 2) == pytest.approx(2.0)
    assert entropy([1, 0, 0], 2) == 0.0
    assert normalised_entropy([0.25] * 4) == pytest.approx(1.0)
    assert normalised_entropy([0.5, 0.5, 0.0, 0.0]) == pytest.approx(0.5)


def test_most_likely_match():
    assert most_likely_match([0.1, 0.9], [0.4, 0.6]) == 1.0
    assert most_likely_match([0.6, 0.4], [0.4, 0.6]) == 0.0


def test_bootstrap_ci_brackets_the_mean_and_is_deterministic():
    values = np.random.default_rng(1).normal(size=400)
    low, high = bootstrap_mean_ci(values, resamples=2000, seed=3)
    assert low < values.mean() < high
    assert (low, high) == bootstrap_mean_ci(values, resamples=2000, seed=3)
    # Normal theory: the 95% half-width is about 1.96 * sd / sqrt(n).
    expected_half = 1.96 * values.std(ddof=1) / np.sqrt(values.size)
    assert (high - low) / 2 == pytest.approx(expected_half, rel=0.15)


def test_cluster_bootstrap_is_wider_when_rows_repeat():
    base = np.random.default_rng(2).normal(size=50)
    values = np.repeat(base, 10)  # each value copied 10 times: 50 independent draws, not 500
    clusters = np.repeat(np.arange(50), 10)
    naive = bootstrap_mean_ci(values, resamples=2000, seed=0)
    clustered = bootstrap_mean_ci(values, clusters, resamples=2000, seed=0)
    assert (clustered[1] - clustered[0]) > 2.5 * (naive[1] - naive[0])
    independent = bootstrap_mean_ci(base, resamples=2000, seed=0)
    assert (clustered[1] - clustered[0]) == pytest.approx(independent[1] - independent[0], rel=0.2)


def test_bootstrap_degenerate_sizes():
    assert bootstrap_mean_ci([0.3]) == (0.3, 0.3)
    assert all(math.isnan(x) for x in bootstrap_mean_ci([]))


def test_rowwise_forms_equal_the_scalar_definitions_and_scipy():
    from pluralbench.metrics.rowwise import entropy_of, evaluate_pairs

    rng = np.random.default_rng(7)
    preds = [rng.dirichlet(np.ones(k)) for k in rng.integers(2, 6, size=60)]
    golds = [rng.dirichlet(np.ones(len(p)) * 0.5) for p in preds]
    golds[0] = np.eye(len(preds[0]))[0]  # zeros in the reference
    for base in (2, "e"):
        got = evaluate_pairs(js_distance, "js_distance", preds, golds, {"base": base})
        want = [jensenshannon(p, q, base=2 if base == 2 else None) for p, q in zip(preds, golds)]
        assert np.allclose(got, want, atol=1e-12)
    sim = evaluate_pairs(js_similarity, "js_similarity", preds, golds, {"base": 2})
    assert np.allclose(sim, [js_similarity(p, q) for p, q in zip(preds, golds)], atol=1e-12)
    ml = evaluate_pairs(most_likely_match, "most_likely_match", preds, golds, {})
    assert list(ml) == [most_likely_match(p, q) for p, q in zip(preds, golds)]
    assert np.allclose(entropy_of(preds, 2), [scipy_entropy(p, base=2) for p in preds], atol=1e-12)
    # A metric without a row-wise form is computed item by item with the registered function.
    custom = evaluate_pairs(lambda p, q: float(len(p)), "custom", preds, golds, {})
    assert list(custom) == [float(len(p)) for p in preds]


def test_column_bootstrap_equals_one_call_per_column():
    from pluralbench.metrics.bootstrap import bootstrap_mean_ci_columns

    rng = np.random.default_rng(3)
    matrix = rng.normal(size=(300, 4))
    clusters = rng.integers(0, 60, size=300)
    for cl in (None, clusters):
        lows, highs = bootstrap_mean_ci_columns(matrix, cl, resamples=500, seed=11)
        for j in range(4):
            assert (lows[j], highs[j]) == pytest.approx(bootstrap_mean_ci(matrix[:, j], cl, resamples=500, seed=11),
                                                        abs=1e-12)


def test_served_groups_leave_out_small_groups_and_break_ties_by_name():
    from pluralbench.metrics.summary import served_groups

    values = {"a": (0.2, 50), "b": (0.9, 50), "c": (0.5, 3), "d": (0.2, 12), "e": (None, 40)}
    best, worst = served_groups(values, higher_is_better=True, min_n=10, k=2)
    assert best == ["b", "a"] and worst == ["a", "d"]  # c too small, e has no value; a/d tie -> by name
    best, worst = served_groups(values, higher_is_better=False, min_n=1, k=5)
    assert best == ["a", "d", "c", "b"] and worst == ["b", "c", "a", "d"]
