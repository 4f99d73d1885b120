"""Pieces the jury and trade-off families share: welfare functions named in the task file (and the
metric slots that declare them), the similarity a juror's utility (or an objective) is measured with,
an item's text fields for its prompt template, the per-item sample head and prediction they score, and
the means of per-item welfare values."""
from __future__ import annotations

import numpy as np

from pluralbench.hashing import sha256_text
from pluralbench.metrics.declared import MetricSlot
from pluralbench.metrics.summary import means_with_ci
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
# A similarity between two distributions, named in the task file (a jury's utility, a trade-off objective).
SIMILARITY_SCHEMA = {
    "type": "object", "additionalProperties": False, "required": ["metric"],
    "properties": {"metric": {"type": "string"}, "params": {"type": "object"}, "description": {"type": "string"}},
}


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


def similarity_spec(params: dict, key: str) -> dict:
    """The similarity the task names under `key`; by default 1 - JS distance, base 2."""
    return params.get(key, {"metric": "js_similarity", "params": {"base": 2}})


def similarity_function(spec: dict):
    """fn(predicted, target) -> similarity, for a similarity spec (a metric from the registry and its params)."""
    fn, kw = metric_registry.get(spec["metric"]), dict(spec.get("params", {}))
    return lambda pred, gold: fn(pred, gold, **kw)


def text_fields(item) -> dict[str, str]:
    """The item's set text fields, for a task-file template to name ({prompt}, {text}, {title}, ...)."""
    return {name: value for name, value in item.items() if isinstance(value, str)}


def truncate(text: str, limit: int | None) -> str:
    text = " ".join(text.split())
    if limit and len(text) > limit:
        return text[: limit - 1].rstrip() + "…"
    return text


def predicted_distribution(prediction: dict) -> np.ndarray | None:
    """The prediction's option distribution, or None where the options got no mass."""
    dist = prediction["distribution"]
    return None if dist is None else np.asarray(dist, dtype=np.float64)


def option_sample(item_id, group, prompt: str, prediction: dict, **fields) -> dict:
    """The head of a sample for one option question: id, group, prompt hash, `fields` (the options), read-out."""
    return {"id": item_id, "group": group, "prompt_sha256": sha256_text(prompt), **fields,
            "label_logprobs": list(prediction["label_logprobs"]), "covered_mass": prediction["covered_mass"]}


def split_scored(pairs) -> tuple[list[dict], list]:
    """[(sample, the item's values or None if it was excluded)] -> (every sample, the scored items' values)."""
    pairs = list(pairs)
    return [sample for sample, _ in pairs], [values for _, values in pairs if values is not None]


def welfare_means(columns: dict[str, list], *, bootstrap: dict, seed: int) -> dict:
    """Mean and CI of each column of per-item welfare (or utility) values, higher is better, from one set
    of bootstrap draws; {} when no item was scored."""
    if not any(len(values) for values in columns.values()):
        return {}
    return means_with_ci(columns, bootstrap=bootstrap, seed=seed, directions=dict.fromkeys(columns, "higher"))
