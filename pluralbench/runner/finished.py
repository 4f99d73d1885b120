"""A run that has finished, answered from its run directory without loading the model.

The run id is computed as runner/execute.py computes it (plan_id), from the model's remembered fingerprint
(runner/fingerprint_cache.py). Its stored result is used only when re-scoring could not change it: the run
is complete, no prompt was skipped or truncated (the long-prompt check needs the tokenizer, so such runs
take the normal path), and the same pluralbench code (provenance.code_sha256), packages and metric
parameters produced it. Anything else returns None, and the run goes as before."""
from __future__ import annotations

import json
from functools import lru_cache
from pathlib import Path

from pluralbench.elicitation import get_method
from pluralbench.provenance import code_sha256, package_versions
from pluralbench.runner.execute import PreparedTask, RunOptions, RunSummary, plan_id, resolve_elicitation
from pluralbench.runner.fingerprint_cache import KnownModel
from pluralbench.runner.rundir import run_dir_for


def finished_summary(prepared: PreparedTask, known: KnownModel, model_spec: str, opts: RunOptions,
                     judge) -> RunSummary | None:
    """The summary a re-run would print (every answer resumed, no model call), or None to run it."""
    elicitation = resolve_elicitation(opts.elicitation, known)
    method = get_method(opts.method, seed=opts.seed)
    rid, task, judge_info = plan_id(prepared, known.fingerprint(), elicitation, model_spec, opts, None, judge, method)
    run_dir = run_dir_for(opts.output, rid)
    manifest, metrics = _read_json(run_dir / "manifest.json"), _read_json(run_dir / "metrics.json")
    if manifest is None or metrics is None or not (run_dir / "samples.jsonl").is_file():
        return None
    parameters = prepared.task.family_impl().metric_parameters(task)
    if judge_info is not None:
        parameters["judge"] = judge_info
    if not (_complete(manifest, metrics, rid) and _same_code(manifest)
            and manifest.get("metric_parameters") == json.loads(json.dumps(parameters))):
        return None
    stored = manifest.get("counts") or {}
    unique = stored.get("unique_requests", 0)
    counts = {"items": stored.get("items"), "unique_requests": unique, "model_calls": 0, "cache_hits": 0,
              "journal_hits": unique, "generated_tokens": 0,
              "generated_tokens_total": stored.get("generated_tokens_total")}
    return RunSummary(run_dir, metrics, counts, str(opts.shard) if opts.shard else None)


def _read_json(path: Path) -> dict | None:
    try:
        value = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return value if isinstance(value, dict) else None


def _complete(manifest: dict, metrics: dict, rid: str) -> bool:
    long_prompts = manifest.get("long_prompts") or {}
    return (manifest.get("status") == "complete" and manifest.get("run_id") == rid and metrics.get("run_id") == rid
            and not long_prompts.get("skipped_items") and not long_prompts.get("truncated_items"))


def _same_code(manifest: dict) -> bool:
    """Re-scoring with other code or packages could give other numbers: then the run is re-scored."""
    recorded = manifest.get("environment") or {}
    return recorded.get("code_sha256") == code_sha256() and recorded.get("packages") == _packages()


@lru_cache(maxsize=1)
def _packages() -> dict:
    return package_versions()
