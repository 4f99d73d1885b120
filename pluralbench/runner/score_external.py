"""Scoring predictions made elsewhere (`pluralbench score`): Modular-Pluralism-format files
(`pred_distribution` / `output` per row) and pluralbench's own samples.jsonl.

Predictions are scored by the task family's own `score_predictions`, the code a model run uses,
and written as a run directory whose manifest names the predictions file and its sha256 instead of
a model. Nothing about the model is known: covered option mass is null, elicitation "external".
"""
from __future__ import annotations

import json
import time
from pathlib import Path

from pluralbench.core.files import write_json
from pluralbench.data import load_task_data
from pluralbench.data.files import read_json, read_text
from pluralbench.data.loading import call_loader
from pluralbench.elicitation import DEFAULT_METHOD
from pluralbench.errors import DataError, UserError
from pluralbench.hashing import result_file_hashes, sha256_file
from pluralbench.provenance import environment
from pluralbench.runner.documents import (
    data_record,
    manifest_head,
    metrics_document,
    task_record,
    utc_now,
    write_scored,
)
from pluralbench.runner.execute import RunSummary, loader_context
from pluralbench.runner.rundir import RunLock, make_run_dir, run_id
from pluralbench.taskfile import Task

# Formats whose rows hold the items themselves: a predictions file in them needs no data directory (steerable
# OpinionQA still reads its ordinal positions, OpinionQA's info.csv files, from it).
SELF_CONTAINED = {"modular_pluralism_mc", "modular_pluralism_steerable_mc", "modular_pluralism_steerable_opinionqa",
                  "modular_pluralism_valence"}
MP_FORMAT, SAMPLES_FORMAT = "modular_pluralism", "pluralbench_samples"


def predictions_format(path: Path) -> str:
    return SAMPLES_FORMAT if path.suffix == ".jsonl" else MP_FORMAT


def _read_samples(path: Path) -> list[tuple[int, dict]]:
    out = []
    for lineno, line in enumerate(read_text(path).splitlines(), start=1):
        if not line.strip():
            continue
        try:
            row = json.loads(line)
        except ValueError as exc:
            raise DataError(path, f"not valid JSON ({exc})", row=lineno) from None
        if not isinstance(row, dict) or "id" not in row:
            raise DataError(path, "a sample needs an object with an 'id'", row=lineno, field="id")
        out.append((lineno, row))
    if not out:
        raise DataError(path, "no samples")
    return out


def _by_id(rows, path) -> dict[str, tuple[int, dict]]:
    found: dict[str, tuple[int, dict]] = {}
    for index, row in rows:
        item_id = str(row["id"])
        if item_id in found:
            raise DataError(path, f"duplicate id (first at row {found[item_id][0]})", row=index, item_id=item_id,
                            field="id")
        found[item_id] = (index, row)
    return found


def load_predictions(task: Task, path: Path, data_dir: Path | None):
    """(dataset, items, predictions, facts) for a predictions file."""
    family = task.family_impl()
    fmt = predictions_format(path)
    local = task.data.get("local") or {}
    facts = {"format": fmt}
    if fmt == MP_FORMAT:
        raw = read_json(path)
        if not isinstance(raw, list) or not raw:
            raise DataError(path, "expected a non-empty JSON list of Modular-Pluralism rows")
        for index, row in enumerate(raw):
            if not isinstance(row, dict) or "id" not in row:
                raise DataError(path, "each row needs an object with an 'id'", row=index, field="id")
        rows = _by_id(list(enumerate(raw)), path)
        self_contained = local.get("format") in SELF_CONTAINED
        if self_contained:
            dataset = call_loader(local["format"], path, task.data_options, loader_context(task, data_dir))
        else:
            dataset = load_task_data(task.data, loader_context(task, data_dir))
        known = {it["id"] for it in dataset.items}
        stray = [i for i in rows if i not in known]
        if stray and not self_contained:
            index, _ = rows[stray[0]]
            raise DataError(path, f"id not in the task's data ({len(stray)} such rows)", row=index, item_id=stray[0],
                            field="id")
        facts["rows_not_scored"] = len(stray)  # e.g. rows the loader skips (single-option questions)
        items = [it for it in dataset.items if it["id"] in rows]
        predictions = [family.prediction_from_row(task, rows[it["id"]][1], path=path, index=rows[it["id"]][0])
                       for it in items]
    else:
        samples = _by_id(_read_samples(path), path)
        dataset = load_task_data(task.data, loader_context(task, data_dir))
        known = {it["id"] for it in dataset.items}
        stray = [i for i in samples if i not in known]
        if stray:
            lineno, _ = samples[stray[0]]
            raise DataError(path, f"sample id not in the task's data ({len(stray)} such samples); is this "
                                  f"samples.jsonl from another task?", row=lineno, item_id=stray[0], field="id")
        items = [it for it in dataset.items if it["id"] in samples]
        predictions = [family.prediction_from_sample(task, samples[it["id"]][1], path=path,
                                                     index=samples[it["id"]][0], item=it) for it in items]
        manifest = path.parent / "manifest.json"
        if manifest.is_file():  # a run directory: say which model produced the samples
            try:
                m = json.loads(manifest.read_text(encoding="utf-8"))
                facts["original_run"] = {"run_id": m.get("run_id"), "model": (m.get("model") or {}).get("spec"),
                                         "elicitation": (m.get("elicitation") or {}).get("resolved")}
            except ValueError:
                pass
    if not items:
        raise UserError(f"{path}: no predictions match the items of task {task.name}")
    return dataset, items, predictions, facts


def external_method(facts: dict, path: Path) -> dict:
    """The read-out of scored predictions: the original run's (its samples are already read out, and
    calibrated if it was; nothing is fitted again), else `external` (made elsewhere, method unknown)."""
    if not facts.get("original_run"):
        return {"spec": "external", "name": "external", "settings": {}, "fitted": None}
    recorded = json.loads((path.parent / "manifest.json").read_text(encoding="utf-8")).get("elicitation_method")
    # A run made before the method axis used the default.
    return recorded or {"spec": DEFAULT_METHOD, "name": DEFAULT_METHOD, "settings": {"method": DEFAULT_METHOD},
                        "fitted": {}}


def score_file(task: Task, path: Path, *, output: Path, data_dir: Path | None, seed: int = 0,
               argv: list[str] | None = None) -> RunSummary:
    t0 = time.perf_counter()
    if not path.is_file():
        raise UserError(f"{path}: predictions file not found")
    family = task.family_impl()
    dataset, items, predictions, facts = load_predictions(task, path, data_dir)
    sha = sha256_file(path)
    identity = {"predictions": sha, "task": [task.name, task.version, task.file_sha256], "data": dataset.sha256,
                "seed": seed}
    rid = run_id(task.name, f"predictions-{path.stem}", identity)
    t_score = time.perf_counter()
    # Scored before the run directory exists: predictions that fail to score leave nothing behind.
    scored = family.score_predictions(task, items, predictions, seed=seed)
    score_s = time.perf_counter() - t_score
    run_dir = make_run_dir(output, rid)
    with RunLock(run_dir):
        params = family.metric_parameters(task)
        source = {"kind": "predictions", "path": str(path.resolve()), "sha256": sha} | facts
        elicitation = (facts.get("original_run") or {}).get("elicitation") or "external"
        method = external_method(facts, path)
        metrics = metrics_document(rid, task, dataset.sha256, f"predictions:{path.name}", sha[:24], elicitation, params,
                                   scored.metrics, source=source, method=method)
        now = utc_now()
        manifest = manifest_head(rid) | {
            "status": "complete",
            "created_at": now,
            "finished_at": now,
            "command": ["pluralbench", *(argv or [])],
            "predictions": {"path": str(path.resolve()), "sha256": sha, "items_scored": len(items)} | facts,
            "task": task_record(task),
            "data": data_record(dataset, len(dataset.items), len(items), None),
            "elicitation": {"requested": "external", "resolved": elicitation, "answer_prefix": None},
            "elicitation_method": method,
            "seed": seed,
            "metric_parameters": params,
            "environment": environment(),
            "counts": {"items": len(items), "unique_requests": 0, "journal_hits": 0, "cache_hits": 0, "model_calls": 0},
            "timings": {"scoring_s": round(score_s, 3), "total_s": round(time.perf_counter() - t0, 3)},
        }
        write_scored(run_dir, scored.samples, metrics)
        manifest["content_sha256"] = result_file_hashes(run_dir)
        write_json(run_dir / "manifest.json", manifest)
    return RunSummary(run_dir, metrics, manifest["counts"])
