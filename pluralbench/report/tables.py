"""Leaderboard as CSV, Markdown and JSON. Missing cells are empty (CSV), '—' (Markdown) or null (JSON)."""
from __future__ import annotations

import csv
import io
import json
import re

from pluralbench.report.leaderboard import Board

MISSING = "—"
_MD_SPECIAL = re.compile(r"([\\`*_{}\[\]<>|#!~])")


def fmt(x: float | None, digits: int = 4) -> str:
    return MISSING if x is None else f"{x:.{digits}f}"


def cell_text(cell) -> str:
    if cell is None:
        return MISSING
    if cell.ci_low is None or cell.ci_high is None:
        return fmt(cell.value)
    return f"{fmt(cell.value)} [{fmt(cell.ci_low)}, {fmt(cell.ci_high)}]"


def md_escape(text: str) -> str:
    """Text from results shown literally in Markdown: no tables broken by '|', no inline HTML."""
    text = text.replace("&", "&amp;").replace("\r\n", " ").replace("\n", " ").replace("\r", " ")
    return _MD_SPECIAL.sub(r"\\\1", text).replace("\\<", "&lt;").replace("\\>", "&gt;")


def code_span(text: str) -> str:
    """Text shown as code: a backtick or line break in it cannot end the span or the line."""
    return "`" + text.replace("`", "'").replace("\r", " ").replace("\n", " ") + "`"


def csv_safe(text: str) -> str:
    """A spreadsheet must not evaluate a model name such as '=HYPERLINK(...)'."""
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text


def csv_row(cells: list) -> list:
    """Every text cell made inert; numbers stay numbers (written as repr, so a negative value keeps its sign)."""
    return [csv_safe(c) if isinstance(c, str) else c for c in cells]


def arrow(direction: str) -> str:
    return "↑" if direction == "higher" else "↓"


def to_csv(board: Board) -> str:
    out = io.StringIO()
    # Text always quoted: a line break inside a name (even a bare \r) stays inside its cell.
    writer = csv.writer(out, lineterminator="\n", quoting=csv.QUOTE_NONNUMERIC)
    header = ["model", "fingerprint_id", "pareto_layer"]
    for c in board.columns:
        o = c.objective.name
        header += [o, f"{o}_ci_low", f"{o}_ci_high", f"{o}_n", f"{o}_elicitation", f"{o}_method", f"{o}_run_id"]
    for f in board.spec.commensurating:
        header += [f"{f.name}_score", f"{f.name}_rank"]
    writer.writerow(csv_row(header))
    for r in board.rows:
        line = [r.label, r.key[1], r.layer]
        for c in board.columns:
            cell = r.cells[c.objective.name]
            if cell is None:
                line += ["", "", "", "", "", "", ""]
            else:
                line += [csv_number(cell.value), csv_number(cell.ci_low), csv_number(cell.ci_high), cell.n,
                         cell.provenance["elicitation"], cell.provenance["method"], cell.run_id]
        for f in board.spec.commensurating:
            line += [csv_number(r.scores.get(f.name)), "" if r.ranks.get(f.name) is None else r.ranks[f.name]]
        writer.writerow(csv_row(line))
    return out.getvalue()


def csv_number(x) -> float | str:
    return "" if x is None else float(x)  # csv writes repr(float): every digit kept


def to_markdown(board: Board) -> str:
    spec = board.spec
    lines = [f"# Leaderboard: {md_escape(spec.name)}", ""]
    if spec.description:
        lines += [md_escape(spec.description.strip()), ""]
    head = ["model", "Pareto layer"] + [f"{md_escape(c.objective.label)} {arrow(c.objective.direction)}"
                                        for c in board.columns]
    head += [f"rank: {md_escape(f.label)}" for f in spec.commensurating]
    lines.append("| " + " | ".join(head) + " |")
    lines.append("|" + "|".join(["---"] * 2 + ["---:"] * (len(head) - 2)) + "|")
    for r in board.rows:
        cells = [md_escape(r.label), str(r.layer)] + [cell_text(r.cells[c.objective.name]) for c in board.columns]
        for f in spec.commensurating:
            rank, score = r.ranks.get(f.name), r.scores.get(f.name)
            cells.append(MISSING if rank is None else f"{rank} ({fmt(score, 3)})")
        lines.append("| " + " | ".join(cells) + " |")
    lines += ["", "Values are means with bootstrap 95% confidence intervals; — marks an objective the model "
              "was not measured on (never counted as zero). Pareto layer 1: no other model is at least as good on "
              "every objective and better on one; layers compare point estimates, and models measured on different "
              "objectives are not compared.", ""]
    lines += ["## Objectives", "", "| objective | task | metric | better | elicitation | read-out | data | judge |",
              "|---|---|---|---|---|---|---|---|"]
    for c in board.columns:
        o = c.objective
        prov = c.provenance
        mixed = f" (mixed: {', '.join(c.mixed)}, allowed by the spec)" if c.mixed else ""
        lines.append("| " + " | ".join([
            md_escape(o.label) + mixed, md_escape(o.task), md_escape(o.metric_path), o.direction,
            md_escape(", ".join(prov["elicitation"]) or MISSING), md_escape(", ".join(prov["method"]) or MISSING),
            md_escape(", ".join(prov["data"]) or MISSING),
            md_escape(", ".join(v for v in prov["judge"] if v != "None") or "none")]) + " |")
    lines += reference_table(board)
    if spec.commensurating:
        lines += ["", "## Commensurating functions", ""]
        for f in spec.commensurating:
            params = f", params {code_span(json.dumps(f.params, sort_keys=True))}" if f.params else ""
            desc = f": {md_escape(f.description.strip())}" if f.description else ""
            lines.append(f"- **{md_escape(f.label)}** = {code_span(f.function)} over "
                         f"{', '.join(code_span(o) for o in f.objectives)} (normalised: {f.normalise}{params}){desc}")
    if board.notes:
        lines += ["", "## Notes", ""] + [f"- {md_escape(n)}" for n in board.notes]
    return "\n".join(lines) + "\n"


REFERENCE_POINTS = ("uniform", "modal", "least_chosen", "resolution_floor", "sampling_floor", "split_half")


def reference_table(board: Board) -> list[str]:
    """Each objective's human reference points (same metric, same humans; docs/reference-points.md)."""
    columns = [c for c in board.columns if c.reference]
    if not columns:
        return []
    points = [p for p in REFERENCE_POINTS if any(p in c.reference for c in columns)]
    lines = ["", "## Human reference points", "", "The objective's metric for stand-ins scored against the same "
             "humans, from the run named (the data are the same for every run of a column).", "",
             "| objective | " + " | ".join(points) + " | run |", "|---|" + "---:|" * len(points) + "---|"]
    for c in columns:
        cells = [cell_text(ReferencePoint(c.reference[p])) if p in c.reference else MISSING for p in points]
        lines.append(f"| {md_escape(c.objective.label)} | " + " | ".join(cells) + f" | {code_span(c.reference_run)} |")
    return lines


class ReferencePoint:
    """A reference point's block read like a cell (value with its CI)."""

    def __init__(self, block: dict):
        self.value, self.ci_low, self.ci_high = block.get("value"), block.get("ci_low"), block.get("ci_high")


def to_json(board: Board) -> dict:
    def cell(c):
        return None if c is None else {"value": c.value, "ci_low": c.ci_low, "ci_high": c.ci_high, "n": c.n,
                                       "run_id": c.run_id, "run_dir": c.run_dir, "provenance": c.provenance}

    return {
        "spec": {"name": board.spec.name, "path": board.spec.path},
        "objectives": [{"name": c.objective.name, "label": c.objective.label, "task": c.objective.task,
                        "metric": c.objective.metric_path, "direction": c.objective.direction,
                        "provenance": c.provenance, "mixed": c.mixed}
                       | ({"reference_points": c.reference, "reference_run": c.reference_run} if c.reference else {})
                       for c in board.columns],
        "commensurating": [{"name": f.name, "function": f.function, "objectives": list(f.objectives),
                            "normalise": f.normalise, "params": f.params} for f in board.spec.commensurating],
        "rows": [{"model": r.label, "model_spec": r.key[0], "fingerprint_id": r.key[1], "pareto_layer": r.layer,
                  "cells": {k: cell(v) for k, v in r.cells.items()}, "scores": r.scores, "ranks": r.ranks}
                 for r in board.rows],
        "notes": board.notes,
    }
