"""What an elicitation's read-outs say about themselves over a run: covered option mass, top-K gaps,
parse rates of generated answers."""
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


def _distinct(predictions: list[dict]) -> list[dict]:
    """One entry per model answer: items sharing a question share one prediction object."""
    return list({id(p): p for p in predictions}.values())


def sample_parse_summary(predictions: list[dict]) -> dict:
    """For `sampled:N`: how many samples named an option, over the distinct questions."""
    blocks = [p["sampled"] for p in _distinct(predictions) if p.get("sampled") is not None]
    total = sum(b["n"] for b in blocks)
    parsed = sum(b["parsed"] for b in blocks)
    return {"questions": len(blocks), "samples": total, "parsed_samples": parsed,
            "parse_rate": parsed / total if total else None,
            "questions_without_parsed_sample": sum(1 for b in blocks if not b["parsed"])}


def verbalized_parse_summary(predictions: list[dict]) -> dict:
    """For `verbalized`: how many answers could be read, why the others could not, how many were renormalised."""
    distinct = [p for p in _distinct(predictions) if p.get("verbalized") is not None]
    failures: dict[str, int] = {}
    for p in distinct:
        if p.get("parse_failure"):
            kind = p["parse_failure"].split(":")[0]  # "<kind>: <detail>" (elicitation/verbalized_parse.py)
            failures[kind] = failures.get(kind, 0) + 1
    parsed = len(distinct) - sum(failures.values())
    return {"questions": len(distinct), "parsed": parsed,
            "parse_rate": parsed / len(distinct) if distinct else None,
            "renormalised": sum(1 for p in distinct if p["verbalized"]["renormalised"]),
            "failures": dict(sorted(failures.items(), key=lambda kv: (-kv[1], kv[0])))}
