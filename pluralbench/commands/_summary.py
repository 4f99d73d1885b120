"""What `run` and `score` print under a task's headline line."""
from __future__ import annotations


def reference_line(metrics: dict) -> str | None:
    """The headline's human reference points, one line under the headline (docs/reference-points.md)."""
    points = (metrics.get("reference_points") or {}).get(metrics.get("headline")) or {}
    shown = [f"{name} {block['value']:.4f}" for name, block in points.items() if block.get("value") is not None]
    return f"  human reference points ({metrics['headline']}): {', '.join(shown)}" if shown else None
