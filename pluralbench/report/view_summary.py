"""The per-run part of the view page: headline numbers with intervals, reference points, groups. Plain
values for the template; every string is escaped there (autoescape), never here."""
from __future__ import annotations

from pluralbench.report.results import RunResult
from pluralbench.report.view_data import method_name, run_label

COUNTRY_KINDS = ("country", "countries")  # group kinds drawn as a sorted bar chart


def is_metric_value(value) -> bool:
    return isinstance(value, dict) and "value" in value


def value_rows(block, path: tuple = ()) -> list[dict]:
    """Every {value, ci_low, ci_high, n, direction} inside a nested block, with the keys leading to it:
    baselines and reference points are drawn as rows whatever their nesting."""
    if is_metric_value(block):
        return [{"path": list(path), "value": block.get("value"), "ci_low": block.get("ci_low"),
                 "ci_high": block.get("ci_high"), "n": block.get("n"), "direction": block.get("direction")}]
    if isinstance(block, dict):
        return [row for key, inner in block.items() for row in value_rows(inner, path + (str(key),))]
    return []


def reference_blocks(metrics: dict) -> list[tuple[str, list[dict]]]:
    """Baselines and any block named like reference_points, as (name, rows)."""
    names = [k for k in metrics if k == "baselines" or "reference" in k]
    return [(name, rows) for name in names if (rows := value_rows(metrics[name]))]


def group_tables(metrics: dict) -> list[dict]:
    """One table per kind of group: its members with n and every metric's value and interval."""
    tables = []
    for kind, members in (metrics.get("groups") or {}).items():
        if not isinstance(members, dict):
            continue
        columns: dict[str, None] = {}
        for member in members.values():
            columns.update(dict.fromkeys((member.get("metrics") or {})))
        headline = metrics.get("headline")
        ordered = ([headline] if headline in columns else []) + [c for c in columns if c != headline]
        rows = [{"name": name, "n": member.get("n"),
                 "cells": [(member.get("metrics") or {}).get(c) for c in ordered]}
                for name, member in members.items()]
        tables.append({"kind": kind, "columns": ordered, "rows": rows,
                       "chart": country_chart(rows, ordered) if kind.lower() in COUNTRY_KINDS else None})
    return tables


def country_chart(rows: list[dict], columns: list[str]) -> dict | None:
    """The first metric's values sorted, each with its bar's and interval's share of the widest value."""
    if not columns:
        return None
    points = [(r["name"], r["cells"][0]) for r in rows if is_metric_value(r["cells"][0])
              and isinstance(r["cells"][0].get("value"), (int, float))]
    if not points:
        return None
    top = max(max(c["value"], c.get("ci_high") or 0) for _, c in points) or 1.0
    points.sort(key=lambda p: p[1]["value"], reverse=(points[0][1].get("direction") == "higher"))
    bars = [{"name": name, "value": c["value"], "width": 100 * max(c["value"], 0) / top,
             "lo": 100 * max(c.get("ci_low") if c.get("ci_low") is not None else c["value"], 0) / top,
             "hi": 100 * max(c.get("ci_high") if c.get("ci_high") is not None else c["value"], 0) / top}
            for name, c in points]
    return {"metric": columns[0], "direction": points[0][1].get("direction"), "bars": bars}


def run_summary(run: RunResult, index: int) -> dict:
    m = run.metrics
    overall = m.get("overall") or {}
    names = ([m["headline"]] if m["headline"] in overall else []) + [k for k in overall if k != m["headline"]]
    return {"index": index, "label": run_label(run), "run_id": run.run_id, "path": str(run.path),
            "task": run.task, "task_version": m["task"]["version"], "family": m["task"]["family"],
            "model": run.model_spec, "fingerprint": m["model"]["fingerprint_id"],
            "prompt_format": m["elicitation"], "method": method_name(m), "headline": m["headline"],
            "headline_value": overall.get(m["headline"]) if is_metric_value(overall.get(m["headline"])) else None,
            "overall": [(name, overall[name]) for name in names if is_metric_value(overall[name])],
            "counts": m.get("counts") or {}, "references": reference_blocks(m), "groups": group_tables(m),
            "data": m["task"]["data_sha256"][:12], "seed": run.manifest.get("seed")}
