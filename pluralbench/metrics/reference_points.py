"""Human reference points: what a distance means, scored with the same metric as the model.

- bounds (Meister et al.): the uniform guess, all mass on the most-chosen answer (modal), all mass on
  the least-chosen answer;
- the resolution floor of a read-out: the human distribution rounded to the grid a method can express
  (multiples of 1/N for N samples, or a verbalized answer's precision);
- the survey sampling noise floor: where a group's distribution comes from n respondents, the expected
  distance between it and a multinomial resample of n respondents, i.e. what a model that knew the
  population exactly would still score;
- split-half agreement: where per-rater data exist, the distance between the answer distributions of
  two random halves of the raters.
"""
from __future__ import annotations

from typing import Callable

import numpy as np
from scipy.stats import binom


def modal(p) -> np.ndarray:
    """All mass on the most-chosen option (the first of tied ones)."""
    p = np.asarray(p, dtype=np.float64)
    return np.eye(p.size)[int(np.argmax(p))]


def least_chosen(p) -> np.ndarray:
    """All mass on the least-chosen option (the first of tied ones)."""
    p = np.asarray(p, dtype=np.float64)
    return np.eye(p.size)[int(np.argmin(p))]


def uniform(p) -> np.ndarray:
    p = np.asarray(p, dtype=np.float64)
    return np.full(p.size, 1.0 / p.size)


def rounded_to_grid(p, steps: int) -> np.ndarray:
    """p rounded to multiples of 1/steps that still sum to 1 (largest remainders get the leftover steps):
    the closest a read-out of that resolution can come."""
    p = np.asarray(p, dtype=np.float64)
    p = p / p.sum()
    scaled = p * steps
    counts = np.floor(scaled)
    short = int(round(steps - counts.sum()))
    order = np.argsort(-(scaled - counts), kind="stable")
    counts[order[:short]] += 1
    return counts / steps


def expected_sampling_tv(p, n: int) -> float:
    """E[TV(p, counts/n)] for counts ~ Multinomial(n, p), exactly.

    TV is half the sum of |p_hat_i - p_i|, and each p_hat_i is Binomial(n, p_i)/n on its own, so by
    linearity the expectation is half the sum of the binomial mean absolute deviations."""
    p = np.asarray(p, dtype=np.float64)
    p = p / p.sum()
    k = np.arange(n + 1)
    return float(0.5 * sum(np.sum(binom.pmf(k, n, pi) * np.abs(k / n - pi)) for pi in p))


def expected_sampling_distance(p, n: int, distance: Callable, *, draws: int = 2000, seed: int = 0) -> float:
    """E[distance(p, counts/n)] for counts ~ Multinomial(n, p), by seeded simulation (any distance)."""
    p = np.asarray(p, dtype=np.float64)
    p = p / p.sum()
    rng = np.random.default_rng(seed)
    counts = rng.multinomial(n, p, size=draws)
    return float(np.mean([distance(p, c / n) for c in counts]))


def split_half(ratings: np.ndarray, n_options: int, distance: Callable, *, draws: int = 200, seed: int = 0) -> float | None:
    """Mean distance between the answer distributions of two random halves of the raters of one item.

    ratings: one option index per rater. None when fewer than two raters (no halves to compare)."""
    ratings = np.asarray(ratings, dtype=np.int64)
    if ratings.size < 2:
        return None
    rng = np.random.default_rng(seed)
    half = ratings.size // 2
    values = []
    for _ in range(draws):
        order = rng.permutation(ratings.size)
        a = np.bincount(ratings[order[:half]], minlength=n_options) / half
        b = np.bincount(ratings[order[half:2 * half]], minlength=n_options) / half
        values.append(distance(a, b))
    return float(np.mean(values))
