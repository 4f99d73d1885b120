"""Property tests (hypothesis) on the metric functions."""
import math

import numpy as np
from hypothesis import given, settings, strategies as st

from pluralbench.families.option_scoring import option_distribution
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
