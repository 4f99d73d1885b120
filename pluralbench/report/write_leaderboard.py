"""Write a built leaderboard to a directory: CSV, Markdown, JSON, figures and the HTML page."""
from __future__ import annotations

import csv
import io
import json
from pathlib import Path

from pluralbench.core.files import atomic_write_text
from pluralbench.core.files import safe_component as safe_name
from pluralbench.report import figures
from pluralbench.report.html import render_html
from pluralbench.report.leaderboard import Board, select_runs
from pluralbench.report.spec import GroupView, Objective
from pluralbench.report.tables import csv_number, csv_row, to_csv, to_json, to_markdown


def group_table(board: Board, view: GroupView) -> tuple[list[str], dict[str, list]]:
    """(groups shown, model label -> [(value, ci_low, ci_high) or None per group])."""
    if view.objective:
        chosen = board.runs_by_objective[view.objective]
    else:
        probe = Objective(name=view.name, task=view.task, path=("groups", view.by), direction="lower",
                          label=view.label, allow_mixed=board.spec.allow_mixed)
        chosen = select_runs(probe, _all_runs(board, view.task), board.spec.path)
    labels = {r.key: r.label for r in board.rows}
    per_model: dict[str, dict[str, dict]] = {}
    for key, run in sorted(chosen.items()):
        table = run.metrics.get("groups", {}).get(view.by, {})
        per_model[labels.get(key, key[0])] = {g: block for g, block in table.items()
                                              if block.get("metrics", {}).get(view.metric, {}).get("value") is not None}
    sizes: dict[str, int] = {}
    for table in per_model.values():
        for g, block in table.items():
            sizes[g] = max(sizes.get(g, 0), int(block.get("n", 0)))
    shown = sorted(sizes, key=lambda g: (-sizes[g], g))[: view.top]

    def mean_value(g):
        vals = [t[g]["metrics"][view.metric]["value"] for t in per_model.values() if g in t]
        return sum(vals) / len(vals)

    shown.sort(key=lambda g: (mean_value(g), g))
    series = {}
    for label, table in per_model.items():
        series[label] = [None if g not in table else (table[g]["metrics"][view.metric]["value"],
                                                      table[g]["metrics"][view.metric].get("ci_low"),
                                                      table[g]["metrics"][view.metric].get("ci_high"))
                         for g in shown]
    return shown, series


def _all_runs(board: Board, task: str):
    runs = {}
    for chosen in board.runs_by_objective.values():
        for run in chosen.values():
            if run.task == task:
                runs[str(run.path)] = run
    return list(runs.values())


def write_outputs(board: Board, out: Path) -> dict[str, Path]:
    out.mkdir(parents=True, exist_ok=True)
    fig_dir = out / "figures"
    written: dict[str, Path] = {}
    figs: list[tuple[str, Path]] = []

    rows_by_name = {c.objective.name: c.objective for c in board.columns}
    for a, b in board.spec.pareto_pairs:
        oa, ob = rows_by_name[a], rows_by_name[b]
        points = []
        for r in board.rows:
            ca, cb = r.cells[a], r.cells[b]
            if ca is None or cb is None:
                continue  # a point needs both coordinates; it is not placed at zero
            points.append({"label": r.label, "x": ca.value, "y": cb.value, "x_ci": (ca.ci_low, ca.ci_high),
                           "y_ci": (cb.ci_low, cb.ci_high)})
        if not points:
            board.notes.append(f"no model has both {a} and {b}: their Pareto scatter is not drawn")
            continue
        path = figures.pareto_scatter(points, oa.label, ob.label, oa.direction, ob.direction,
                                      fig_dir / f"pareto_{safe_name(a)}__{safe_name(b)}.png")
        figs.append((f"Pareto scatter: {oa.label} vs {ob.label}", path))
        written[f"pareto_{a}__{b}"] = path

    for view in board.spec.groups:
        shown, series = group_table(board, view)
        if not shown:
            board.notes.append(f"group view {view.name}: no run has {view.metric} per {view.by}")
            continue
        path = figures.group_bars(shown, series, f"{view.label} per {view.by} (the {len(shown)} with the most items)",
                                  view.metric, fig_dir / f"groups_{safe_name(view.name)}.png")
        figs.append((f"{view.label} per {view.by}", path))
        written[f"groups_{view.name}"] = path
        buf = io.StringIO()
        writer = csv.writer(buf, lineterminator="\n", quoting=csv.QUOTE_NONNUMERIC)
        writer.writerow(csv_row([view.by, "model", view.metric, "ci_low", "ci_high"]))
        for gi, g in enumerate(shown):
            for label, values in series.items():
                v = values[gi]
                numbers = ["", "", ""] if v is None else [csv_number(x) for x in v]
                writer.writerow(csv_row([g, label] + numbers))
        gpath = out / f"groups_{safe_name(view.name)}.csv"
        atomic_write_text(gpath, buf.getvalue())
        written[f"groups_{view.name}_csv"] = gpath

    for name, text in (("leaderboard.csv", to_csv(board)), ("leaderboard.md", to_markdown(board)),
                       ("leaderboard.json", json.dumps(to_json(board), indent=2, allow_nan=False) + "\n"),
                       ("leaderboard.html", render_html(board, figs))):
        atomic_write_text(out / name, text)
        written[name] = out / name
    return written

