"""Pareto layers against a brute-force definition (property-based), and commensurating functions by hand."""
import math

import numpy as np
import pytest
from hypothesis import given, settings, strategies as st

from pluralbench.errors import UserError
from pluralbench.registry import commensurators
from pluralbench.report.commensurate import competition_ranks, minimum, normalise, weighted_sum
from pluralbench.report.pareto import dominates, front_2d, pareto_layers


# --- an independent reference: dominance with numpy masks, layers as the longest chain of dominators ---------
def ref_dominates(a, b) -> bool:
    a = np.array([np.nan if x is None else x for x in a], dtype=float)
    b = np.array([np.nan if x is None else x for x in b], dtype=float)
    if not np.array_equal(np.isnan(a), np.isnan(b)):
        return False
    known = ~np.isnan(a)
    return bool(np.all(a[known] >= b[known]) and np.any(a[known] > b[known]))


def ref_layers(vectors) -> list[int]:
    """Layer k = 1 + the deepest layer among the vectors that dominate it (1 when none does)."""
    memo: dict[int, int] = {}

    def layer(i):
        if i not in memo:
            doms = [j for j in range(len(vectors)) if ref_dominates(vectors[j], vectors[i])]
            memo[i] = 1 + max((layer(j) for j in doms), default=0)
        return memo[i]

    return [layer(i) for i in range(len(vectors))]


# Few distinct values so ties are common; None and NaN both mean "not measured".
value = st.one_of(st.sampled_from([0.0, 1.0, 2.0, 3.0]), st.none(), st.just(float("nan")),
                  st.floats(-5, 5, allow_nan=False))


@st.composite
def boards(draw):
    k = draw(st.integers(1, 4))
    n = draw(st.integers(0, 9))
    return [draw(st.lists(value, min_size=k, max_size=k)) for _ in range(n)]


@settings(max_examples=250, deadline=None)
@given(boards())
def test_layers_match_brute_force(vectors):
    assert pareto_layers(vectors) == ref_layers(vectors)


@settings(max_examples=200, deadline=None)
@given(boards())
def test_layer_structure(vectors):
    layers = pareto_layers(vectors)
    for i, li in enumerate(layers):
        assert li >= 1
        same = [j for j, lj in enumerate(layers) if lj == li and j != i]
        assert not any(dominates(vectors[j], vectors[i]) for j in same)  # a layer is an antichain
        if li > 1:  # something in the layer above dominates it
            assert any(dominates(vectors[j], vectors[i]) for j, lj in enumerate(layers) if lj == li - 1)


@settings(max_examples=200, deadline=None)
@given(st.lists(st.lists(value, min_size=3, max_size=3), min_size=3, max_size=3))
def test_dominance_is_a_strict_partial_order(trio):
    a, b, c = trio
    assert not dominates(a, a)
    assert not (dominates(a, b) and dominates(b, a))
    if dominates(a, b) and dominates(b, c):
        assert dominates(a, c)


def test_hand_worked_layers_with_ties_and_missing():
    vectors = [
        (3, 3),      # 0: best on both
        (3, 3),      # 1: a tie with 0: neither dominates the other
        (2, 3),      # 2: dominated by 0 and 1
        (1, 1),      # 3: dominated by 2
        (5, None),   # 4: measured on one objective only: compared with no one above
        (4, None),   # 5: dominated by 4 (same objectives measured)
        (None, None),  # 6: measured on nothing
    ]
    assert pareto_layers(vectors) == [1, 1, 2, 3, 1, 2, 1]
    assert not dominates((5, None), (1, 1)) and not dominates((1, 1), (5, None))
    assert pareto_layers([]) == []


def test_front_2d_keeps_only_non_dominated_points_sorted_by_x():
    points = [(1, 5), (2, 4), (2, 2), (3, 1), (0, 0), (3, 1)]
    assert front_2d(points) == [0, 1, 3, 5]


# --- commensurating functions, by hand ------------------------------------------------------------------------
def test_weighted_sum_and_minimum_by_hand():
    scores = {"a": 0.2, "b": 1.0, "c": 0.5}
    assert weighted_sum(scores) == pytest.approx(1.7)
    assert weighted_sum(scores, weights={"a": 0.5, "b": 0.25, "c": 0.25}) == pytest.approx(0.1 + 0.25 + 0.125)
    assert minimum(scores) == 0.2
    with pytest.raises(UserError, match="weights"):
        weighted_sum(scores, weights={"a": 1.0})
    assert commensurators.get("weighted_sum") is weighted_sum and commensurators.get("minimum") is minimum


def test_normalisations_by_hand():
    jsd = [0.30, 0.50, None, 0.40]
    assert normalise(jsd, "lower", "minmax") == pytest.approx([1.0, 0.0, None, 0.5])
    assert normalise([0.3, None, 0.7], "higher", "minmax") == pytest.approx([0.0, None, 1.0])
    assert normalise(jsd, "lower", "bounds", (0, 1)) == pytest.approx([0.7, 0.5, None, 0.6])
    assert normalise([2.0, 4.0], "higher", "bounds", (0, 8)) == pytest.approx([0.25, 0.5])
    assert normalise(jsd, "lower", "none") == pytest.approx([-0.3, -0.5, None, -0.4])
    assert normalise([0.4, 0.4], "lower", "minmax") == [1.0, 1.0]  # all equal: all best
    assert normalise([None, None], "higher", "minmax") == [None, None]
    with pytest.raises(ValueError):
        normalise([1.0], "higher", "bounds", None)


def test_competition_ranks():
    assert competition_ranks([0.5, 0.9, None, 0.5, 0.1]) == [2, 1, None, 2, 4]
    assert competition_ranks([]) == []
    assert all(r is None for r in competition_ranks([None, None]))
    assert not any(isinstance(r, float) and math.isnan(r) for r in competition_ranks([1.0]))


def test_weighted_mean_is_the_weighted_sum_over_the_total_weight():
    from pluralbench.report.commensurate import weighted_mean, weighted_sum

    scores = {"a": 0.2, "b": 0.9, "c": 0.5}
    weights = {"a": 1, "b": 3, "c": 0}
    assert weighted_mean(scores, weights) == pytest.approx((0.2 + 2.7) / 4)
    assert weighted_mean(scores, weights) == pytest.approx(weighted_sum(scores, weights) / 4)
    assert weighted_mean(scores) == pytest.approx(1.6 / 3)
    with pytest.raises(UserError, match="sum to 0"):
        weighted_mean({"c": 0.5}, {"c": 0})
