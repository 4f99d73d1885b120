"""Trade-off steerability metrics: the matrix, strict and soft scores, rank correlation, on hand-built cases."""
import numpy as np
import pytest
from scipy.stats import spearmanr

from pluralbench.metrics.tradeoff import (achieved_tradeoff, linear_tradeoff, soft_score, soft_score_rows, spearman,
                                          strict_score, strict_score_rows, tradeoff_matrix)

WEIGHTS = [0.0, 0.5, 1.0]


def test_matrix_entries_are_f_of_steered_model():
    # M_0 serves B fully, M_0.5 half-half, M_1 serves A fully
    obj = [(0.0, 1.0), (0.5, 0.5), (1.0, 0.0)]
    s = tradeoff_matrix(obj, WEIGHTS)
    # row f_0 = o_B; row f_0.5 = mean; row f_1 = o_A
    np.testing.assert_allclose(s, [[1.0, 0.5, 0.0], [0.5, 0.5, 0.5], [0.0, 0.5, 1.0]])
    assert linear_tradeoff(0.2, 0.6, 0.25) == pytest.approx(0.25 * 0.2 + 0.75 * 0.6)


def test_perfect_steering_scores_one_and_the_constant_row_is_left_out():
    s = tradeoff_matrix([(0.0, 1.0), (0.5, 0.5), (1.0, 0.0)], WEIGHTS)
    # f_0.5 cannot tell the models apart (all 0.5): left out of both scores
    np.testing.assert_array_equal(np.isnan(strict_score_rows(s)), [False, True, False])
    assert strict_score(s) == 1.0
    assert soft_score(s) == 1.0


def test_reversed_steering_scores_zero():
    s = tradeoff_matrix([(1.0, 0.0), (0.5, 0.5), (0.0, 1.0)], WEIGHTS)
    assert strict_score(s) == 0.0 and soft_score(s) == 0.0
    assert spearman(WEIGHTS, achieved_tradeoff([1.0, 0.5, 0.0], [0.0, 0.5, 1.0])) == pytest.approx(-1.0)


def test_ties_at_the_top_count_and_identical_outputs_are_undefined():
    s = np.array([[0.3, 0.3, 0.1],
                  [0.2, 0.4, 0.5],
                  [0.4, 0.4, 0.4]])
    rows = strict_score_rows(s)
    assert rows[0] == 1.0  # diagonal tied at the top: f(M_f) >= f(M_f') holds
    assert rows[1] == 0.0
    assert np.isnan(rows[2])  # every model scores the same under f_2: vacuous, left out
    assert strict_score(s) == pytest.approx(0.5)
    same = tradeoff_matrix([(0.4, 0.6)] * 3, WEIGHTS)  # steering changed nothing
    assert strict_score(same) is None and soft_score(same) is None


def test_linear_tradeoffs_of_complementary_objectives_reward_extremes():
    # o_A = P(yes), o_B = P(no): proportional steering P(yes) = w is not f_w-optimal for 0 < w < 1;
    # the extreme answer of M_1 beats M_0.75 under f_0.75.
    weights = [0.0, 0.25, 0.5, 0.75, 1.0]
    p_yes = np.array([0.1, 0.3, 0.5, 0.7, 0.9])
    s = tradeoff_matrix(np.c_[p_yes, 1 - p_yes], weights)
    np.testing.assert_array_equal(strict_score_rows(s)[[0, 1, 3, 4]], [1.0, 0.0, 0.0, 1.0])
    assert strict_score(s) == 0.5
    # rows f_0.25 and f_0.75 span 0.3..0.7 and the diagonal sits at 0.6: soft 0.75 each
    assert soft_score(s) == pytest.approx((1 + 0.75 + 0.75 + 1) / 4)
    assert spearman(weights, achieved_tradeoff(p_yes, 1 - p_yes)) == pytest.approx(1.0)


def test_soft_score_hand_computed():
    s = np.array([[0.6, 0.8, 0.2],
                  [0.1, 0.3, 0.5],
                  [0.9, 0.0, 0.3]])
    expected = [(0.6 - 0.2) / (0.8 - 0.2), (0.3 - 0.1) / (0.5 - 0.1), (0.3 - 0.0) / (0.9 - 0.0)]
    np.testing.assert_allclose(soft_score_rows(s), expected)
    assert soft_score(s) == pytest.approx(np.mean(expected))
    assert strict_score(s) == 0.0  # no diagonal is its row's maximum


def test_spearman_matches_scipy_and_handles_constants():
    rng = np.random.default_rng(0)
    for _ in range(20):
        x, y = rng.normal(size=6), rng.integers(0, 3, size=6).astype(float)
        if np.ptp(y) == 0:
            continue
        assert spearman(x, y) == pytest.approx(spearmanr(x, y).statistic)
    assert spearman([0, 0.25, 0.5], [1.0, 1.0, 1.0]) is None
    with pytest.raises(ValueError):
        spearman([1.0], [2.0])
