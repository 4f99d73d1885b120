"""Pieces the jury and trade-off families share: welfare functions named in the task file, lettered
option lists, and the params-schema fragment and metric slots that declare the welfare functions."""
from __future__ import annotations

from pluralbench.core.options import LETTERS
from pluralbench.metrics.declared import MetricSlot
from pluralbench.registry import metrics as metric_registry

WELFARE_SCHEMA = {
    "type": "array", "minItems": 1,
    "items": {
        "type": "object", "additionalProperties": False, "required": ["name", "function"],
        "properties": {
            "name": {"type": "string", "pattern": "^[a-z0-9_]+$"},
            "function": {"type": "string"},
            "params": {"type": "object"},
            "description": {"type": "string"},
        },
    },
}

WELFARE_SLOTS = {"$.welfare[*].function": MetricSlot("welfare")}


def welfare_functions(specs: list[dict]) -> dict:
    """name -> fn(utilities, weights) for the task file's `welfare` list (functions from the metric registry)."""
    out = {}
    for spec in specs:
        fn = metric_registry.get(spec["function"])
        params = dict(spec.get("params", {}))
        out[spec["name"]] = (lambda f, kw: (lambda u, w=None: f(u, w, **kw)))(fn, params)
    return out


def welfare_parameters(specs: list[dict]) -> list[dict]:
    return [{"name": s["name"], "function": s["function"], "params": s.get("params", {})} for s in specs]


def lettered(options: list[str], separator: str = "\n") -> str:
    return separator.join(f"{LETTERS[i]}. {opt}" for i, opt in enumerate(options))


def truncate(text: str, limit: int | None) -> str:
    text = " ".join(text.split())
    if limit and len(text) > limit:
        return text[: limit - 1].rstrip() + "…"
    return text
