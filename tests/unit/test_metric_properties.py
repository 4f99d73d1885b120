"""Property tests (hypothesis) on the metric functions."""
import math

import numpy as np
from hypothesis import given, settings, strategies as st

from pluralbench.elicitation.readout import option_distribution
from pluralbench.metrics import entropy, js_distance
from pluralbench.metrics.bootstrap import bootstrap_mean_ci
from pluralbench.metrics.divergence import normalise
from pluralbench.models.base import OptionOutput

weights = st.lists(st.floats(min_value=0, max_value=1e6, allow_nan=False), min_size=2, max_size=8).filter(
    lambda xs: sum(xs) > 1e-9)


@st.composite
def same_length_pair(draw):
    p = draw(weights)
    q = draw(st.lists(st.floats(min_value=0, max_value=1e6, allow_nan=False), min_size=len(p), max_size=len(p))
             .filter(lambda xs: sum(xs) > 1e-9))
    return p, q


@given(same_length_pair())
def test_js_symmetric_bounded_and_zero_on_self(pair):
    p, q = pair
    d = js_distance(p, q, 2)
    assert 0.0 <= d <= 1.0 + 1e-12
    assert math.isclose(d, js_distance(q, p, 2), abs_tol=1e-12)
    assert js_distance(p, p, 2) < 1e-7
    assert js_distance(p, q, "e") <= math.sqrt(math.log(2)) + 1e-12


@given(same_length_pair())
def test_js_zero_only_for_equal_distributions(pair):
    p, q = normalise(pair[0]), normalise(pair[1])
    if np.abs(p - q).max() > 1e-6:
        assert js_distance(p, q, 2) > 0


@given(weights)
def test_normalise_is_idempotent_and_entropy_bounded(p):
    once = normalise(p)
    assert np.allclose(normalise(once), once, atol=1e-15)
    assert abs(once.sum() - 1) < 1e-12
    assert -1e-12 <= entropy(p, 2) <= math.log2(len(p)) + 1e-9


@given(st.lists(st.floats(min_value=-30, max_value=0, allow_nan=False), min_size=2, max_size=8))
def test_option_distribution_is_a_distribution(logps):
    dist = option_distribution(OptionOutput(tuple(logps), 0.5))
    assert abs(dist.sum() - 1) < 1e-12 and (dist >= 0).all()
    assert dist[int(np.argmax(logps))] == dist.max()  # order preserved (ties may appear after exp)


@settings(max_examples=30, deadline=None)
@given(st.lists(st.floats(min_value=-5, max_value=5, allow_nan=False), min_size=2, max_size=60), st.integers(0, 9))
def test_bootstrap_interval_is_ordered_and_inside_the_range(values, seed):
    low, high = bootstrap_mean_ci(values, resamples=200, seed=seed)
    assert min(values) - 1e-9 <= low <= high <= max(values) + 1e-9


# Pareto layers and welfare functions ------------------------------------------------------------------------------
objective_value = st.one_of(st.sampled_from([0.0, 0.5, 1.0]), st.floats(-3, 3, allow_nan=False), st.none())


@st.composite
def boards(draw):
    k = draw(st.integers(1, 4))
    return draw(st.lists(st.lists(objective_value, min_size=k, max_size=k), min_size=0, max_size=12))


@settings(max_examples=300, deadline=None)
@given(boards())
def test_pareto_layers_partition_the_models(vectors):
    from pluralbench.report.pareto import pareto_layers

    layers = pareto_layers(vectors)
    assert len(layers) == len(vectors)  # every model gets exactly one layer
    used = set(layers)
    assert used == set(range(1, len(used) + 1))  # layers 1..L, none empty, none skipped
    members = [[i for i, layer in enumerate(layers) if layer == k] for k in sorted(used)]
    assert sorted(i for layer in members for i in layer) == list(range(len(vectors)))  # disjoint, covering


@st.composite
def juries(draw):
    """jurors x items utilities in [0, 10] with NaN holes, and juror weights (some zero)."""
    jurors, items = draw(st.integers(1, 6)), draw(st.integers(1, 4))
    cell = st.one_of(st.floats(0.0, 10.0, allow_nan=False), st.just(float("nan")))
    u = np.asarray(draw(st.lists(st.lists(cell, min_size=items, max_size=items), min_size=jurors, max_size=jurors)))
    w = np.asarray(draw(st.lists(st.one_of(st.just(0.0), st.floats(0.01, 5.0)), min_size=jurors, max_size=jurors)))
    return u, w


@settings(max_examples=300, deadline=None)
@given(juries(), st.one_of(st.floats(-30, 30, allow_nan=False), st.sampled_from(["-inf", "inf", 0.0, 1.0])))
def test_welfare_functions_lie_between_min_and_max(jury, p):
    from pluralbench.metrics.declared import names_of_kind
    from pluralbench.registry import metrics

    u, w = jury
    for name in names_of_kind("welfare"):
        fn = metrics.get(name)
        values = fn(u, w, p=p) if name == "welfare_power_mean" else fn(u, w)
        assert values.shape == (u.shape[1],)
        for k in range(u.shape[1]):
            present = u[~np.isnan(u[:, k]) & (w > 0), k]
            if present.size == 0:
                assert math.isnan(values[k]), (name, k)  # no juror: no welfare, never a made-up number
            else:
                assert present.min() - 1e-9 <= values[k] <= present.max() + 1e-9, (name, p, present, values[k])


def test_js_is_finite_when_a_subnormal_probability_halves_to_zero():
    """Found by hypothesis: q = [1, 5e-324] has m = [1, 0] in its second entry (half the smallest subnormal
    rounds to 0), which made q log(q / m) infinite."""
    assert js_distance([1.0, 0.0], [1.0, 5e-324], 2) == 0.0
    assert js_distance([1.0, 0.0], [1.0, 5e-324], "e") == 0.0
