"""How well a score separates positives from negatives: AUROC, with a cluster bootstrap CI."""
from __future__ import annotations

import numpy as np
from scipy.stats import rankdata


def auroc(positives, negatives) -> float:
    """P(score of a random positive > a random negative), ties counting one half (Mann-Whitney U)."""
    pos = np.asarray(positives, dtype=np.float64)
    neg = np.asarray(negatives, dtype=np.float64)
    if pos.size == 0 or neg.size == 0:
        return float("nan")
    ranks = rankdata(np.concatenate([pos, neg]))  # average ranks for ties
    u = ranks[: pos.size].sum() - pos.size * (pos.size + 1) / 2.0
    return float(u / (pos.size * neg.size))


def cluster_bootstrap(statistic, positives, negatives, clusters_pos, clusters_neg, *, resamples: int = 1000,
                      level: float = 0.95, seed: int = 0) -> tuple[float, float]:
    """Percentile CI of statistic(pos, neg), resampling whole clusters (e.g. situations) with replacement.

    Pairs built from one situation share its explanations, so they are not independent.
    """
    pos, neg = np.asarray(positives, dtype=np.float64), np.asarray(negatives, dtype=np.float64)
    cp, cn = np.asarray(clusters_pos).astype(str), np.asarray(clusters_neg).astype(str)
    names = np.unique(np.concatenate([cp, cn]))
    if names.size < 2 or resamples <= 0:
        v = statistic(pos, neg)
        return (v, v)
    pos_by = {c: pos[cp == c] for c in names}
    neg_by = {c: neg[cn == c] for c in names}
    rng = np.random.default_rng(seed)
    values = []
    for _ in range(resamples):
        pick = names[rng.integers(0, names.size, names.size)]
        p = np.concatenate([pos_by[c] for c in pick])
        n = np.concatenate([neg_by[c] for c in pick])
        if p.size and n.size:
            values.append(statistic(p, n))
    alpha = (1.0 - level) / 2.0
    low, high = np.quantile(values, [alpha, 1.0 - alpha])
    return (float(low), float(high))


def mean_gap(positives, negatives) -> float:
    return float(np.mean(positives) - np.mean(negatives))
