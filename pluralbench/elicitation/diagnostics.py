"""What an elicitation's read-outs say about themselves over a run: covered option mass, top-K gaps."""
from __future__ import annotations

import numpy as np


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
