"""What every family's params share: the bootstrap settings (and their schema) and free-text notes."""
from __future__ import annotations

BOOTSTRAP_SCHEMA = {
    "type": "object", "additionalProperties": False,
    "properties": {"resamples": {"type": "integer", "minimum": 0},
                   "level": {"type": "number", "exclusiveMinimum": 0, "exclusiveMaximum": 1}},
}
NOTES_SCHEMA = {"type": "array", "items": {"type": "string"}}


def bootstrap_settings(params: dict) -> dict:
    """The task's bootstrap settings with their defaults (1000 resamples, 95% level)."""
    b = params.get("bootstrap", {})
    return {"resamples": int(b.get("resamples", 1000)), "level": float(b.get("level", 0.95))}
# A log base in params: a number or "e".
LOG_BASE_SCHEMA = {"oneOf": [{"type": "number"}, {"const": "e"}]}
