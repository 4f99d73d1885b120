"""Total variation and the SimBench-style score, the distances the field's newest anchors report.

Meister et al. (NAACL 2025) report mean total variation TV(p, q) = 0.5 * sum |p - q|. SimBench (Hu
et al. 2025, `calculate_simbench_score.py`) turns it into S = 100 * (1 - TV(human, model) / mean TV(human,
uniform)), per row with the dataset's mean uniform distance as the norm, then averaged: 0 is as good as
the uniform guess, 100 perfect, negative worse than uniform.
"""
from __future__ import annotations

import numpy as np

from pluralbench.metrics.declared import declare_metric


def _rows(p) -> np.ndarray:
    arr = np.atleast_2d(np.asarray(p, dtype=np.float64))
    if (arr < 0).any() or not np.isfinite(arr).all():
        raise ValueError("a distribution needs finite, non-negative entries")
    totals = arr.sum(axis=1, keepdims=True)
    if (totals <= 0).any():
        raise ValueError("a distribution needs a positive sum")
    return arr / totals


@declare_metric("tv", "distribution_pair", direction="lower", bounds=(0, 1),
                description="Total variation distance 0.5 * sum |p - q| between model and reference distributions")
def total_variation(p, q) -> float:
    """0.5 * sum |p - q| of two distributions (each renormalised), in [0, 1]."""
    return float(total_variation_rows(p, q)[0])


def total_variation_rows(p, q) -> np.ndarray:
    """Row-wise total variation of two 2-D arrays of distributions of one length."""
    return 0.5 * np.abs(_rows(p) - _rows(q)).sum(axis=1)


def uniform_tv(p) -> float:
    """TV between a distribution and the uniform one over its options (SimBench's per-row norm)."""
    p = np.asarray(p, dtype=np.float64)
    return total_variation(p, np.full(p.size, 1.0 / p.size))


def simbench_scores(tv_model, tv_uniform) -> np.ndarray:
    """Per-row S = 100 * (1 - TV(human, model) / mean TV(human, uniform)); the score is their mean.

    The norm is the mean over the rows given (the dataset), as in SimBench's script, not each row's own
    uniform distance, so rows where people are near-uniform do not blow up."""
    tv_model = np.asarray(tv_model, dtype=np.float64)
    norm = float(np.mean(np.asarray(tv_uniform, dtype=np.float64)))
    if norm <= 0:
        raise ValueError("every reference distribution is uniform: the SimBench score is undefined")
    return 100.0 * (1.0 - tv_model / norm)


def simbench_norm(humans) -> float:
    """The SimBench score's norm for a set of reference distributions: their mean TV to uniform."""
    return float(np.mean([uniform_tv(h) for h in humans])) if len(humans) else float("nan")

