"""The table printed at the end of a `pluralbench run` with several tasks: every task's headline with its
CI, the human reference points of that metric when metrics.json has a `reference_points` block, and the
run directory."""
from __future__ import annotations

from pathlib import Path

# The chance bound first, then the first human floor the run has (a read-out with a resolution, survey
# sampling noise, or raters split in two): what the headline sits between.
FLOORS = ("sampling_floor", "split_half", "resolution_floor")
HEADER = ("task", "headline", "value [95% CI]", "reference points", "run directory")


def headline_cell(metrics: dict) -> tuple[str, str]:
    """-> (headline metric name, 'value [low, high]' or 'n/a')."""
    head = metrics.get("headline") or "?"
    value = (metrics.get("overall") or {}).get(head) or {}
    if value.get("value") is None:
        return head, "n/a"
    return head, f"{value['value']:.4f} [{value['ci_low']:.4f}, {value['ci_high']:.4f}]"


def reference_cell(metrics: dict) -> str:
    """'uniform 0.4567; sampling_floor 0.0812' from the block's entry for the headline; '-' without one."""
    points = (metrics.get("reference_points") or {}).get(metrics.get("headline")) or {}
    shown = [name for name in ("uniform",) if name in points]
    shown += [name for name in FLOORS if name in points][:1]
    cells = [f"{name} {points[name]['value']:.4f}" for name in shown
             if isinstance(points[name], dict) and points[name].get("value") is not None]
    return "; ".join(cells) or "-"


def summary_table(rows: list[tuple[str, dict, Path]]) -> str:
    """rows: (task name, its metrics.json, its run directory) -> an aligned plain-text table."""
    body = [(name, *headline_cell(metrics), reference_cell(metrics), str(run_dir)) for name, metrics, run_dir in rows]
    widths = [max(len(row[i]) for row in [HEADER, *body]) for i in range(len(HEADER))]
    lines = ["  ".join(cell.ljust(width) for cell, width in zip(row, widths)).rstrip() for row in [HEADER, *body]]
    lines.insert(1, "  ".join("-" * width for width in widths))
    return "\n".join(lines)
