"""How well a score separates two groups: AUROC as the Mann-Whitney probability (ties count 1/2)."""
from __future__ import annotations

import numpy as np
from scipy.stats import rankdata


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
