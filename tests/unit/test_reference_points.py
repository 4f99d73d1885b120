"""Total variation, the SimBench-style score and the human reference points, pinned to independent
calculations: numpy on hand-worked cases, de Moivre's closed form, and seeded simulation."""
from __future__ import annotations

from math import comb, floor

import numpy as np
import pytest

from pluralbench.metrics.reference_points import (expected_sampling_distance, expected_sampling_tv, least_chosen,
                                                  modal, rounded_to_grid, split_half, uniform)
from pluralbench.metrics.variation import simbench_scores, total_variation, total_variation_rows, uniform_tv


def test_total_variation_hand_worked():
    assert total_variation([0.2, 0.8], [0.8, 0.2]) == pytest.approx(0.6)
    assert total_variation([1, 0, 0], [0, 0, 1]) == pytest.approx(1.0)
    assert total_variation([2, 2], [1, 1]) == pytest.approx(0.0)  # renormalised
    rng = np.random.default_rng(0)
    p, q = rng.dirichlet(np.ones(5), size=50), rng.dirichlet(np.ones(5), size=50)
    assert np.allclose(total_variation_rows(p, q), 0.5 * np.abs(p - q).sum(axis=1), atol=1e-15)
    assert uniform_tv([0.5, 0.5]) == 0.0 and uniform_tv([1, 0, 0, 0]) == pytest.approx(0.75)


def test_simbench_score_hand_worked():
    human = np.array([[1.0, 0.0], [0.5, 0.5], [0.9, 0.1]])
    model = np.array([[0.5, 0.5], [0.5, 0.5], [0.9, 0.1]])
    tv_m = 0.5 * np.abs(human - model).sum(axis=1)  # 0.5, 0, 0
    tv_u = 0.5 * np.abs(human - 0.5).sum(axis=1)  # 0.5, 0, 0.4 -> mean 0.3
    s = simbench_scores(tv_m, tv_u)
    assert s == pytest.approx([100 * (1 - 0.5 / 0.3), 100.0, 100.0])
    assert simbench_scores(tv_u, tv_u).mean() == pytest.approx(0.0)  # the uniform guess scores 0 on average
    with pytest.raises(ValueError):
        simbench_scores([0.1], [0.0])


def test_bounds_of_meister_et_al():
    p = [0.1, 0.6, 0.3]
    assert list(modal(p)) == [0, 1, 0] and list(least_chosen(p)) == [1, 0, 0]
    assert list(uniform(p)) == pytest.approx([1 / 3] * 3)
    assert total_variation(p, modal(p)) == pytest.approx(0.4)
    assert total_variation(p, least_chosen(p)) == pytest.approx(0.9)


def de_moivre_mad(n: int, p: float) -> float:
    """E|X - np| for X ~ Binomial(n, p), de Moivre's closed form."""
    v = floor(n * p) + 1
    return 2 * v * comb(n, v) * p ** v * (1 - p) ** (n - v + 1)


@pytest.mark.parametrize("n, p", [(10, 0.3), (57, 0.5), (200, 0.07), (1, 0.4)])
def test_sampling_floor_two_options_matches_the_closed_form(n, p):
    # With two options TV(p, p_hat) = |p_hat_1 - p_1|.
    assert expected_sampling_tv([p, 1 - p], n) == pytest.approx(de_moivre_mad(n, p) / n, rel=1e-12)


def test_sampling_floor_matches_a_seeded_simulation():
    p = np.array([0.5, 0.3, 0.15, 0.05])
    exact = expected_sampling_tv(p, 80)
    simulated = expected_sampling_distance(p, 80, total_variation, draws=20000, seed=1)
    assert simulated == pytest.approx(exact, rel=0.02)
    assert expected_sampling_tv(p, 10_000) < expected_sampling_tv(p, 80) < expected_sampling_tv(p, 5)


def test_resolution_grid():
    assert list(rounded_to_grid([1 / 3] * 3, 10)) == pytest.approx([0.4, 0.3, 0.3])
    rng = np.random.default_rng(2)
    for steps in (5, 20, 100):
        for p in rng.dirichlet(np.ones(4), size=20):
            g = rounded_to_grid(p, steps)
            assert g.sum() == pytest.approx(1.0) and np.allclose(g * steps, np.round(g * steps))
            assert total_variation(p, g) <= 0.5 * len(p) / steps + 1e-12


def test_split_half():
    assert split_half(np.array([2, 2, 2, 2]), 3, total_variation) == 0.0
    assert split_half(np.array([0, 1]), 2, total_variation) == 1.0
    assert split_half(np.array([1]), 2, total_variation) is None
    ratings = np.random.default_rng(3).integers(0, 4, size=400)
    assert 0.0 < split_half(ratings, 4, total_variation, seed=1) < 0.15
