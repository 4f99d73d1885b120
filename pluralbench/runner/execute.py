"""Run one task on one loaded model: plan its items, requests and run id; get the requests answered
(runner/inference.py: dedupe, batch, cache, journal); score; write the run directory.
"""
from __future__ import annotations

import sys
import time
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pluralbench.core.files import write_json
from pluralbench.core.records import ModelRequest
from pluralbench.data import Dataset, LoadContext, load_task_data
from pluralbench.elicitation import DEFAULT_METHOD, Elicitation, get_method
from pluralbench.errors import UserError
from pluralbench.hashing import result_file_hashes
from pluralbench.models.base import ModelAdapter
from pluralbench.provenance import environment
from pluralbench.runner.asks import expand, finalize, outputs_from_stored, scoring_options
from pluralbench.runner.cache import ResponseCache
from pluralbench.runner.documents import (
    data_record,
    manifest_head,
    metrics_document,
    task_record,
    utc_now,
    write_requests,
    write_scored,
)
from pluralbench.runner.generated_tokens import generated_token_counts
from pluralbench.runner.inference import UniqueRequests, answer_requests, unique_requests
from pluralbench.runner.journal import Journal
from pluralbench.runner.long_prompts import DEFAULT_POLICY, LongPromptReport, apply_long_prompt_policy
from pluralbench.runner.method_axis import method_identity, method_record
from pluralbench.runner.rundir import RunLock, make_run_dir, run_id
from pluralbench.runner.shard import Shard
from pluralbench.taskfile import Task


@dataclass
class RunOptions:
    output: Path
    data_dir: Path | None
    cache_dir: Path | None  # None disables the shared response cache (the run's journal still resumes)
    seed: int = 0
    elicitation: str = "auto"  # the prompt format (--prompt-format): auto, completion or chat
    method: str = DEFAULT_METHOD  # the read-out (--elicit), `name[:argument]`
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


@dataclass
class PreparedTask:
    task: Task
    dataset: Dataset  # already limited (and sharded)
    total_items: int
    limited_items: int | None = None  # items after --limit, before sharding
    asks: list | None = None  # family.requests(task, dataset.items), built once at load; None: build when planning


def loader_context(task: Task, data_dir: Path | None) -> LoadContext:
    """What a data loader may use besides its source and the task's data.options: the data directory
    (relative companion files are under it) and the task's prompt template (loaders that render prompts)."""
    return LoadContext(data_dir=data_dir, prompt_template=task.prompt.get("template"),
                       item_type=task.family_impl().item_type)


def prepare_task(task: Task, opts: RunOptions) -> PreparedTask:
    """Load and check a task's data before any model loads, so bad data fails in seconds."""
    dataset = load_task_data(task.data, loader_context(task, opts.data_dir))
    total = len(dataset.items)
    dataset = dataset.limited(opts.limit)
    if not dataset.items:
        raise UserError(f"task {task.name}: the dataset has no items to evaluate")
    limited = len(dataset.items)
    if opts.shard is not None:
        dataset = Dataset(opts.shard.select(dataset.items), dataset.source, dataset.sha256, dataset.checks)
        if not dataset.items:
            raise UserError(f"task {task.name}: shard {opts.shard} holds none of the {limited} items; use fewer shards")
    # Built here, before any model loads, so a template naming a field the items lack fails in seconds.
    asks = task.family_impl().requests(task, dataset.items)
    return PreparedTask(task, dataset, total, limited, asks)


def run_identity(fingerprint: dict, task: Task, data_sha256: str, limit, elicitation: str, seed: int,
                 shard: Shard | None, method: dict | None = None) -> dict:
    """What the run id hashes. An unsharded run's identity is unchanged by the shard feature, and a
    `logprob` run's by the method axis (method_axis.method_identity is None for it)."""
    identity = {"model": fingerprint, "task": [task.name, task.version, task.file_sha256], "data": data_sha256,
                "limit": limit, "elicitation": elicitation, "seed": seed}
    if method is not None:
        identity["elicitation_method"] = method
    if shard is not None:
        identity["shard"] = [shard.index, shard.count]
    return identity


@dataclass
class RunPlan:
    """What a run evaluates and under which id, settled before anything is written: a refusal (a long
    prompt under `error`, a judged task without a judge) leaves no trace."""
    task: Task  # with the judge's direction applied
    family: Any  # the task's family (task.family_impl())
    dataset: Dataset  # the items the long-prompt policy kept
    elicitation: str  # resolved: chat or completion
    fingerprint: dict
    method: Elicitation  # how option distributions are read out (--elicit)
    method_spec: str  # its `name[:argument]`
    references: list[list]  # each kept ask's human distribution or None (family.references), for finalize
    asks: list[list]  # each kept item's asks
    sizes: list[list[int]]  # how many requests each ask took
    per_item: list[list[ModelRequest]]  # each kept item's requests, truncated if the policy did so
    long_prompts: LongPromptReport
    judge_info: dict | None  # Judge.info() plus the direction; None for a task no judge scores
    rid: str


def plan_run(prepared: PreparedTask, adapter: ModelAdapter, model_spec: str, opts: RunOptions, judge) -> RunPlan:
    """Items, requests and run id; long prompts and a missing judge are refused here."""
    family = prepared.task.family_impl()
    elicitation = resolve_elicitation(opts.elicitation, adapter)
    fingerprint = adapter.fingerprint()
    method = get_method(opts.method, seed=opts.seed)
    method.supports(adapter)  # refused in one line before any model work
    dataset, asks, sizes, per_item, long_prompts = _fitting_requests(prepared, family, method, adapter, elicitation,
                                                                     opts.on_long_prompt)
    references = family.references(prepared.task, dataset.items)
    rid, task, judge_info = plan_id(prepared, fingerprint, elicitation, model_spec, opts, long_prompts, judge, method)
    return RunPlan(task, family, dataset, elicitation, fingerprint, method, opts.method, references, asks, sizes,
                   per_item, long_prompts, judge_info, rid)


def plan_id(prepared: PreparedTask, fingerprint: dict, elicitation: str, model_spec: str, opts: RunOptions,
            long_prompts: LongPromptReport | None, judge, method: Elicitation) -> tuple[str, Task, dict | None]:
    """-> (run id, the task with the judge's direction, the judge's info). One function for the id a run is
    written under and the id a finished run is found by (runner/finished.py, before any model loads)."""
    family = prepared.task.family_impl()
    identity = run_identity(fingerprint, prepared.task, prepared.dataset.sha256, opts.limit, elicitation, opts.seed,
                            opts.shard, method_identity(opts.method, method))
    if long_prompts is not None and long_prompts.acted:  # a different set of items (or prompts) is a different run
        identity["long_prompts"] = long_prompts.identity()
    task, judge_info = _judged_task(family, prepared.task, judge, opts.judge_direction)
    if judge_info is not None:
        # Scores from different judges or directions are different numbers: never one run directory.
        identity["judge"] = {"fingerprint": judge.fingerprint(), "direction": judge_info["direction"]}
    return run_id(task.name, model_spec, identity), task, judge_info


def _fitting_requests(prepared: PreparedTask, family, method: Elicitation, adapter: ModelAdapter, elicitation: str,
                      policy: str):
    """-> (dataset of the items kept, their asks, requests per ask, requests, long-prompt report)."""
    task, dataset = prepared.task, prepared.dataset
    asks = prepared.asks if prepared.asks is not None else family.requests(task, dataset.items)
    requests, sizes = expand(asks, method)
    shape_of = {id(item): (a, s) for item, a, s in zip(dataset.items, asks, sizes)}
    kept, per_item, report = apply_long_prompt_policy(adapter, elicitation, task.name, dataset.items, requests, policy)
    if report.acted:
        dataset = Dataset(kept, dataset.source, dataset.sha256, dataset.checks)
    shapes = [shape_of[id(item)] for item in dataset.items]
    return dataset, [a for a, _ in shapes], [s for _, s in shapes], per_item, report


def _judged_task(family, task: Task, judge, direction: str | None) -> tuple[Task, dict | None]:
    """-> (the task with the judge's direction, the judge's info); (task, None) if no judge scores it."""
    if not family.uses_judge:
        return task, None
    task = family.with_direction(task, direction)
    if judge is None:
        raise UserError(f"task {task.name} is scored by a judge: pass --judge SPEC")
    return task, judge.info() | {"direction": family.direction(task)}


def run_task(prepared: PreparedTask, adapter: ModelAdapter, model_spec: str, opts: RunOptions, *,
             model_load_seconds: float = 0.0, progress_stream=sys.stderr, judge=None) -> RunSummary:
    """`judge` is required by families that set `uses_judge` (e.g. Overton coverage) and ignored otherwise.

    The order is what lets a killed run resume: the manifest says "running" before any answer is
    computed, every answer is journalled as it arrives, and "complete" comes after the results. The cache
    and journal are opened first, so a re-run that cannot start leaves a finished run marked complete."""
    t_start = time.perf_counter()
    plan = plan_run(prepared, adapter, model_spec, opts, judge)
    run_dir = make_run_dir(opts.output, plan.rid)
    with RunLock(run_dir), _open_cache(opts.cache_dir) as cache:
        requests = unique_requests(adapter, plan.per_item, plan.elicitation, plan.fingerprint)
        journal = Journal(run_dir / "journal.jsonl")
        # Only now, with everything that can fail opened, may a finished run be marked running again.
        manifest = _running_manifest(plan, prepared, adapter, model_spec, opts, judge)
        write_json(run_dir / "manifest.json", manifest)
        counts = _first_counts(plan, requests, journal)
        outputs, judgements, seconds = _item_outputs(plan, requests, journal, cache, counts, adapter, opts, judge,
                                                     run_dir, progress_stream)
        t_score = time.perf_counter()
        outputs, fitted = finalize(plan.asks, outputs, plan.references, plan.method)  # calibration fits here
        manifest["elicitation_method"] = method_record(plan.method_spec, plan.method, fitted)
        scored = plan.family.score(plan.task, plan.dataset.items, outputs, seed=opts.seed, judgements=judgements,
                                   **scoring_options(plan.family, plan.method))
        seconds["scoring"] = time.perf_counter() - t_score
        metrics = _metrics(plan, model_spec, adapter, manifest, scored.metrics)
        write_requests(run_dir, plan.dataset.items, requests.keys)
        write_scored(run_dir, scored.samples, metrics)
        seconds["total"] = time.perf_counter() - t_start
        manifest.update(status="complete", finished_at=utc_now(), counts=counts,
                        timings=_timings(seconds, model_load_seconds, counts, len(plan.dataset.items))
                        | _weights_timing(adapter), content_sha256=result_file_hashes(run_dir))
        write_json(run_dir / "manifest.json", manifest)
    return RunSummary(run_dir, metrics, counts, str(opts.shard) if opts.shard else None)


def _running_manifest(plan: RunPlan, prepared: PreparedTask, adapter: ModelAdapter, model_spec: str,
                      opts: RunOptions, judge) -> dict:
    metric_params = plan.family.metric_parameters(plan.task)
    if plan.judge_info is not None:
        metric_params["judge"] = plan.judge_info
    manifest = manifest_head(plan.rid) | {
        "created_at": utc_now(),
        "command": opts.argv,
        "model": {"spec": model_spec, "kind": model_spec.split(":", 1)[0], "adapter": adapter.kind,
                  "fingerprint": plan.fingerprint, "fingerprint_id": adapter.fingerprint_id()},
        "task": task_record(plan.task),
        "data": data_record(plan.dataset, prepared.total_items, len(plan.dataset.items), opts.limit),
        "elicitation": {"requested": opts.elicitation, "resolved": plan.elicitation,
                        "answer_prefix": plan.task.prompt.get("answer_prefix")},
        "elicitation_method": method_record(plan.method_spec, plan.method, None),
        "seed": opts.seed,
        "batch_size": opts.batch_size or adapter.default_batch_size,
        "metric_parameters": metric_params,
        "environment": environment(),
    }
    if opts.shard is not None:
        manifest["shard"] = opts.shard.to_json() | {"items_before_sharding": prepared.limited_items}
    manifest["long_prompts"] = plan.long_prompts.to_json()
    if plan.judge_info is not None:
        manifest["judge"] = plan.judge_info | {"fingerprint": judge.fingerprint()}
    manifest["status"] = "running"
    return manifest


def _first_counts(plan: RunPlan, requests: UniqueRequests, journal: Journal) -> dict:
    return {"items": len(plan.dataset.items), "requests": sum(len(r) for r in plan.per_item),
            "unique_requests": len(requests.unique), "journal_hits": 0, "cache_hits": 0, "model_calls": 0,
            "model_batches": 0, "journal_torn_line_dropped": journal.dropped_torn_line}


@contextmanager
def _open_cache(cache_dir: Path | None):
    """The shared response cache (None with --no-cache), closed however the run ends."""
    cache = ResponseCache(cache_dir) if cache_dir is not None else None
    try:
        yield cache
    finally:
        if cache is not None:
            cache.close()


def _item_outputs(plan: RunPlan, requests: UniqueRequests, journal: Journal, cache: ResponseCache | None,
                  counts: dict, adapter: ModelAdapter, opts: RunOptions, judge, run_dir: Path, stream):
    """-> (each item's outputs, the judgements of a judged task or None, seconds spent on each)."""
    seconds, judgements = {}, None
    t_infer = time.perf_counter()
    reported = adapter.reported_generated_tokens
    computed = answer_requests(adapter, requests.unique, journal, cache, opts.batch_size or adapter.default_batch_size,
                               counts, plan.task.name, opts.progress, stream)
    seconds["inference"] = time.perf_counter() - t_infer
    after = adapter.reported_generated_tokens  # one adapter serves every task of a command: this run's share
    counts.update(generated_token_counts(adapter, requests.unique, journal.entries, computed,
                                         None if reported is None or after is None else after - reported))
    outputs = outputs_from_stored(plan.asks, plan.sizes, plan.per_item, requests.keys, journal.entries, plan.method)
    if plan.judge_info is not None:
        t_judge = time.perf_counter()
        judgements = _judge(plan, outputs, judge, run_dir, cache, counts, opts, stream)
        seconds["judge"] = time.perf_counter() - t_judge
    return outputs, judgements, seconds


def _judge(plan: RunPlan, outputs, judge, run_dir: Path, cache, counts: dict, opts: RunOptions, stream):
    """Score every pair the family asks about, resumable from the run's judgement journal."""
    from pluralbench.runner.judging import Judgements, run_judge

    per_item = plan.family.judge_pairs(plan.task, plan.dataset.items, outputs)
    counts["judge_pairs"] = sum(len(p) for p in per_item)
    scores, judge_counts = run_judge(judge, (pair for pairs in per_item for pair in pairs), cache=cache,
                                     journal=Journal(run_dir / "judgements.jsonl"), progress=opts.progress,
                                     stream=stream, label=f"{plan.task.name} judge")
    counts.update(judge_counts)
    return Judgements(scores, plan.judge_info, judge_counts)


def _metrics(plan: RunPlan, model_spec: str, adapter: ModelAdapter, manifest: dict, scored_metrics: dict) -> dict:
    metrics = metrics_document(plan.rid, plan.task, plan.dataset.sha256, model_spec, adapter.fingerprint_id(),
                               plan.elicitation, manifest["metric_parameters"], scored_metrics, judge=plan.judge_info,
                               method=manifest["elicitation_method"])
    if plan.long_prompts.acted:  # never silent: the numbers cover fewer (or shortened) items
        metrics["long_prompts"] = plan.long_prompts.to_json()
    return metrics


def _timings(seconds: dict, model_load_seconds: float, counts: dict, items: int) -> dict:
    """`seconds`: inference, scoring, total, and judge for a judged task."""
    infer_s, total_s, calls = seconds["inference"], seconds["total"], counts["model_calls"]
    return {"model_load_s": round(model_load_seconds, 3), "inference_s": round(infer_s, 3),
            "scoring_s": round(seconds["scoring"], 3), "total_s": round(total_s, 3),
            **({"judge_s": round(seconds["judge"], 3)} if "judge" in seconds else {}),
            "requests_per_s": round(calls / infer_s, 3) if calls and infer_s > 0 else None,
            "items_per_s": round(items / total_s, 3) if total_s > 0 else None}


def _weights_timing(adapter: ModelAdapter) -> dict:
    """An adapter that reads its weights only when a request needs the model (models/hf.py) says how long
    that took: None when they were not read, as when every answer came from the journal or the cache."""
    if not hasattr(adapter, "weights_load_seconds"):
        return {}
    seconds = adapter.weights_load_seconds
    return {"weights_load_s": None if seconds is None else round(seconds, 3)}
