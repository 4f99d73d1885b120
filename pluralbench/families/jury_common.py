"""Pieces the jury and trade-off families share: welfare functions named in the task file, bootstrap
settings, lettered option lists, and the params-schema fragments that declare them."""
from __future__ import annotations

from pluralbench.data.multiple_choice import LETTERS
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
BOOTSTRAP_SCHEMA = {
    "type": "object", "additionalProperties": False,
    "properties": {"resamples": {"type": "integer", "minimum": 0},
                   "level": {"type": "number", "exclusiveMinimum": 0, "exclusiveMaximum": 1}},
}
NOTES_SCHEMA = {"type": "array", "items": {"type": "string"}}


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


def bootstrap_settings(params: dict) -> dict:
    b = params.get("bootstrap", {})
    return {"resamples": int(b.get("resamples", 1000)), "level": float(b.get("level", 0.95))}


def lettered(options: list[str], separator: str = "\n") -> str:
    return separator.join(f"{LETTERS[i]}. {opt}" for i, opt in enumerate(options))


def truncate(text: str, limit: int | None) -> str:
    text = " ".join(text.split())
    if limit and len(text) > limit:
        return text[: limit - 1].rstrip() + "…"
    return text
