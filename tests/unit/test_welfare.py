"""Welfare functions: hand-computed values, the documented zero/negative/missing rules, and properties of M_p."""
import math

import numpy as np
import pytest
from hypothesis import given, settings, strategies as st
from scipy.stats import gmean, hmean, pmean

from pluralbench.metrics.welfare import (choice_welfare, egalitarian, nash_welfare, power_mean, rescale_to_unit,
                                         utilitarian)
from pluralbench.registry import metrics as metric_registry


# Hand-computed ------------------------------------------------------------------------------------
def test_hand_computed_two_jurors():
    # jurors' utilities 1 and 4 on one item, equal weights
    u = [[1.0], [4.0]]
    assert utilitarian(u)[0] == pytest.approx(2.5)
    assert nash_welfare(u)[0] == pytest.approx(2.0)  # sqrt(1 * 4)
    assert power_mean(u, p=-1)[0] == pytest.approx(1.6)  # 2 / (1 + 1/4)
    assert power_mean(u, p=2)[0] == pytest.approx(math.sqrt(8.5))  # sqrt((1 + 16) / 2)
    assert egalitarian(u)[0] == 1.0
    assert power_mean(u, p=math.inf)[0] == 4.0


def test_hand_computed_weights_and_items():
    # 3 jurors x 2 items; weights 1:1:2 -> 0.25, 0.25, 0.5
    u = [[0.2, 1.0],
         [0.4, 0.5],
         [0.8, 0.25]]
    w = [1, 1, 2]
    np.testing.assert_allclose(utilitarian(u, w), [0.25 * 0.2 + 0.25 * 0.4 + 0.5 * 0.8, 0.25 + 0.125 + 0.125])
    np.testing.assert_allclose(nash_welfare(u, w), [0.2 ** 0.25 * 0.4 ** 0.25 * 0.8 ** 0.5,
                                                    1.0 ** 0.25 * 0.5 ** 0.25 * 0.25 ** 0.5])
    np.testing.assert_allclose(egalitarian(u, w), [0.2, 0.25])
    # weight 0 removes a juror, from the minimum too
    np.testing.assert_allclose(egalitarian(u, [0, 1, 1]), [0.4, 0.25])


def test_agrees_with_scipy_power_means():
    rng = np.random.default_rng(3)
    u = rng.uniform(0.05, 1.0, size=(7, 4))
    w = rng.uniform(0.1, 2.0, size=7)
    for p in (-3.0, -1.0, 0.5, 2.0, 3.0):
        expected = [pmean(u[:, k], p, weights=w) for k in range(4)]
        np.testing.assert_allclose(power_mean(u, w, p), expected, rtol=1e-10)
    np.testing.assert_allclose(nash_welfare(u, w), [gmean(u[:, k], weights=w) for k in range(4)], rtol=1e-10)
    np.testing.assert_allclose(power_mean(u, w, -1), [hmean(u[:, k], weights=w) for k in range(4)], rtol=1e-10)


def test_missing_utilities_are_left_out_and_weights_renormalised():
    u = [[1.0, np.nan],
         [0.5, 0.2],
         [np.nan, np.nan]]
    w = [3, 1, 5]
    np.testing.assert_allclose(utilitarian(u, w), [(3 * 1.0 + 0.5) / 4, 0.2])
    np.testing.assert_allclose(egalitarian(u, w), [0.5, 0.2])
    assert np.isnan(utilitarian([[np.nan], [np.nan]])[0])  # nobody rated it


# Zero and negative rules ----------------------------------------------------------------------------
def test_zero_utility_vetoes_for_p_at_most_zero_only():
    u = [[0.0], [0.9]]
    assert nash_welfare(u)[0] == 0.0
    assert power_mean(u, p=-2)[0] == 0.0
    assert egalitarian(u)[0] == 0.0
    assert utilitarian(u)[0] == pytest.approx(0.45)
    assert power_mean(u, p=2)[0] == pytest.approx(math.sqrt(0.81 / 2))
    # the veto is the limit: a tiny positive utility gives a tiny welfare
    assert nash_welfare([[1e-12], [0.9]])[0] < 1e-5


def test_negative_utilities():
    u = [[-1.0], [1.0], [0.0]]
    assert utilitarian(u)[0] == pytest.approx(0.0)
    assert egalitarian(u)[0] == -1.0
    for p in (0.0, -1.0, 0.5):
        with pytest.raises(ValueError, match="non-negative"):
            power_mean(u, p=p)


def test_bad_shapes_and_weights():
    with pytest.raises(ValueError, match="one weight per juror"):
        utilitarian([[1.0], [2.0]], [1.0])
    with pytest.raises(ValueError, match="non-negative"):
        utilitarian([[1.0], [2.0]], [1.0, -1.0])
    with pytest.raises(ValueError, match="finite"):
        utilitarian([[np.inf], [2.0]])


def test_rescale_to_unit_maps_scale_onto_floor_one():
    np.testing.assert_allclose(rescale_to_unit([-1, 0, 1], -1, 1, 0.1), [0.1, 0.55, 1.0])
    np.testing.assert_allclose(rescale_to_unit([0, 6], 0, 6), [0.0, 1.0])
    assert np.isnan(rescale_to_unit([np.nan], 0, 1)[0])
    with pytest.raises(ValueError, match="outside"):
        rescale_to_unit([7], 0, 6)


def test_choice_welfare_normalisation():
    welfare = [0.2, 0.4, 0.9]
    rep = choice_welfare([0.0, 0.0, 1.0], welfare)
    assert rep["normalised"] == pytest.approx(1.0) and rep["best_index"] == 2 and rep["worst_index"] == 0
    rep = choice_welfare([1 / 3] * 3, welfare)
    assert rep["normalised"] == pytest.approx(0.0)
    rep = choice_welfare([0.5, 0.5, 0.0], welfare)
    random = 0.5
    assert rep["model"] == pytest.approx(0.3) and rep["random"] == pytest.approx(random)
    assert rep["normalised"] == pytest.approx((0.3 - random) / (0.9 - random))
    assert choice_welfare([0.7, 0.3], [0.5, 0.5])["normalised"] is None  # candidates tie: undefined


def test_registered_in_the_metric_registry():
    u = [[0.25], [1.0]]
    assert metric_registry.get("welfare_nash")(u)[0] == pytest.approx(0.5)
    assert metric_registry.get("welfare_power_mean")(u, None, p="-inf")[0] == 0.25
    assert metric_registry.get("welfare_egalitarian")(u)[0] == 0.25
    assert metric_registry.get("welfare_utilitarian")(u)[0] == pytest.approx(0.625)


# Properties -----------------------------------------------------------------------------------------
utility_lists = st.lists(st.floats(min_value=0.0, max_value=10.0, allow_nan=False), min_size=1, max_size=8)
weight_lists = st.lists(st.floats(min_value=0.01, max_value=5.0), min_size=8, max_size=8)
ps = st.one_of(st.floats(min_value=-20, max_value=20, allow_nan=False), st.sampled_from([0.0, 1.0, -math.inf]))


@settings(max_examples=300, deadline=None)
@given(utility_lists, weight_lists, ps, ps)
def test_power_mean_monotone_in_p(values, weights, p, q):
    w = weights[: len(values)]
    lo, hi = sorted((p, q))
    a, b = power_mean(values, w, lo)[0], power_mean(values, w, hi)[0]
    assert a <= b + 1e-9 * max(1.0, abs(b))


@settings(max_examples=300, deadline=None)
@given(utility_lists, weight_lists, ps)
def test_power_mean_between_min_and_max(values, weights, p):
    w = weights[: len(values)]
    m = power_mean(values, w, p)[0]
    assert min(values) - 1e-12 <= m <= max(values) + 1e-12


@settings(max_examples=200, deadline=None)
@given(st.lists(st.floats(min_value=-10.0, max_value=10.0, allow_nan=False), min_size=1, max_size=8), weight_lists)
def test_power_mean_at_one_is_the_weighted_mean(values, weights):
    w = np.asarray(weights[: len(values)])
    assert power_mean(values, w, 1.0)[0] == pytest.approx(float(np.dot(w, values) / w.sum()), abs=1e-9)


@settings(max_examples=200, deadline=None)
@given(utility_lists, weight_lists)
def test_endpoints_are_min_and_geometric_mean(values, weights):
    w = np.asarray(weights[: len(values)])
    assert power_mean(values, w, -math.inf)[0] == min(values)
    x = np.asarray(values)
    expected = 0.0 if (x == 0).any() else float(np.exp(np.dot(w, np.log(x)) / w.sum()))
    assert power_mean(values, w, 0.0)[0] == pytest.approx(expected, rel=1e-9, abs=1e-300)
    # a very negative p approaches the minimum
    assert power_mean(values, w, -200.0)[0] == pytest.approx(min(values), rel=0.05, abs=1e-12)


def test_power_mean_keeps_its_digits_near_p_zero():
    """Found by hypothesis: the log-domain sum lost M_1e-9 to cancellation, putting it below M_0."""
    values, weights = [1.0, 2.0], [1.0, 2.0]
    ps = [-1e-6, -1e-9, -1e-12, 0.0, 1e-12, 1e-9, 1e-6]
    means = [power_mean(values, weights, p)[0] for p in ps]
    assert all(a <= b for a, b in zip(means, means[1:])), means
    geometric = 2.0 ** (2 / 3)
    assert means[3] == pytest.approx(geometric, rel=1e-15)
    assert means[4] == pytest.approx(geometric, rel=1e-11) and means[2] == pytest.approx(geometric, rel=1e-11)
