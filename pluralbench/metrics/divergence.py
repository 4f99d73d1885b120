"""Distances between answer distributions. Pure functions of two probability vectors."""
from __future__ import annotations

import math

import numpy as np

from pluralbench.metrics.declared import declare_metric


def log_base(base) -> float:
    """ln(base); accepts 2, 10, or 'e' (natural log, scipy's default)."""
    if base in ("e", None):
        return 1.0
    base = float(base)
    if base <= 0 or base == 1:
        raise ValueError(f"log base must be positive and not 1, got {base}")
    return math.log(base)


def normalise(p) -> np.ndarray:
    """Scale a non-negative vector to sum 1 (as scipy.spatial.distance.jensenshannon does)."""
    p = np.asarray(p, dtype=np.float64)
    total = p.sum()
    if not np.isfinite(total) or total <= 0 or (p < 0).any():
        raise ValueError("a distribution needs non-negative entries with a positive finite sum")
    return p / total


def _kl_terms(p: np.ndarray, m: np.ndarray) -> float:
    # 0 * log(0 / m) = 0 by convention; a subnormal p whose half underflows to m = 0 adds < 1e-323 (scipy's
    # rel_entr returns inf there, which the [0, 1] bound of the JS divergence rules out).
    nz = (p > 0) & (m > 0)
    return float(np.sum(p[nz] * np.log(p[nz] / m[nz])))


@declare_metric("js_divergence", "distribution_pair", direction="lower", bounds=(0, 1),
                description="Jensen-Shannon divergence between model and reference distributions")
def js_divergence(p, q, base=2) -> float:
    """Jensen-Shannon divergence in units of log `base`; in [0, 1] for base 2."""
    p, q = normalise(p), normalise(q)
    if p.shape != q.shape:
        raise ValueError(f"distributions differ in length: {p.shape[0]} vs {q.shape[0]}")
    m = 0.5 * (p + q)
    div = 0.5 * (_kl_terms(p, m) + _kl_terms(q, m)) / log_base(base)
    return max(div, 0.0)  # rounding can leave -1e-17


@declare_metric("js_distance", "distribution_pair", direction="lower", bounds=(0, 1),
                description="Jensen-Shannon distance (square root of the divergence)")
def js_distance(p, q, base=2) -> float:
    """Jensen-Shannon distance, sqrt of the divergence; base 2 is bounded by 1, natural log by sqrt(ln 2)."""
    return math.sqrt(js_divergence(p, q, base))


@declare_metric("js_similarity", "distribution_pair", direction="higher", bounds=(0, 1),
                description="1 - Jensen-Shannon distance")
def js_similarity(p, q, base=2) -> float:
    """1 - JS distance (Durmus et al. 2023 report this per country)."""
    return 1.0 - js_distance(p, q, base)


@declare_metric("most_likely_match", "distribution_pair", direction="higher", bounds=(0, 1),
                description="1 when the model's and the reference's most likely options agree, else 0")
def most_likely_match(p, q) -> float:
    """1.0 when the two distributions' most likely options agree (first index wins ties, like argmax)."""
    return float(int(np.argmax(np.asarray(p))) == int(np.argmax(np.asarray(q))))
