"""Recomputing a finished run's headline numbers from its samples.jsonl with the task family's own
scoring (`pluralbench validate`): metrics.json must say what its samples say. Only `overall` is compared:
it is what leaderboards read, and a family rebuilds it from the samples exactly (other blocks, such as
top-K coverage, hold facts the samples summarise but do not carry)."""
from __future__ import annotations

import json
import math
from pathlib import Path

from pluralbench.data import load_task_data
from pluralbench.errors import UserError
from pluralbench.runner.execute import loader_context
from pluralbench.runner.merge import resolve_recorded_task

TOLERANCE = 1e-9  # a prediction re-read from samples is renormalised: rounding at 1e-16, far inside this


def rescore_problems(run_dir: Path, manifest: dict, metrics: dict, data_dir: Path | None, notes: list[str]) -> list[str]:
    """[] when metrics.json's `overall` is what the samples give; a note when it cannot be recomputed."""
    if data_dir is None:
        notes.append("metrics not recomputed from samples: no data directory (--data-dir or PLURALBENCH_DATA)")
        return []
    try:
        overall = _rescored_overall(run_dir, manifest, data_dir)
    except UserError as exc:
        notes.append(f"metrics not recomputed from samples: {exc}")
        return []
    difference = first_difference(metrics.get("overall"), overall, "overall")
    if difference is None:
        return []
    return [f"metrics.json: {difference} (recomputed from samples.jsonl with the task's own scoring)"]


def _rescored_overall(run_dir: Path, manifest: dict, data_dir: Path) -> dict:
    task = resolve_recorded_task(manifest)
    family = task.family_impl()
    dataset = load_task_data(task.data, loader_context(task, data_dir))
    if dataset.sha256 != (manifest.get("data") or {}).get("sha256"):
        raise UserError(f"the data under {data_dir} is not the data the run used (its sha256 differs)")
    by_id = {str(item["id"]): item for item in dataset.items}
    path = run_dir / "samples.jsonl"
    samples = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
    missing = [s.get("id") for s in samples if str(s.get("id")) not in by_id]
    if missing:
        raise UserError(f"sample id {missing[0]!r} is not in the task's data")
    items = [by_id[str(s["id"])] for s in samples]
    predictions = [family.prediction_from_sample(task, s, path=path, index=i, item=item)
                   for i, (s, item) in enumerate(zip(samples, items), start=1)]
    return family.score_predictions(task, items, predictions, seed=int(manifest.get("seed", 0))).metrics["overall"]


def first_difference(recorded, recomputed, where: str) -> str | None:
    """The first place two JSON values differ (numbers within TOLERANCE are equal), as one phrase."""
    if isinstance(recorded, dict) and isinstance(recomputed, dict):
        for key in sorted(set(recorded) | set(recomputed)):
            if key not in recorded or key not in recomputed:
                return f"{where}.{key} is {'missing' if key not in recorded else 'not in what the samples give'}"
            found = first_difference(recorded[key], recomputed[key], f"{where}.{key}")
            if found:
                return found
        return None
    if _number(recorded) and _number(recomputed):
        if math.isclose(recorded, recomputed, rel_tol=TOLERANCE, abs_tol=TOLERANCE) or \
                (math.isnan(recorded) and math.isnan(recomputed)):
            return None
    elif recorded == recomputed:
        return None
    return f"{where} is {recorded!r} but the samples give {recomputed!r}"


def _number(value) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)
