"""Turning an adapter's option log-probabilities into a distribution over the options."""
from __future__ import annotations

import math

import numpy as np

from pluralbench.models.base import OptionOutput


def option_distribution(output: OptionOutput) -> np.ndarray | None:
    """Renormalise the label probabilities over the options; None when the options got no mass at all.

    A model that puts no mass on any option has not answered: we say so rather than substitute a
    uniform guess (the reference scripts' flaw).
    """
    # None marks a label the engine did not report (e.g. outside a server's top-k): no mass known.
    logps = np.asarray([-np.inf if v is None else v for v in output.label_logprobs], dtype=np.float64)
    if logps.size == 0 or not np.isfinite(logps).any():
        return None
    top = logps[np.isfinite(logps)].max()
    weights = np.where(np.isfinite(logps), np.exp(logps - top), 0.0)
    return weights / weights.sum()


def mass_summary(masses: list[float | None]) -> dict:
    """Covered option mass over items; None entries (predictions made elsewhere) are counted apart."""
    unknown = sum(m is None for m in masses)
    arr = np.asarray([m for m in masses if m is not None], dtype=np.float64)
    extra = {"unknown": unknown, "note": "predictions made elsewhere carry no covered mass"} if unknown else {}
    if arr.size == 0:
        return {"mean": None, "median": None, "min": None, "share_below_0.5": None} | extra
    return extra | {
        "mean": float(arr.mean()),
        "median": float(np.median(arr)),
        "min": float(arr.min()),
        "share_below_0.5": float((arr < 0.5).mean()),
    }


def topk_summary(samples: list[dict]) -> dict:
    """For top-K engines: how often an option label fell outside the reported top K. Empty otherwise."""
    topk = [s["topk"] for s in samples if s.get("topk") is not None]
    if not topk:
        return {}
    gaps = [t["covered_mass_max"] - s["covered_mass"] for s, t in zip((s for s in samples if s.get("topk")), topk)]
    return {"topk": {
        "requested_k": max(t["requested_k"] for t in topk),
        "mean_topk_mass": float(np.mean([t["topk_mass"] for t in topk])),
        "share_with_unreported_label": float(np.mean([bool(t["unreported_labels"]) for t in topk])),
        "max_unreported_token_prob": float(max(t["unreported_token_max_prob"] for t in topk if t["unreported_labels"])
                                           if any(t["unreported_labels"] for t in topk) else 0.0),
        "mean_covered_mass_gap": float(np.mean(gaps)),
        "note": "covered_mass counts only labels the engine reported in its top K; an unreported label has no "
                "known mass (treated as 0) and at most max_unreported_token_prob per spelling",
    }}


def safe_float(x: float) -> float | None:
    return None if x is None or math.isnan(x) else float(x)
