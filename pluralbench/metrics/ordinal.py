"""Distances between answer distributions over ordered options (Santurkar et al. 2023, OpinionQA).

Options sit at ordinal positions (1, 2, 3, ... by default, or the survey's own `option_ordinal`);
the 1-Wasserstein distance between two distributions on those positions is divided by the largest
possible distance (max position - min position), so 1 - that is a similarity in [0, 1].
"""
from __future__ import annotations

import math

import numpy as np

from pluralbench.metrics.declared import declare_metric
from pluralbench.metrics.divergence import normalise


@declare_metric("ordinal_wasserstein", "distribution_pair", direction="lower", bounds=(0, math.inf),
                description="1-Wasserstein distance between distributions over ordered options")
def ordinal_wasserstein(p, q, positions=None) -> float:
    """1-Wasserstein distance between p and q placed at `positions` (default 0..k-1): the area
    between their cumulative distribution functions."""
    p, q = normalise(p), normalise(q)
    if p.shape != q.shape:
        raise ValueError(f"distributions differ in length: {p.shape[0]} vs {q.shape[0]}")
    pos = np.arange(p.size, dtype=np.float64) if positions is None else np.asarray(positions, dtype=np.float64)
    if pos.shape != p.shape:
        raise ValueError(f"{pos.size} positions for {p.size} options")
    order = np.argsort(pos, kind="stable")
    pos, p, q = pos[order], p[order], q[order]
    gaps = np.diff(pos)
    return float(np.sum(np.abs(np.cumsum(p)[:-1] - np.cumsum(q)[:-1]) * gaps))


@declare_metric("ordinal_similarity", "distribution_pair", direction="higher", bounds=(0, 1),
                description="1 - Wasserstein distance over the largest possible one (OpinionQA)")
def ordinal_similarity(p, q, positions=None) -> float:
    """1 - Wasserstein distance / (max position - min position); 1 means identical."""
    pos = np.arange(len(p), dtype=np.float64) if positions is None else np.asarray(positions, dtype=np.float64)
    span = float(pos.max() - pos.min()) if pos.size else 0.0
    if span <= 0:
        raise ValueError("ordinal similarity needs at least two distinct positions")
    return 1.0 - ordinal_wasserstein(p, q, pos) / span
