"""Run one task on one loaded model: dedupe requests, batch, cache, journal, score, write results.

Batches are planned over *all* of a run's requests in a fixed order before any are skipped, so a
resumed run computes exactly the batches an uninterrupted run would, and its numbers are identical.
"""
from __future__ import annotations

import sys
import time
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path

from pluralbench import __version__
from pluralbench.core.files import write_json, write_jsonl
from pluralbench.core.records import ModelRequest, OptionOutput, Rendered
from pluralbench.data import Dataset, load_task_data
from pluralbench.elicitation import get_method
from pluralbench.errors import UserError
from pluralbench.models.base import ModelAdapter
from pluralbench.provenance import environment
from pluralbench.runner.asks import collapse, expand
from pluralbench.runner.batch_plan import plan_batches
from pluralbench.runner.cache import ResponseCache, cache_key
from pluralbench.runner.journal import Journal
from pluralbench.runner.long_prompts import DEFAULT_POLICY, apply_long_prompt_policy
from pluralbench.runner.rundir import RunLock, run_dir_for, run_id
from pluralbench.runner.shard import Shard
from pluralbench.schemas import SCHEMA_VERSION
from pluralbench.taskfile import Task

REQUESTS_FILE = "requests.jsonl"


@dataclass
class RunOptions:
    output: Path
    data_dir: Path | None
    cache_dir: Path | None  # None disables the shared response cache (the run's journal still resumes)
    seed: int = 0
    elicitation: str = "auto"
    limit: int | None = None
    batch_size: int | None = None
    judge_direction: str | None = None  # overrides a judged task's `direction` param
    progress: bool = True
    argv: list[str] = field(default_factory=list)
    shard: Shard | None = None  # evaluate only this slice of the (limited) items
    on_long_prompt: str = DEFAULT_POLICY  # skip | truncate | error (runner/long_prompts.py)


@dataclass
class RunSummary:
    run_dir: Path
    metrics: dict
    counts: dict
    shard: str | None = None


def resolve_elicitation(requested: str, adapter: ModelAdapter) -> str:
    """`auto` picks chat for models with a chat template (instruction-tuned) and completion otherwise."""
    if requested == "auto":
        return "chat" if adapter.has_chat_template() else "completion"
    if requested == "chat" and not adapter.has_chat_template():
        raise UserError(f"model {adapter.describe()} has no chat template (a base model?); "
                        "--elicitation chat needs one: use --elicitation completion")
    return requested


def _serialise(op: str, output):
    return output.to_json() if op == "options" else output


def _deserialise(op: str, value):
    return OptionOutput.from_json(value) if op == "options" else value


def _call_model(adapter: ModelAdapter, op: str, rendered: list[Rendered], requests: list[ModelRequest]):
    if op == "options":
        return adapter.option_distributions(rendered, [r.labels for r in requests])
    if op == "loglikelihood":
        return adapter.loglikelihoods(rendered, [r.continuation for r in requests])
    if op == "generate":
        return adapter.generate(rendered, requests[0].generation)
    raise UserError(f"unknown request op {op!r}")


@dataclass
class PreparedTask:
    task: Task
    dataset: Dataset  # already limited (and sharded)
    total_items: int
    limited_items: int | None = None  # items after --limit, before sharding


def loader_params(task: Task, data_dir: Path | None) -> dict:
    """What a data loader may use besides the file: the prompt template, the task's params (e.g. an
    optional companion file) and the data directory that relative companion paths are under."""
    return {"prompt_template": task.prompt.get("template", "{question}"), "task_params": task.params,
            "data_dir": data_dir}


def prepare_task(task: Task, opts: RunOptions) -> PreparedTask:
    """Load and check a task's data before any model loads, so bad data fails in seconds."""
    # Loaders see the task's params at the top level too (e.g. seeds and sizes for sampling juries).
    dataset = load_task_data(task.data, opts.data_dir, {**task.params, **loader_params(task, opts.data_dir)})
    total = len(dataset.items)
    dataset = dataset.limited(opts.limit)
    if not dataset.items:
        raise UserError(f"task {task.name}: the dataset has no items to evaluate")
    limited = len(dataset.items)
    if opts.shard is not None:
        dataset = Dataset(opts.shard.select(dataset.items), dataset.source, dataset.sha256, dataset.checks)
        if not dataset.items:
            raise UserError(f"task {task.name}: shard {opts.shard} holds none of the {limited} items; use fewer shards")
    return PreparedTask(task, dataset, total, limited)


def run_identity(fingerprint: dict, task: Task, data_sha256: str, limit, elicitation: str, seed: int,
                 shard: Shard | None) -> dict:
    """What the run id hashes. An unsharded run's identity is unchanged by the shard feature."""
    identity = {"model": fingerprint, "task": [task.name, task.version, task.file_sha256], "data": data_sha256,
                "limit": limit, "elicitation": elicitation, "seed": seed}
    if shard is not None:
        identity["shard"] = [shard.index, shard.count]
    return identity


def metrics_document(rid: str, task: Task, data_sha256: str, model_spec: str, fingerprint_id: str, elicitation: str,
                     parameters: dict, scored_metrics: dict, judge_info: dict | None = None) -> dict:
    return {
        "schema_version": SCHEMA_VERSION,
        "run_id": rid,
        "task": {"name": task.name, "version": task.version, "family": task.family, "data_sha256": data_sha256},
        "model": {"spec": model_spec, "fingerprint_id": fingerprint_id},
        "elicitation": elicitation,
        "parameters": parameters,
    } | ({"judge": judge_info} if judge_info is not None else {}) | scored_metrics


def run_task(prepared: PreparedTask, adapter: ModelAdapter, model_spec: str, opts: RunOptions, *,
             model_load_seconds: float = 0.0, progress_stream=sys.stderr, judge=None) -> RunSummary:
    """`judge` is required by families that set `uses_judge` (e.g. Overton coverage) and ignored otherwise."""
    t_start = time.perf_counter()
    task, dataset, total_items = prepared.task, prepared.dataset, prepared.total_items
    family = task.family_impl()
    elicitation = resolve_elicitation(opts.elicitation, adapter)
    fingerprint = adapter.fingerprint()

    # Prompts longer than the context are dealt with before anything is written: `error` leaves no trace.
    method = get_method()  # how option distributions are read out (log-prob)
    asks = family.requests(task, dataset.items)
    requests, sizes = expand(asks, method)
    shape_of = {id(item): (a, s) for item, a, s in zip(dataset.items, asks, sizes)}
    kept, per_item, long_prompts = apply_long_prompt_policy(adapter, elicitation, task.name, dataset.items,
                                                            requests, opts.on_long_prompt)
    identity = run_identity(fingerprint, task, dataset.sha256, opts.limit, elicitation, opts.seed, opts.shard)
    if long_prompts.acted:  # a different set of items (or prompts) is a different run
        identity["long_prompts"] = long_prompts.identity()
        dataset = Dataset(kept, dataset.source, dataset.sha256, dataset.checks)
    judge_info = None
    if family.uses_judge:
        task = family.with_direction(task, opts.judge_direction)
        if judge is None:
            raise UserError(f"task {task.name} is scored by a judge: pass --judge SPEC")
        judge_info = judge.info() | {"direction": family.direction(task)}
        # Scores from different judges or directions are different numbers: never one run directory.
        identity["judge"] = {"fingerprint": judge.fingerprint(), "direction": judge_info["direction"]}
    rid = run_id(task.name, model_spec, identity)
    opts.output.mkdir(parents=True, exist_ok=True)
    run_dir = run_dir_for(opts.output, rid)
    run_dir.mkdir(parents=True, exist_ok=True)

    with RunLock(run_dir):
        # Requests: one list per item; identical requests are rendered and sent once.
        key_of: dict[ModelRequest, str] = {}
        unique: dict[str, tuple[ModelRequest, Rendered]] = {}
        for reqs in per_item:
            for req in reqs:
                if req in key_of:
                    continue
                rendered = adapter.render_request(req, elicitation)
                key = cache_key(fingerprint, elicitation, rendered.key(), req.params_key())
                key_of[req] = key
                unique.setdefault(key, (req, rendered))

        metric_params = family.metric_parameters(task)
        if judge_info is not None:
            metric_params["judge"] = judge_info
        manifest = _manifest(rid, task, dataset, total_items, model_spec, adapter, fingerprint, elicitation, opts,
                             metric_params)
        if opts.shard is not None:
            manifest["shard"] = opts.shard.to_json() | {"items_before_sharding": prepared.limited_items}
        manifest["long_prompts"] = long_prompts.to_json()
        if judge_info is not None:
            manifest["judge"] = judge_info | {"fingerprint": judge.fingerprint()}
        manifest["status"] = "running"
        write_json(run_dir / "manifest.json", manifest)

        journal = Journal(run_dir / "journal.jsonl")
        cache = ResponseCache(opts.cache_dir) if opts.cache_dir is not None else None
        batch_size = opts.batch_size or adapter.default_batch_size
        counts = {"items": len(dataset.items), "requests": sum(len(r) for r in per_item), "unique_requests": len(unique),
                  "journal_hits": 0, "cache_hits": 0, "model_calls": 0, "model_batches": 0,
                  "journal_torn_line_dropped": journal.dropped_torn_line}
        t_infer = time.perf_counter()
        judgements, judge_s = None, 0.0
        try:
            _execute(adapter, unique, journal, cache, batch_size, counts, task.name, opts.progress, progress_stream)
            infer_s = time.perf_counter() - t_infer
            answers: dict[str, object] = {}  # one object per answer, shared by the items that asked the same thing

            def answer(req):
                key = key_of[req]
                if key not in answers:
                    answers[key] = _deserialise(req.op, journal.entries[key])
                return answers[key]

            shapes = [shape_of[id(item)] for item in dataset.items]
            outputs = collapse([a for a, _ in shapes], [s for _, s in shapes],
                               [[answer(req) for req in reqs] for reqs in per_item], method)
            if judge_info is not None:
                t_judge = time.perf_counter()
                judgements = _judge(family, task, dataset.items, outputs, judge, judge_info, run_dir, cache, counts,
                                    opts, progress_stream)
                judge_s = time.perf_counter() - t_judge
        finally:
            if cache is not None:
                cache.close()

        t_score = time.perf_counter()
        scored = family.score(task, dataset.items, outputs, seed=opts.seed, judgements=judgements)
        score_s = time.perf_counter() - t_score

        metrics = metrics_document(rid, task, dataset.sha256, model_spec, adapter.fingerprint_id(), elicitation,
                                   manifest["metric_parameters"], scored.metrics, judge_info)
        if long_prompts.acted:  # never silent: the numbers cover fewer (or shortened) items
            metrics["long_prompts"] = long_prompts.to_json()
        # Which journal entries answer each item: what `pluralbench merge` needs to rescore shards together.
        write_jsonl(run_dir / REQUESTS_FILE, [{"id": item["id"], "keys": [key_of[r] for r in reqs]}
                                              for item, reqs in zip(dataset.items, per_item)])
        write_jsonl(run_dir / "samples.jsonl", scored.samples)
        write_json(run_dir / "metrics.json", metrics)

        total_s = time.perf_counter() - t_start
        manifest.update(
            status="complete",
            finished_at=datetime.now(timezone.utc).isoformat(timespec="seconds"),
            counts=counts,
            timings={"model_load_s": round(model_load_seconds, 3), "inference_s": round(infer_s, 3),
                     "scoring_s": round(score_s, 3), "total_s": round(total_s, 3),
                     **({"judge_s": round(judge_s, 3)} if judge_info is not None else {}),
                     "requests_per_s": round(counts["model_calls"] / infer_s, 3) if counts["model_calls"] and infer_s > 0 else None,
                     "items_per_s": round(len(dataset.items) / total_s, 3) if total_s > 0 else None},
        )
        write_json(run_dir / "manifest.json", manifest)
    return RunSummary(run_dir, metrics, counts, str(opts.shard) if opts.shard else None)


def _judge(family, task, items, outputs, judge, judge_info, run_dir, cache, counts, opts, stream):
    """Score every pair the family asks about, resumable from the run's judgement journal."""
    from pluralbench.runner.judging import Judgements, run_judge

    per_item = family.judge_pairs(task, items, outputs)
    counts["judge_pairs"] = sum(len(p) for p in per_item)
    scores, judge_counts = run_judge(judge, (pair for pairs in per_item for pair in pairs), cache=cache,
                                     journal=Journal(run_dir / "judgements.jsonl"), progress=opts.progress,
                                     stream=stream, label=f"{task.name} judge")
    counts.update(judge_counts)
    return Judgements(scores, judge_info, judge_counts)


def _execute(adapter, unique, journal, cache, batch_size, counts, label, show_progress, stream) -> None:
    from tqdm import tqdm

    batches = plan_batches(unique, batch_size, by_text=getattr(adapter, "share_prefix", False))
    counts["journal_hits"] = sum(1 for k in unique if k in journal.entries)
    # Everything the shared cache already holds goes into the journal in one write (one fsync).
    pending = [k for batch in batches for k in batch if k not in journal.entries]
    from_cache = cache.get_many(pending) if cache is not None and pending else {}
    counts["cache_hits"] += len(from_cache)
    journal.append({k: from_cache[k] for k in pending if k in from_cache})
    bar = tqdm(total=len(unique), initial=len(unique) - len(pending) + len(from_cache), desc=label, unit="prompt",
               file=stream, disable=not show_progress, dynamic_ncols=True, mininterval=1.0)
    try:
        for batch in batches:
            to_compute = [k for k in batch if k not in journal.entries]
            if not to_compute:
                continue
            op = unique[to_compute[0]][0].op
            results = _call_model(adapter, op, [unique[k][1] for k in to_compute], [unique[k][0] for k in to_compute])
            fresh = {k: _serialise(op, r) for k, r in zip(to_compute, results)}
            counts["model_calls"] += len(to_compute)
            counts["model_batches"] += 1
            if cache is not None:
                cache.put_many(fresh)  # cache before journal: a kill between them loses nothing
            journal.append(fresh)
            bar.update(len(to_compute))
    finally:
        bar.close()


def _manifest(rid, task, dataset, total_items, model_spec, adapter, fingerprint, elicitation, opts, metric_params):
    return {
        "schema_version": SCHEMA_VERSION,
        "pluralbench_version": __version__,
        "run_id": rid,
        "created_at": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "command": opts.argv,
        "model": {"spec": model_spec, "kind": model_spec.split(":", 1)[0], "adapter": adapter.kind,
                  "fingerprint": fingerprint, "fingerprint_id": adapter.fingerprint_id()},
        "task": {"name": task.name, "version": task.version, "family": task.family, "file": task.path,
                 "file_sha256": task.file_sha256, "description": task.description},
        "data": {"source": dataset.source, "sha256": dataset.sha256, "items_total": total_items,
                 "items_used": len(dataset.items), "limit": opts.limit, "checks": dataset.checks},
        "elicitation": {"requested": opts.elicitation, "resolved": elicitation,
                        "answer_prefix": task.prompt.get("answer_prefix")},
        "seed": opts.seed,
        "batch_size": opts.batch_size or adapter.default_batch_size,
        "metric_parameters": metric_params,
        "environment": environment(),
    }
