"""Percentile bootstrap confidence intervals for means, optionally resampling clusters.

Rows that share one model output (a GlobalOpinionQA question asked once for many countries) are
not independent; resampling whole clusters keeps the interval honest.
"""
from __future__ import annotations

import numpy as np


def _resampled_means(sums: np.ndarray, counts: np.ndarray, idx: np.ndarray) -> np.ndarray:
    """Each resample's mean (one resample per row of idx), gathered a block of resamples at a time so the
    gathered rows stay small (a (1000 x 1270 x 10) gather at once was 4x slower); every resample's sum
    is added in the same order whatever the block, so the numbers are the same bits."""
    per_resample = idx.shape[1] * (sums.shape[1] if sums.ndim == 2 else 1)
    block = max(1, 262_144 // per_resample)
    out = np.empty((idx.shape[0],) + sums.shape[1:])
    for start in range(0, idx.shape[0], block):
        part = idx[start:start + block]
        totals = counts[part].sum(axis=1)
        out[start:start + block] = sums[part].sum(axis=1) / (totals[:, None] if sums.ndim == 2 else totals)
    return out


def bootstrap_mean_ci(values, clusters=None, *, resamples: int = 1000, level: float = 0.95,
                      seed: int = 0) -> tuple[float, float]:
    values = np.asarray(values, dtype=np.float64)
    if values.size == 0:
        return (float("nan"), float("nan"))
    if values.size == 1 or resamples <= 0:
        v = float(values.mean())
        return (v, v)
    if clusters is None:
        sums, counts = values, np.ones_like(values)
    else:
        _, inverse = np.unique(np.asarray(clusters, dtype=object).astype(str), return_inverse=True)
        sums = np.bincount(inverse, weights=values)
        counts = np.bincount(inverse).astype(np.float64)
    rng = np.random.default_rng(seed)
    n = sums.size
    means = np.empty(resamples)
    # Chunked so 1000 x 5000 index draws never need more than a few MB.
    chunk = max(1, 2_000_000 // max(n, 1))
    for start in range(0, resamples, chunk):
        stop = min(resamples, start + chunk)
        means[start:stop] = _resampled_means(sums, counts, rng.integers(0, n, size=(stop - start, n)))
    alpha = (1.0 - level) / 2.0
    low, high = np.quantile(means, [alpha, 1.0 - alpha])
    return (float(low), float(high))


def bootstrap_mean_ci_columns(matrix, clusters=None, *, resamples: int = 1000, level: float = 0.95,
                              seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """bootstrap_mean_ci for every column of an (n, m) matrix at once, from the same resamples.

    The index draws are exactly those bootstrap_mean_ci makes for one column with this seed, so each
    column's interval equals a separate call's; the draws are just made once instead of m times.
    """
    matrix = np.asarray(matrix, dtype=np.float64)
    n_rows, m = matrix.shape
    if n_rows == 0:
        return np.full(m, np.nan), np.full(m, np.nan)
    if n_rows == 1 or resamples <= 0:
        v = matrix.mean(axis=0)
        return v, v.copy()
    if clusters is None:
        sums, counts = matrix, np.ones(n_rows)
    else:
        _, inverse = np.unique(np.asarray(clusters, dtype=object).astype(str), return_inverse=True)
        sums = np.zeros((inverse.max() + 1, m))
        np.add.at(sums, inverse, matrix)
        counts = np.bincount(inverse).astype(np.float64)
    rng = np.random.default_rng(seed)
    n = sums.shape[0]
    means = np.empty((resamples, m))
    chunk = max(1, 2_000_000 // max(n, 1))  # the same chunking as bootstrap_mean_ci, hence the same draws
    for start in range(0, resamples, chunk):
        stop = min(resamples, start + chunk)
        means[start:stop] = _resampled_means(sums, counts, rng.integers(0, n, size=(stop - start, n)))
    alpha = (1.0 - level) / 2.0
    low, high = np.quantile(means, [alpha, 1.0 - alpha], axis=0)
    return low, high


def bootstrap_statistic_ci(statistic, n: int, clusters=None, *, resamples: int = 1000, level: float = 0.95,
                           seed: int = 0):
    """Percentile CI of any statistic of rows, e.g. balanced accuracy or an AUROC, that is not a mean.

    `statistic(indices)` computes the number (or a vector of numbers) from the rows at `indices` (an
    int array, with repeats). Resampling draws whole clusters when `clusters` is given. Resamples where
    a statistic is undefined (nan, e.g. an AUROC drawn with one class only) are dropped for it.
    Returns (low, high): floats for a scalar statistic, arrays for a vector one.
    """
    if n == 0:
        return (float("nan"), float("nan"))
    v = statistic(np.arange(n))
    scalar = np.ndim(v) == 0
    if n == 1 or resamples <= 0:
        return (float(v), float(v)) if scalar else (np.asarray(v, float), np.asarray(v, float))
    members = None
    if clusters is not None:
        _, inverse = np.unique(np.asarray(clusters, dtype=object).astype(str), return_inverse=True)
        order = np.argsort(inverse, kind="stable")
        bounds = np.flatnonzero(np.diff(inverse[order])) + 1
        members = np.split(order, bounds)
    rng = np.random.default_rng(seed)
    draws = []
    for _ in range(resamples):
        if members is None:
            idx = rng.integers(0, n, size=n)
        else:
            pick = rng.integers(0, len(members), size=len(members))
            idx = np.concatenate([members[c] for c in pick])
        draws.append(np.atleast_1d(np.asarray(statistic(idx), dtype=np.float64)))
    draws = np.vstack(draws)
    alpha = (1.0 - level) / 2.0
    lows, highs = [], []
    for col in draws.T:
        col = col[np.isfinite(col)]
        if col.size == 0:
            lows.append(float("nan"))
            highs.append(float("nan"))
        else:
            lo, hi = np.quantile(col, [alpha, 1.0 - alpha])
            lows.append(float(lo))
            highs.append(float(hi))
    if scalar:
        return (lows[0], highs[0])
    return (np.asarray(lows), np.asarray(highs))


def bootstrap_ratio_ci(numerators, denominators, *, resamples: int = 1000, level: float = 0.95,
                       seed: int = 0) -> tuple[float, float]:
    """CI of sum(numerators) / sum(denominators), resampling the paired rows (a pooled normalised score)."""
    num = np.asarray(numerators, dtype=np.float64)
    den = np.asarray(denominators, dtype=np.float64)
    if num.size == 0 or num.shape != den.shape:
        return (float("nan"), float("nan"))
    if num.size == 1 or resamples <= 0:
        v = float(num.sum() / den.sum()) if den.sum() != 0 else float("nan")
        return (v, v)
    rng = np.random.default_rng(seed)
    idx = rng.integers(0, num.size, size=(resamples, num.size))
    dens = den[idx].sum(axis=1)
    ratios = np.where(dens != 0, num[idx].sum(axis=1) / np.where(dens != 0, dens, 1.0), np.nan)
    ratios = ratios[~np.isnan(ratios)]
    if ratios.size == 0:
        return (float("nan"), float("nan"))
    alpha = (1.0 - level) / 2.0
    low, high = np.quantile(ratios, [alpha, 1.0 - alpha])
    return (float(low), float(high))
