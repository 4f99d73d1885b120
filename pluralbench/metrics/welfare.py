"""Social welfare functions over a jury: jurors x items utility matrices in, one welfare per item out.

Every function takes `utilities` (jurors x items; NaN = this juror has no utility for this item, e.g. a
Polis participant who did not vote on a comment: the juror is left out of that item) and optional
`weights` (one per juror; non-negative; renormalised over the jurors present for each item; weight 0
leaves a juror out entirely, including from the minimum). Quotas and re-weighting of under-represented
groups are expressed through the weights.

Rules for zero and negative utilities (the power mean is only defined on non-negative numbers):
- p = 1 (utilitarian mean) and p = -inf / +inf (minimum / maximum) accept any real utilities.
- Every other p needs utilities >= 0; a negative one raises ValueError. Map an ordinal scale onto
  [floor, 1] first with `rescale_to_unit` (affine maps leave the mean and the minimum's ordering and
  normalised scores unchanged).
- p <= 0 (Nash welfare is p = 0, the weighted geometric mean): if any present juror with positive
  weight has utility exactly 0, the welfare is 0. This is the limit of M_p as that utility goes to 0,
  and it is the point of these functions: a juror left with nothing vetoes the item.
"""
from __future__ import annotations

import math

import numpy as np
from scipy.special import logsumexp

from pluralbench.metrics.declared import declare_metric


def _as_matrix(utilities, weights):
    u = np.asarray(utilities, dtype=np.float64)
    if u.ndim == 1:
        u = u[:, None]  # one item
    if u.ndim != 2:
        raise ValueError(f"utilities must be a jurors x items matrix, got {u.ndim} dimensions")
    if np.isinf(u).any():
        raise ValueError("utilities must be finite (use NaN for 'no utility')")
    if weights is None:
        w = np.ones(u.shape[0])
    else:
        w = np.asarray(weights, dtype=np.float64)
        if w.shape != (u.shape[0],):
            raise ValueError(f"need one weight per juror: {u.shape[0]} jurors, {w.shape} weights")
        if not np.isfinite(w).all() or (w < 0).any():
            raise ValueError("juror weights must be finite and non-negative")
    return u, w


def power_mean(utilities, weights=None, p: float = 1.0) -> np.ndarray:
    """Weighted power mean M_p of each item's column, over the jurors present (see module rules).

    M_p = (sum_j w_j u_j^p)^(1/p) with weights summing to 1; M_0 = prod_j u_j^w_j; M_-inf = min, M_inf = max.
    Returns a float array with one welfare per item (NaN where no juror with positive weight is present).
    """
    u, w = _as_matrix(utilities, weights)
    p = float(p)
    if math.isnan(p):
        raise ValueError("p must be a number")
    out = np.full(u.shape[1], np.nan)
    for k in range(u.shape[1]):
        col = u[:, k]
        present = ~np.isnan(col) & (w > 0)
        if not present.any():
            continue
        x, wk = col[present], w[present] / w[present].sum()
        if p == -math.inf:
            out[k] = x.min()
        elif p == math.inf:
            out[k] = x.max()
        elif p == 1.0:
            out[k] = float(np.dot(wk, x))
        else:
            if (x < 0).any():
                raise ValueError(f"the power mean with p={p:g} needs non-negative utilities; "
                                 "rescale the utility scale onto [floor, 1] first")
            if p <= 0 and (x == 0).any():
                out[k] = 0.0
            else:
                out[k] = _positive_power_mean(x, wk, p)
    return out


def _positive_power_mean(x: np.ndarray, w: np.ndarray, p: float) -> float:
    """M_p of x >= 0 (no zeros when p <= 0) with weights summing to 1, computed in the log domain:
    M_p = exp(log(sum_j w_j exp(p log x_j)) / p), so neither large |p| nor tiny utilities overflow."""
    pos = x > 0  # zeros only reach here when p > 0, where 0^p = 0 contributes nothing
    if not pos.any():
        return 0.0
    logs, wp = np.log(x[pos]), w[pos]
    spread = abs(p) * max(float(np.abs(logs).max()), 1.0)
    if p == 0.0 or spread < 1e-300:
        # p = 0 (or below what p * log x can hold): the geometric mean (the limit; a zero makes it 0).
        value = float(np.exp(np.dot(wp, logs))) if pos.all() else 0.0
    elif spread < 1.0:
        # Small |p|: log(sum w e^{p log x}) is a sum near 1, and logsumexp loses its digits to cancellation
        # (M_1e-9 came out below M_0); log1p/expm1 keep them, so M_p stays monotone in p.
        missing = 0.0 if pos.all() else wp.sum() - 1.0  # jurors at 0 (p > 0); else exactly 0, not a rounding
        value = float(np.exp(np.log1p(missing + np.dot(wp, np.expm1(p * logs))) / p))
    else:
        value = float(np.exp(logsumexp(p * logs, b=wp) / p))
    return min(max(value, float(x.min())), float(x.max()))  # rounding must not leave [min, max]


@declare_metric("welfare_utilitarian", "welfare", direction="higher", description="weighted mean utility (M_1)")
def utilitarian(utilities, weights=None) -> np.ndarray:
    """Weighted mean utility (M_1)."""
    return power_mean(utilities, weights, 1.0)


@declare_metric("welfare_nash", "welfare", direction="higher", description="weighted geometric mean utility (M_0)")
def nash_welfare(utilities, weights=None) -> np.ndarray:
    """Weighted geometric mean of the utilities (M_0); 0 when a present juror has utility 0."""
    return power_mean(utilities, weights, 0.0)


@declare_metric("welfare_egalitarian", "welfare", direction="higher",
                description="the worst-off present juror's utility (M_-inf)")
def egalitarian(utilities, weights=None) -> np.ndarray:
    """Rawlsian maximin welfare: the worst-off present juror's utility (M_-inf)."""
    return power_mean(utilities, weights, -math.inf)


def parse_p(value) -> float:
    """p from a task file: a number, or the strings '-inf' / 'inf'."""
    if isinstance(value, str):
        if value.strip() in ("-inf", "inf", "+inf"):
            return float(value)
        raise ValueError(f"p must be a number, '-inf' or 'inf', not {value!r}")
    return float(value)


def rescale_to_unit(values, low: float, high: float, floor: float = 0.0) -> np.ndarray:
    """Map a utility scale [low, high] linearly onto [floor, 1] (NaN stays NaN).

    Nash and p < 0 power means need positive utilities to say anything beyond "someone got the worst
    outcome"; `floor` is the utility of the scale's worst point. Record it with the results.
    """
    if not high > low:
        raise ValueError(f"utility scale needs high > low, got [{low}, {high}]")
    if not 0.0 <= floor < 1.0:
        raise ValueError(f"floor must lie in [0, 1), got {floor}")
    v = np.asarray(values, dtype=np.float64)
    finite = v[~np.isnan(v)]
    if finite.size and (finite.min() < low - 1e-9 or finite.max() > high + 1e-9):
        raise ValueError(f"utilities outside the declared scale [{low}, {high}]")
    return floor + (1.0 - floor) * (v - low) / (high - low)


def choice_welfare(choice_probs, candidate_welfare) -> dict:
    """Expected welfare of a (randomised) choice among candidates, against picking one at random.

    normalised = (model - random) / (best - random): 1 = always picks the best candidate, 0 = no better
    than a uniform random pick, negative = worse than random. None when every candidate ties.
    """
    probs = np.asarray(choice_probs, dtype=np.float64)
    wel = np.asarray(candidate_welfare, dtype=np.float64)
    if probs.shape != wel.shape:
        raise ValueError(f"{probs.size} choice probabilities for {wel.size} candidates")
    if np.isnan(wel).any():
        raise ValueError("every candidate needs a welfare value")
    model, random, best, worst = float(probs @ wel), float(wel.mean()), float(wel.max()), float(wel.min())
    spread = best - random
    return {"model": model, "random": random, "best": best, "worst": worst,
            "best_index": int(np.argmax(wel)), "worst_index": int(np.argmin(wel)),
            "normalised": (model - random) / spread if spread > 1e-12 else None}


@declare_metric("welfare_power_mean", "welfare", direction="higher",
                description="weighted power mean M_p of the utilities (p: a number, '-inf' or 'inf')")
def welfare_power_mean(utilities, weights=None, p=1.0) -> np.ndarray:
    return power_mean(utilities, weights, parse_p(p))
