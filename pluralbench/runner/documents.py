"""What a run directory's files hold, built one way for every kind of run (a model run, a merge of
shards, scored predictions): metrics.json, the manifest's common fields, requests.jsonl."""
from __future__ import annotations

import json
from datetime import datetime, timezone
from pathlib import Path

from pluralbench import __version__
from pluralbench.core.files import write_json, write_jsonl
from pluralbench.core.items import Item
from pluralbench.data import Dataset
from pluralbench.schemas import SCHEMA_VERSION
from pluralbench.taskfile import Task

REQUESTS_FILE = "requests.jsonl"


def utc_now() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="seconds")


def metrics_document(rid: str, task: Task, data_sha256: str, model_spec: str, fingerprint_id: str, elicitation: str,
                     parameters: dict, scored_metrics: dict, *, judge: dict | None = None,
                     source: dict | None = None, method: dict | None = None) -> dict:
    """metrics.json: what was run (the prompt format as `elicitation`, the read-out method and what it
    fitted as `elicitation_method`), who judged it or where its predictions came from, then the numbers."""
    head = {
        "schema_version": SCHEMA_VERSION,
        "run_id": rid,
        "task": {"name": task.name, "version": task.version, "family": task.family, "data_sha256": data_sha256},
        "model": {"spec": model_spec, "fingerprint_id": fingerprint_id},
        "elicitation": elicitation,
        "elicitation_method": method,
        "parameters": parameters,
    }
    if judge is not None:
        head["judge"] = judge
    if source is not None:
        head["source"] = source
    return head | scored_metrics


def manifest_head(rid: str) -> dict:
    """The fields every manifest starts with."""
    return {"schema_version": SCHEMA_VERSION, "pluralbench_version": __version__, "run_id": rid}


def task_record(task: Task) -> dict:
    return {"name": task.name, "version": task.version, "family": task.family, "file": task.path,
            "file_sha256": task.file_sha256, "description": task.description}


def data_record(dataset: Dataset, items_total: int, items_used: int, limit: int | None) -> dict:
    return {"source": dataset.source, "sha256": dataset.sha256, "items_total": items_total,
            "items_used": items_used, "limit": limit, "checks": dataset.checks}


def write_scored(run_dir: Path, samples: list[dict], metrics: dict) -> None:
    write_jsonl(run_dir / "samples.jsonl", samples)
    write_json(run_dir / "metrics.json", metrics)


def write_requests(run_dir: Path, items: list[Item], keys: list[list[str]]) -> None:
    """Which journal entries answer each item: what `pluralbench merge` needs to rescore shards together."""
    write_jsonl(run_dir / REQUESTS_FILE, [{"id": item["id"], "keys": k} for item, k in zip(items, keys)])


def read_requests(run_dir: Path) -> list[dict]:
    text = (run_dir / REQUESTS_FILE).read_text(encoding="utf-8")
    return [json.loads(line) for line in text.splitlines() if line]
