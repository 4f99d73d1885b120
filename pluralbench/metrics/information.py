"""Entropy of answer distributions (the Roadmap reports it falling after RLHF)."""
from __future__ import annotations

import math

import numpy as np

from pluralbench.metrics.declared import declare_metric
from pluralbench.metrics.divergence import log_base, normalise


@declare_metric("entropy", "distribution", direction=None, bounds=(0, math.inf),
                description="Shannon entropy of one distribution, in units of log `base`")
def entropy(p, base=2) -> float:
    p = normalise(p)
    nz = p > 0
    return float(-np.sum(p[nz] * np.log(p[nz])) / log_base(base))


@declare_metric("normalised_entropy", "distribution", direction=None, bounds=(0, 1),
                description="entropy divided by its maximum for the option count")
def normalised_entropy(p, base=2) -> float:
    """Entropy divided by its maximum log(k): 1 for uniform, 0 for a point mass; comparable across option counts."""
    k = len(p)
    return entropy(p, base) / (np.log(k) / log_base(base)) if k > 1 else 0.0
