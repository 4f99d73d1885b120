"""Run directories written by tests for the report code: metrics.json valid against the shipped schema,
with the numbers each test chooses (the leaderboard reads only metrics.json and the manifest's status)."""
from __future__ import annotations

import hashlib
import json
import shutil
from pathlib import Path

from pluralbench.schemas import validate

GOLDEN = Path(__file__).resolve().parent / "golden" / "outputs"
DIRECTIONS = {"jsd_base2": "lower", "covered_mass": "higher", "similarity": "higher", "accuracy": "higher"}


def metric_value(value, half_width=0.02, n=10, direction=None):
    out = {"value": value, "ci_low": None if value is None else value - half_width,
           "ci_high": None if value is None else value + half_width, "n": n}
    if direction:
        out["direction"] = direction
    return out


def write_run(root: Path, model: str, values: dict, *, task="distributional_globalopinionqa", elicitation="chat",
              data_sha256="ab" * 32, items=10, version=1, judge=None, groups=None, fingerprint=None,
              status="complete") -> Path:
    fingerprint = fingerprint or hashlib.sha256(model.encode()).hexdigest()[:24]
    run_id = f"{task}__{hashlib.sha256((model + task + elicitation + data_sha256 + str(version) + str(judge) + str(items)).encode()).hexdigest()[:12]}"
    metrics = {
        "schema_version": 1, "run_id": run_id,
        "task": {"name": task, "version": version, "family": "multiple_choice_distribution", "data_sha256": data_sha256},
        "model": {"spec": model, "fingerprint_id": fingerprint},
        "elicitation": elicitation,
        "parameters": {} if judge is None else {"judge": judge},
        "headline": next(iter(values)),
        "overall": {name: metric_value(v, direction=DIRECTIONS.get(name)) for name, v in values.items()},
        "counts": {"items": items},
    }
    if groups:
        metrics["groups"] = {"country": {g: {"n": 5, "metrics": {name: metric_value(v, direction=DIRECTIONS.get(name))
                                                                  for name, v in vals.items()}}
                                         for g, vals in groups.items()}}
    validate(metrics, "metrics", "test run")
    run_dir = root / run_id
    run_dir.mkdir(parents=True)
    (run_dir / "metrics.json").write_text(json.dumps(metrics), encoding="utf-8")
    (run_dir / "manifest.json").write_text(json.dumps({"schema_version": 1, "run_id": run_id, "status": status}),
                                            encoding="utf-8")
    return run_dir


def golden_runs(root: Path) -> Path:
    """Each stored run and score of tests/golden as a run directory (a minimal finished manifest beside its
    metrics.json and samples.jsonl): every family's samples (the golden test keeps them what today's code writes)."""
    for source in sorted(GOLDEN.iterdir()):
        if (source / "samples.jsonl").is_file():
            run = root / source.name
            run.mkdir(parents=True)
            for name in ("metrics.json", "samples.jsonl"):
                shutil.copy(source / name, run / name)
            (run / "manifest.json").write_text(json.dumps({"schema_version": 1, "status": "complete"}))
    return root
