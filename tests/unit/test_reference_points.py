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


# The shared block (metrics/reference_block.py) ------------------------------------------------------------
from pluralbench.elicitation import get_method  # noqa: E402
from pluralbench.metrics.reference_block import (Humans, point_values, reference_points,  # noqa: E402
                                                 sampling_floor_rows, split_half_rows)
from pluralbench.metrics.rowwise import simbench_of, tv_of  # noqa: E402
from pluralbench.schemas import validation_errors  # noqa: E402

BOOT = {"resamples": 200, "level": 0.95}


def tv_scorer(models, refs, rows):
    return {"tv": tv_of(models, refs)}


def test_tv_and_simbench_rows_against_numpy():
    rng = np.random.default_rng(5)
    humans = [rng.dirichlet(np.ones(k)) for k in (2, 3, 3, 5, 4)]
    models = [rng.dirichlet(np.ones(len(h))) for h in humans]
    tv = np.array([0.5 * np.abs(m - h).sum() for m, h in zip(models, humans)])
    norm = np.mean([0.5 * np.abs(h - 1 / len(h)).sum() for h in humans])
    assert np.allclose(tv_of(models, humans), tv, atol=1e-15)
    assert np.allclose(simbench_of(models, humans, norm), 100 * (1 - tv / norm), atol=1e-12)


def test_sampling_floor_rows_two_options_closed_form_and_seeded_simulation():
    p, n = 0.3, 25
    (floor_tv,) = sampling_floor_rows([np.array([p, 1 - p])], [n], tv_scorer, draws=20000, seed=4)["tv"]
    assert floor_tv == pytest.approx(de_moivre_mad(n, p) / n, rel=0.02)
    # The same seeded draws made independently: one multinomial call per row, in row order.
    counts = np.random.default_rng(4).multinomial(n, [p, 1 - p], size=300) / n
    independent = np.mean(0.5 * np.abs(counts - [p, 1 - p]).sum(axis=1))
    (again,) = sampling_floor_rows([np.array([p, 1 - p])], [n], tv_scorer, draws=300, seed=4)["tv"]
    assert again == pytest.approx(independent, abs=1e-15)


def test_sampling_floor_only_where_counts_are_known():
    values = sampling_floor_rows([np.array([0.5, 0.5]), np.array([0.2, 0.8])], [None, 40], tv_scorer, seed=0)
    assert np.isnan(values["tv"][0]) and 0 < values["tv"][1] < 0.2


def test_split_half_rows_match_the_per_item_function():
    ratings = [np.array([0, 0, 1, 1, 2, 2, 0, 1]), None, np.array([1])]
    values = split_half_rows(ratings, [3, 3, 3], tv_scorer, draws=50, seed=2)["tv"]
    assert np.isnan(values[1]) and np.isnan(values[2])
    assert 0 < values[0] <= 1


def test_reference_block_points_and_labels():
    humans = [np.array([0.1, 0.6, 0.3]), np.array([0.7, 0.3]), np.array([0.25, 0.25, 0.5])]
    expected_modal = np.mean([0.4, 0.3, 0.5])
    expected_least = np.mean([0.9, 0.7, 0.75])
    expected_uniform = np.mean([0.5 * np.abs(h - 1 / len(h)).sum() for h in humans])
    block = reference_points(Humans(humans), tv_scorer, {"tv": "lower"}, bootstrap=BOOT, seed=0)
    assert list(block["tv"]) == ["uniform", "modal", "least_chosen"]  # no resolution, counts or raters
    assert block["tv"]["modal"]["value"] == pytest.approx(expected_modal)
    assert block["tv"]["least_chosen"]["value"] == pytest.approx(expected_least)
    assert block["tv"]["uniform"]["value"] == pytest.approx(expected_uniform)
    assert block["tv"]["uniform"]["direction"] == "lower" and block["tv"]["uniform"]["n"] == 3

    full = reference_points(Humans(humans, assumed_respondents=50), tv_scorer, {"tv": "lower"}, resolution=10,
                            bootstrap=BOOT, seed=0)
    grid = np.mean([total_variation(h, rounded_to_grid(h, 10)) for h in humans])
    assert full["tv"]["resolution_floor"]["value"] == pytest.approx(grid) and full["tv"]["resolution_floor"][
        "resolution"] == 10
    assert full["tv"]["sampling_floor"]["respondents"].startswith("assumed: 50 per row")
    assert 0 < full["tv"]["sampling_floor"]["value"] < full["tv"]["uniform"]["value"]


def test_reference_block_validates_against_the_metrics_schema():
    from pluralbench.schemas import load_schema

    humans = [np.array([0.1, 0.6, 0.3]), np.array([0.7, 0.3])]
    ratings = [np.array([1, 1, 2, 0, 1, 2]), np.array([0, 1, 0, 0])]
    block = reference_points(Humans(humans, respondents=[6, 4], ratings=ratings), tv_scorer, {"tv": "lower"},
                             resolution=20, bootstrap=BOOT, seed=0)
    assert set(block["tv"]) == {"uniform", "modal", "least_chosen", "resolution_floor", "sampling_floor",
                                "split_half"}
    schema = load_schema("metrics")
    sub = {"$defs": schema["$defs"]} | schema["properties"]["reference_points"]
    assert validation_errors(block, sub) == []
    assert validation_errors({"tv": {"oracle": block["tv"]["modal"]}}, sub)  # an unknown point is refused


def test_point_values_pass_row_positions_to_the_scorer():
    seen = []

    def scorer(models, refs, rows):
        seen.append(list(rows))
        return {"x": np.zeros(len(rows))}

    point_values(Humans([np.array([0.5, 0.5])] * 3, respondents=[None, 10, 12]), scorer, resolution=None, seed=0)
    assert seen[0] == [0, 1, 2] and seen[-1] == [1, 2]


def test_read_out_resolution():
    assert get_method("sampled:20").resolution == 20
    assert get_method("verbalized").resolution == 100
    assert get_method("logprob").resolution is None


def test_the_runner_passes_a_resolution_only_to_a_score_that_takes_it():
    from pluralbench.runner.asks import scoring_options
    from pluralbench.taskfile import get_task

    goqa = get_task("distributional_globalopinionqa").family_impl()
    valence = get_task("steerable_valueprism").family_impl()  # reports no reference points
    assert scoring_options(goqa, get_method("sampled:20")) == {"resolution": 20}
    assert scoring_options(goqa, get_method("logprob")) == {}
    assert scoring_options(valence, get_method("sampled:20")) == {}
