"""The one shape every aggregated number takes in metrics.json: value, CI, n, direction."""
from __future__ import annotations

import math

import numpy as np

from pluralbench.metrics.bootstrap import bootstrap_mean_ci


def _clean(x: float) -> float | None:
    return None if x is None or (isinstance(x, float) and math.isnan(x)) else float(x)


def mean_with_ci(values, *, clusters=None, bootstrap: dict, seed: int, direction: str | None = None,
                 description: str | None = None) -> dict:
    values = np.asarray(values, dtype=np.float64)
    low, high = bootstrap_mean_ci(values, clusters, resamples=bootstrap["resamples"],
                                  level=bootstrap["level"], seed=seed)
    out = {
        "value": _clean(float(values.mean())) if values.size else None,
        "ci_low": _clean(low),
        "ci_high": _clean(high),
        "n": int(values.size),
    }
    if direction:
        out["direction"] = direction
    if description:
        out["description"] = description
    return out
