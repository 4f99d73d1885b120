"""How well a score separates two groups: AUROC as the Mann-Whitney probability (ties count 1/2)."""
from __future__ import annotations

import numpy as np
from scipy.stats import rankdata

from pluralbench.metrics.declared import declare_metric


@declare_metric("auroc", "separation", direction="higher", bounds=(0, 1),
                description="probability that a random positive scores above a random negative (ties 1/2)")
def auroc(scores, is_positive) -> float:
    """P(score of a random positive > score of a random negative) + 1/2 P(tie); nan without both classes.

    Equals sklearn.metrics.roc_auc_score(is_positive, scores) for binary labels.
    """
    scores = np.asarray(scores, dtype=np.float64)
    pos = np.asarray(is_positive, dtype=bool)
    n_pos, n_neg = int(pos.sum()), int((~pos).sum())
    if n_pos == 0 or n_neg == 0:
        return float("nan")
    ranks = rankdata(scores)  # average ranks handle ties
    return float((ranks[pos].sum() - n_pos * (n_pos + 1) / 2) / (n_pos * n_neg))


def auroc_between(positives, negatives) -> float:
    """auroc() for two separate score samples: P(random positive > random negative), ties 1/2."""
    pos = np.asarray(positives, dtype=np.float64)
    neg = np.asarray(negatives, dtype=np.float64)
    return auroc(np.concatenate([pos, neg]), np.r_[np.ones(pos.size, bool), np.zeros(neg.size, bool)])


def mean_gap(positives, negatives) -> float:
    return float(np.mean(positives) - np.mean(negatives))


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
