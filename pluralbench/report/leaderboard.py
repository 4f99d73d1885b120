"""Build a leaderboard from finished runs and a spec: cells with CIs, Pareto layers, re-rankings.

A column never mixes runs whose provenance differs (elicitation, read-out method, judge, task version, data) unless
the spec allows it; a model lacking an objective gets a missing cell, which is never read as zero.
"""
from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass, field

from pluralbench.errors import UserError
from pluralbench.registry import commensurators
from pluralbench.report.commensurate import competition_ranks, normalise
from pluralbench.report.pareto import pareto_layers
from pluralbench.report.results import RunResult
from pluralbench.report.spec import Commensurator, LeaderboardSpec, Objective

# The read-out method is provenance like the prompt format: one model's runs of one task read out two
# ways are two candidates for a cell (refused unless `where:` picks one), never merged into one.
PROVENANCE_KEYS = ("elicitation", "method", "judge", "task_version", "data")


@dataclass
class Cell:
    value: float
    ci_low: float | None
    ci_high: float | None
    n: int
    run_id: str
    run_dir: str
    provenance: dict


@dataclass
class Row:
    key: tuple[str, str]
    label: str
    cells: dict[str, Cell | None]
    layer: int = 0
    scores: dict[str, float | None] = field(default_factory=dict)
    ranks: dict[str, int | None] = field(default_factory=dict)


@dataclass
class Column:
    objective: Objective
    provenance: dict[str, list]  # attribute -> distinct values seen in this column
    mixed: list[str]  # attributes that differ across the column (allowed by the spec)
    # The objective's human reference points (metrics.json `reference_points`, docs/reference-points.md),
    # point -> its block, from the column's first run that has them: beside the column, never in the rows,
    # so no Pareto layer or rank sees them.
    reference: dict = field(default_factory=dict)
    reference_run: str | None = None


@dataclass
class Board:
    spec: LeaderboardSpec
    rows: list[Row]
    columns: list[Column]
    notes: list[str]
    runs_by_objective: dict[str, dict[tuple[str, str], RunResult]]

    def row(self, label: str) -> Row:
        return next(r for r in self.rows if r.label == label)


def _matches(run: RunResult, where: dict) -> bool:
    prov = run.provenance()
    for key, want in where.items():
        if key in ("elicitation", "method") and prov[key] != want:
            return False
        if key == "judge" and prov["judge"] != want and not (prov["judge"] or "").startswith(want + " ("):
            return False
        if key == "task_version" and prov["task_version"] != want:
            return False
        if key == "data_sha256" and not run.metrics["task"]["data_sha256"].startswith(want):
            return False
        if key == "items" and run.metrics["counts"]["items"] != want:
            return False
    return True


def resolve_metric(metrics: dict, path: tuple[str, ...]):
    node = metrics
    for part in path:
        if not isinstance(node, dict) or part not in node:
            return None
        node = node[part]
    return node if isinstance(node, dict) and "value" in node else None


def _label(run: RunResult, clashes: set[str]) -> str:
    spec, fp = run.model_key
    return f"{spec} [{fp[:8]}]" if spec in clashes else spec


def select_runs(objective: Objective, runs: list[RunResult], where_file: str) -> dict[tuple[str, str], RunResult]:
    """One run per model for this objective, or a refusal naming the clash and how to resolve it."""
    by_model: dict[tuple[str, str], list[RunResult]] = defaultdict(list)
    for run in runs:
        if run.task == objective.task and _matches(run, objective.where):
            by_model[run.model_key].append(run)
    chosen = {}
    for key, found in by_model.items():
        if len(found) > 1:
            differ = [k for k in PROVENANCE_KEYS if len({str(r.provenance()[k]) for r in found}) > 1]
            how = (f"they differ in {', '.join(differ)}; choose with `where:` on the objective" if differ
                   else "pass only one of them")
            raise UserError(f"{where_file}: objective {objective.name!r}: model {key[0]} has {len(found)} runs of "
                            f"{objective.task} ({', '.join(str(r.path) for r in found)}); {how}")
        chosen[key] = found[0]
    values: dict[str, dict[str, list[str]]] = {k: defaultdict(list) for k in PROVENANCE_KEYS}
    for key, run in chosen.items():
        for k, v in run.provenance().items():
            values[k][str(v)].append(key[0])
    for k in PROVENANCE_KEYS:
        if len(values[k]) > 1 and k not in objective.allow_mixed:
            listing = "; ".join(f"{v}: {', '.join(sorted(models))}" for v, models in sorted(values[k].items()))
            raise UserError(f"{where_file}: objective {objective.name!r} would mix runs with different {k} "
                            f"({listing}); choose one with `where:` on the objective, or list {k!r} in its "
                            f"`allow_mixed` to compare them anyway")
    return chosen


def build_board(spec: LeaderboardSpec, runs: list[RunResult], notes: list[str] | None = None) -> Board:
    notes = list(notes or [])
    selected = {o.name: select_runs(o, runs, spec.path) for o in spec.objectives}
    used_tasks = {o.task for o in spec.objectives}
    for run in runs:
        if run.task not in used_tasks:
            notes.append(f"ignored {run.path}: task {run.task} has no objective in spec {spec.name!r}")
    spec = _measured_objectives(spec, selected, notes)
    rows = _rows(spec, selected, notes)
    columns = [_column(o, rows, selected[o.name]) for o in spec.objectives]
    _set_pareto_layers(spec, rows)
    for f in spec.commensurating:
        _rank(spec, f, rows)
    first = spec.commensurating[0].name if spec.commensurating else None
    rows.sort(key=lambda row: _board_order(row, first))
    if not rows:
        raise UserError(f"no run matches any objective of spec {spec.name!r} ({spec.path}); "
                        f"its tasks: {', '.join(sorted(used_tasks))}")
    return Board(spec, rows, columns, notes, selected)


def _measured_objectives(spec: LeaderboardSpec, selected: dict, notes: list[str]) -> LeaderboardSpec:
    """An objective no run on this board measures is left out (said in the notes): otherwise every
    model would miss it, and no commensurating function could rank anyone."""
    unmeasured = [o.name for o in spec.objectives if not selected[o.name]]
    if unmeasured and len(unmeasured) < len(spec.objectives):
        notes.append(f"objectives without any run on this board, left out: {', '.join(unmeasured)}")
        return spec.restricted_to({o.name for o in spec.objectives} - set(unmeasured))
    return spec


def _rows(spec: LeaderboardSpec, selected: dict[str, dict[tuple[str, str], RunResult]], notes: list[str]) -> list[Row]:
    """One row per model, in (spec, fingerprint) order; a spec seen with two fingerprints gets them in its labels."""
    models = sorted({key for chosen in selected.values() for key in chosen})
    per_spec = Counter(spec_name for spec_name, _ in models)
    clashes = {s for s, c in per_spec.items() if c > 1}
    rows = []
    for key in models:
        cells: dict[str, Cell | None] = {}
        label = None
        for o in spec.objectives:
            run = selected[o.name].get(key)
            if run is None:
                cells[o.name] = None
                continue
            label = label or _label(run, clashes)
            cells[o.name] = _cell(o, run, spec.path, label, notes)
        rows.append(Row(key=key, label=label or key[0], cells=cells))
    return rows


def _cell(o: Objective, run: RunResult, where_file: str, label: str, notes: list[str]) -> Cell | None:
    node = resolve_metric(run.metrics, o.path)
    if node is None or node.get("value") is None:
        notes.append(f"{label}: {o.name} missing: {run.path}/metrics.json has no value at {o.metric_path}")
        return None
    recorded = node.get("direction")
    if recorded is not None and recorded != o.direction:
        raise UserError(f"{where_file}: objective {o.name!r} says {o.direction} is better, but "
                        f"{run.path}/metrics.json records {o.metric_path} as {recorded} is better")
    return Cell(value=float(node["value"]), ci_low=node.get("ci_low"), ci_high=node.get("ci_high"),
                n=int(node.get("n", 0)), run_id=run.run_id, run_dir=str(run.path), provenance=run.provenance())


def _column(o: Objective, rows: list[Row], runs: dict[tuple[str, str], RunResult]) -> Column:
    prov: dict[str, list] = {}
    for k in PROVENANCE_KEYS:
        prov[k] = sorted({str(c.provenance[k]) for r in rows if (c := r.cells[o.name]) is not None})
    column = Column(o, prov, [k for k in PROVENANCE_KEYS if len(prov[k]) > 1])
    for r in rows:
        points = reference_of(runs[r.key].metrics, o.path) if r.key in runs else {}
        if points:
            column.reference, column.reference_run = points, runs[r.key].run_id
            break
    return column


def reference_of(metrics: dict, path: tuple[str, ...]) -> dict:
    """The reference points of an overall number (path ("overall", metric)); {} for any other number."""
    if len(path) != 2 or path[0] != "overall":
        return {}
    return (metrics.get("reference_points") or {}).get(path[1]) or {}


def _set_pareto_layers(spec: LeaderboardSpec, rows: list[Row]) -> None:
    """Pareto layers on point estimates, every objective oriented higher-is-better."""
    vectors = [[None if r.cells[o.name] is None else (r.cells[o.name].value if o.direction == "higher"
                                                       else -r.cells[o.name].value) for o in spec.objectives]
               for r in rows]
    for row, layer in zip(rows, pareto_layers(vectors)):
        row.layer = layer


def _rank(spec: LeaderboardSpec, f: Commensurator, rows: list[Row]) -> None:
    """Each row's score under commensurating function `f`, and its competition rank."""
    fn = commensurators.get(f.function)
    normalised = {}
    for name in f.objectives:
        o = spec.objective(name)
        column = [None if r.cells[name] is None else r.cells[name].value for r in rows]
        normalised[name] = normalise(column, o.direction, f.normalise, o.bounds)
    for i, row in enumerate(rows):
        row.scores[f.name] = _score(fn, f, {name: normalised[name][i] for name in f.objectives}, spec.path, row.label)
    for row, rank in zip(rows, competition_ranks([r.scores[f.name] for r in rows])):
        row.ranks[f.name] = rank


def _score(fn, f: Commensurator, scores: dict[str, float | None], where_file: str, label: str) -> float | None:
    if any(v is None for v in scores.values()):
        return None  # an objective is missing: no score, never a zero
    try:
        return float(fn(scores, **f.params))
    except UserError:
        raise
    except Exception as exc:  # a plugin's bug must name the function, not crash with a traceback
        raise UserError(f"{where_file}: commensurating function {f.name!r} ({f.function}) failed on "
                        f"{label}: {exc}") from exc


def _board_order(row: Row, first: str | None):
    """Pareto layer, then rank under the first commensurating function (unranked last), then label."""
    rank = row.ranks.get(first) if first else None
    return (row.layer, rank is None, rank or 0, row.label)
