"""Combine the shard runs of one evaluation into the run directory an unsharded run would have written.

Shards must agree on everything that defines the numbers (model fingerprint, task file, data, limit,
elicitation, seed, shard count) and together cover every shard exactly once. The task's data is
reloaded and checked against the recorded hash; each item's model outputs come from its shard's
journal; the family's pure score() then runs over all items in file order, so the merged metrics
equal those of a single run over the same outputs. The merged run gets the unsharded run's id.
"""
from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

from pluralbench.core.files import write_json, write_jsonl
from pluralbench.core.output_set import write_output_set
from pluralbench.data import Dataset
from pluralbench.elicitation import DEFAULT_METHOD
from pluralbench.errors import UserError
from pluralbench.hashing import result_file_hashes
from pluralbench.runner.asks import expand, finalize, outputs_from_stored, scoring_options
from pluralbench.runner.documents import (
    REQUESTS_FILE,
    metrics_document,
    read_requests,
    utc_now,
    write_requests,
    write_scored,
)
from pluralbench.runner.execute import RunOptions, prepare_task, run_identity
from pluralbench.runner.journal import Journal
from pluralbench.runner.method_axis import method_from_record, method_identity, method_record
from pluralbench.runner.rundir import RunLock, make_run_dir, run_id
from pluralbench.runner.shard import Shard
from pluralbench.schemas import check_schema_version
from pluralbench.taskfile import Task, get_task, load_task_file

# (what must agree, how to read it from a manifest)
_MUST_AGREE = {
    "model": lambda m: m["model"]["fingerprint"],
    "task": lambda m: [m["task"]["name"], m["task"]["version"], m["task"]["file_sha256"]],
    "data": lambda m: m["data"]["sha256"],
    "limit": lambda m: m["data"]["limit"],
    "elicitation": lambda m: m["elicitation"]["resolved"],
    "elicitation method": lambda m: (m.get("elicitation_method") or {}).get("spec", DEFAULT_METHOD),
    "seed": lambda m: m["seed"],
    "shard count": lambda m: m["shard"]["count"],
    "metric parameters": lambda m: m["metric_parameters"],
}


@dataclass
class ShardRun:
    path: Path
    manifest: dict
    shard: Shard


def _read_shard(path: Path) -> ShardRun:
    manifest_path = path / "manifest.json"
    try:
        manifest = json.loads(manifest_path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise UserError(f"{path}: not a run directory (no manifest.json)") from None
    except ValueError as exc:
        raise UserError(f"{manifest_path}: not valid JSON ({exc})") from None
    check_schema_version(manifest, manifest_path)
    if manifest.get("status") != "complete":
        raise UserError(f"{path}: the run has not finished (status {manifest.get('status')!r}); resume it first")
    shard = manifest.get("shard")
    if not shard:
        raise UserError(f"{path}: not a shard run (made without --shard); only shards of one run can be merged")
    for name in (REQUESTS_FILE, "journal.jsonl"):
        if not (path / name).is_file():
            raise UserError(f"{path}: {name} is missing; it is needed to merge")
    return ShardRun(path, manifest, Shard(int(shard["index"]), int(shard["count"])))


def check_compatible(shards: list[ShardRun]) -> None:
    first = shards[0]
    for other in shards[1:]:
        for what, read in _MUST_AGREE.items():
            if read(other.manifest) != read(first.manifest):
                raise UserError(f"{other.path} and {first.path} are shards of different runs: their {what} differ")
    count = first.shard.count
    seen: dict[int, Path] = {}
    for s in shards:
        if s.shard.index in seen:
            raise UserError(f"{s.path} and {seen[s.shard.index]} are both shard {s.shard}")
        seen[s.shard.index] = s.path
    missing = [f"{i}/{count}" for i in range(1, count + 1) if i not in seen]
    if missing:
        raise UserError(f"shard(s) {', '.join(missing)} missing: a merged run needs all {count} shards")


def resolve_recorded_task(manifest: dict) -> Task:
    """The installed task of that name, or the recorded file; either way its hash must match."""
    recorded = manifest["task"]
    candidates = []
    try:
        candidates.append(get_task(recorded["name"]))
    except UserError:
        pass
    if recorded.get("file") and Path(recorded["file"]).is_file():
        candidates.append(load_task_file(Path(recorded["file"])))
    for task in candidates:
        if task.file_sha256 == recorded["file_sha256"]:
            return task
    raise UserError(f"task {recorded['name']!r}: no task file with the hash the run recorded "
                    f"({recorded['file_sha256'][:12]}...) is available; the task file changed since it ran")


def merge_shards(paths: list[Path], output: Path, data_dir: Path | None, argv: list[str]) -> Path:
    shards = sorted((_read_shard(p) for p in paths), key=lambda s: s.shard.index)
    check_compatible(shards)
    _refuse_long_prompt_shards(shards)
    first = shards[0].manifest
    task, dataset = _shards_data(first, output, data_dir)
    keys_of, stored = _stored_answers(shards, dataset)
    spec, method = method_from_record(first.get("elicitation_method"), first["seed"])
    scored, fitted = _rescore(task, dataset, keys_of, stored, first["seed"], method)

    model = first["model"]
    elicitation = first["elicitation"]["resolved"]
    identity = run_identity(model["fingerprint"], task, dataset.sha256, first["data"]["limit"], elicitation,
                            first["seed"], None, method_identity(spec, method))
    rid = run_id(task.name, model["spec"], identity)
    record = method_record(spec, method, fitted)
    metrics = metrics_document(rid, task, dataset.sha256, model["spec"], model["fingerprint_id"], elicitation,
                               first["metric_parameters"], scored.metrics, method=record)
    manifest = _merged_manifest(rid, shards, len(dataset.items), argv) | {"elicitation_method": record}

    def write(staging: Path) -> dict[str, Path]:
        write_jsonl(staging / "journal.jsonl", [{"key": k, "output": v} for k, v in stored.items()])
        write_requests(staging, dataset.items, [keys_of[it["id"]] for it in dataset.items])
        write_scored(staging, scored.samples, metrics)
        write_json(staging / "manifest.json", manifest | {"content_sha256": result_file_hashes(staging)})
        return {}

    run_dir = make_run_dir(output, rid)
    with RunLock(run_dir):  # the whole run directory is swapped in: a kill leaves the old one or the new one
        write_output_set(run_dir, write)
    return run_dir


def _refuse_long_prompt_shards(shards: list[ShardRun]) -> None:
    for s in shards:
        lp = s.manifest.get("long_prompts") or {}
        if lp.get("skipped_items") or lp.get("truncated_items"):
            raise UserError(f"{s.path}: skipped or truncated prompts longer than the model's context "
                            f"({lp.get('skipped_items')} skipped, {lp.get('truncated_items')} truncated); merging such "
                            "shards is not supported: run the task unsharded, or with a model whose context fits")


def _shards_data(first: dict, output: Path, data_dir: Path | None) -> tuple[Task, Dataset]:
    """The task and its (limited) data as the shards recorded them, or a refusal if the data changed."""
    task = resolve_recorded_task(first)
    prepared = prepare_task(task, RunOptions(output=output, data_dir=data_dir, cache_dir=None,
                                             limit=first["data"]["limit"]))
    dataset = prepared.dataset
    if dataset.sha256 != first["data"]["sha256"]:
        raise UserError(f"the data for task {task.name} ({dataset.source.get('path')}) is not the data the shards "
                        "used (its hash differs); point --data-dir at the same data")
    return task, dataset


def _stored_answers(shards: list[ShardRun], dataset: Dataset) -> tuple[dict[str, list[str]], dict[str, object]]:
    """-> (each item's request keys by item id, every stored answer by key) from the shards' journals."""
    keys_of: dict[str, list[str]] = {}
    outputs_by_key: dict[str, object] = {}
    for s in shards:  # lowest shard first: an answer computed in two shards is taken from the first
        rows = read_requests(s.path)
        expected = [it["id"] for it in s.shard.select(dataset.items)]
        if [r["id"] for r in rows] != expected:
            raise UserError(f"{s.path}: its items are not shard {s.shard} of this data")
        journal = Journal(s.path / "journal.jsonl", writable=False)  # merge reads its inputs, never writes them
        for row in rows:
            keys_of[row["id"]] = row["keys"]
            for key in row["keys"]:
                if key not in journal.entries:
                    raise UserError(f"{s.path}: journal.jsonl lacks an answer for item {row['id']!r}"
                                    f"{_damage_note(journal)}")
                outputs_by_key.setdefault(key, journal.entries[key])
    return keys_of, outputs_by_key


def _damage_note(journal: Journal) -> str:
    """Where the missing answer probably went: the journal's damaged lines, if any."""
    if not journal.damaged_lines:
        return ""
    lines = ", ".join(map(str, journal.damaged_lines[:10]))
    return f" ({journal.path} line {lines} is damaged: not a journal record)"


def _rescore(task: Task, dataset: Dataset, keys_of: dict[str, list[str]], stored: dict, seed: int, method):
    """-> (the family's score over all items, from the stored answers, as an unsharded run scores them; what
    the method fitted on all items together, as an unsharded run fits it)."""
    family = task.family_impl()
    if family.uses_judge:
        # Judge scores live in each shard's own judgement journal; rescoring them together is not built yet.
        raise UserError(f"task {task.name} is scored by a judge: merging its shards is not supported; run it unsharded")
    asks = family.requests(task, dataset.items)
    per_item, sizes = expand(asks, method)
    outputs = outputs_from_stored(asks, sizes, per_item, [keys_of[item["id"]] for item in dataset.items], stored,
                                  method)
    outputs, fitted = finalize(asks, outputs, family.references(task, dataset.items), method)
    return family.score(task, dataset.items, outputs, seed=seed, **scoring_options(family, method)), fitted


def _merged_manifest(rid: str, shards: list[ShardRun], items: int, argv: list[str]) -> dict:
    manifest = json.loads(json.dumps(shards[0].manifest))  # a deep copy
    manifest.pop("shard", None)
    count_keys = ("requests", "journal_hits", "cache_hits", "model_calls", "model_batches")
    counts = {k: sum(s.manifest["counts"].get(k, 0) for s in shards) for k in count_keys}
    counts.update(items=items, unique_requests=sum(s.manifest["counts"]["unique_requests"] for s in shards))
    for key in ("generated_tokens", "generated_tokens_total"):  # unknown in one shard (or not recorded): unknown
        found = [s.manifest["counts"].get(key) for s in shards]
        counts[key] = None if None in found else sum(found)
    timings = {k: round(sum(s.manifest["timings"].get(k) or 0 for s in shards), 3)
               for k in ("model_load_s", "inference_s", "scoring_s", "total_s")}
    manifest.update(
        run_id=rid, command=argv, status="complete", counts=counts,
        finished_at=utc_now(),
        timings=timings | {"note": "sums over the shards, which may have run in parallel on several machines"},
        merged_from=[{"run_id": s.manifest["run_id"], "shard": s.manifest["shard"], "path": str(s.path),
                      "created_at": s.manifest["created_at"], "environment": s.manifest["environment"]}
                     for s in shards],
    )
    manifest["data"]["items_used"] = items
    return manifest
