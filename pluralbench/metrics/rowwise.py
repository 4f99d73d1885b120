"""Row-wise (vectorised) forms of the distribution metrics, for scoring thousands of items at once.

Each takes 2-D arrays whose rows are distributions of one length and returns one value per row,
equal to the scalar definition in divergence.py / information.py (tests pin them to each other and
to scipy). A metric without a row-wise form is computed item by item.
"""
from __future__ import annotations

import numpy as np

from pluralbench.metrics.divergence import log_base
from pluralbench.metrics.variation import simbench_scores, total_variation, total_variation_rows


def _normalise_rows(p) -> np.ndarray:
    p = np.asarray(p, dtype=np.float64)
    totals = p.sum(axis=1, keepdims=True)
    if (p < 0).any() or not np.isfinite(totals).all() or (totals <= 0).any():
        raise ValueError("a distribution needs non-negative entries with a positive finite sum")
    return p / totals


def _plogp_ratio(p: np.ndarray, m: np.ndarray) -> np.ndarray:
    out = np.zeros_like(p)
    nz = p > 0  # 0 * log(0 / m) = 0 by convention
    out[nz] = p[nz] * np.log(p[nz] / m[nz])
    return out.sum(axis=1)


def js_divergence_rows(p, q, base=2) -> np.ndarray:
    p, q = _normalise_rows(p), _normalise_rows(q)
    m = 0.5 * (p + q)
    return np.maximum(0.5 * (_plogp_ratio(p, m) + _plogp_ratio(q, m)) / log_base(base), 0.0)


def js_distance_rows(p, q, base=2) -> np.ndarray:
    return np.sqrt(js_divergence_rows(p, q, base))


def js_similarity_rows(p, q, base=2) -> np.ndarray:
    return 1.0 - js_distance_rows(p, q, base)


def most_likely_match_rows(p, q) -> np.ndarray:
    return (np.argmax(np.asarray(p), axis=1) == np.argmax(np.asarray(q), axis=1)).astype(np.float64)


def entropy_rows(p, base=2) -> np.ndarray:
    p = _normalise_rows(p)
    logs = np.zeros_like(p)
    nz = p > 0
    logs[nz] = np.log(p[nz])
    return -(p * logs).sum(axis=1) / log_base(base)


ROWWISE = {
    "tv": total_variation_rows,
    "js_divergence": js_divergence_rows,
    "js_distance": js_distance_rows,
    "js_similarity": js_similarity_rows,
    "most_likely_match": most_likely_match_rows,
}


def evaluate_pairs(fn, name: str, preds: list[np.ndarray], golds: list[np.ndarray], params: dict) -> np.ndarray:
    """fn(pred_i, gold_i, **params) for every i, vectorised per option count when a row-wise form exists."""
    out = np.empty(len(preds))
    rowwise = ROWWISE.get(name)
    if rowwise is None:
        for i, (p, g) in enumerate(zip(preds, golds)):
            out[i] = fn(p, g, **params)
        return out
    by_len: dict[int, list[int]] = {}
    for i, p in enumerate(preds):
        by_len.setdefault(len(p), []).append(i)
    for idx in by_len.values():
        out[idx] = rowwise(np.stack([preds[i] for i in idx]), np.stack([golds[i] for i in idx]), **params)
    return out


def entropy_of(dists: list[np.ndarray], base) -> np.ndarray:
    out = np.empty(len(dists))
    by_len: dict[int, list[int]] = {}
    for i, p in enumerate(dists):
        by_len.setdefault(len(p), []).append(i)
    for idx in by_len.values():
        out[idx] = entropy_rows(np.stack([dists[i] for i in idx]), base)
    return out


def tv_of(models: list[np.ndarray], humans: list[np.ndarray]) -> np.ndarray:
    return evaluate_pairs(total_variation, "tv", models, humans, {})


def simbench_of(models: list[np.ndarray], humans: list[np.ndarray], norm: float) -> np.ndarray:
    """Per-row SimBench-style scores against the task's norm (variation.simbench_norm over all its scored
    rows: groups and reference points use the task's norm too, so their scores are on one scale)."""
    return simbench_scores(tv_of(models, humans), [norm]) if humans else np.zeros(0)
