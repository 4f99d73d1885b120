"""Read-out methods side by side: for runs of one model on one task that differ in their elicitation
method, each method's TV, JSD and SimBench-style score with bootstrap CIs, the paired differences
between methods on the items both scored, parse rates and cost.

Values come from metrics.json where it reports them (the task's own headline computation), otherwise
from the per-item distributions in samples.jsonl (rows with `model_distribution` and
`human_distribution`). Every CI resamples prompts, not rows: GlobalOpinionQA rows of one question share
one model answer, so they are one unit of evidence.
"""
from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from itertools import combinations

import numpy as np

from pluralbench.elicitation import DEFAULT_METHOD
from pluralbench.errors import UserError
from pluralbench.metrics.bootstrap import bootstrap_mean_ci
from pluralbench.metrics.divergence import js_distance
from pluralbench.metrics.variation import simbench_scores, total_variation_rows, uniform_tv
from pluralbench.report.results import RunResult, read_samples

BOOTSTRAP = {"resamples": 1000, "level": 0.95, "unit": "prompt (rows sharing a prompt resample together)"}
# Where metrics.json may already hold each number (overall block keys, first found wins).
RECORDED = {"tv": ("tv", "total_variation"), "jsd": ("jsd_base2",), "simbench_score": ("simbench_score", "simbench")}


@dataclass
class ItemValues:
    """Per scored row: its prompt (the bootstrap cluster) and its distances to the human distribution."""
    keys: list[tuple[str, str]]  # (item id, group)
    prompts: list[str]
    tv: np.ndarray
    jsd: np.ndarray
    tv_uniform: np.ndarray


def item_values(samples: list[dict]) -> ItemValues:
    rows = [s for s in samples if s.get("model_distribution") is not None and s.get("human_distribution") is not None]
    model = [np.asarray(s["model_distribution"], dtype=np.float64) for s in rows]
    human = [np.asarray(s["human_distribution"], dtype=np.float64) for s in rows]
    tv = np.asarray([total_variation_rows(m, h)[0] for m, h in zip(model, human)])
    return ItemValues([(str(s["id"]), str(s.get("group"))) for s in rows],
                      [s.get("prompt_sha256") or str(s["id"]) for s in rows], tv,
                      np.asarray([js_distance(m, h, 2) for m, h in zip(model, human)]),
                      np.asarray([uniform_tv(h) for h in human]))


def mean_block(values, clusters, seed: int) -> dict | None:
    values = np.asarray(values, dtype=np.float64)
    if values.size == 0:
        return None
    low, high = bootstrap_mean_ci(values, clusters, resamples=BOOTSTRAP["resamples"], level=BOOTSTRAP["level"],
                                  seed=seed)
    return {"value": float(values.mean()), "ci_low": low, "ci_high": high, "n": int(values.size),
            "clusters": len(set(clusters))}


def _recorded_keys(run: RunResult, name: str) -> tuple[str, ...]:
    """RECORDED, plus a steering run's `js_distance` when its metric parameters say base 2 (its rows hold
    a distribution per style, so the report reads the best-style numbers the run recorded)."""
    js_base = str((run.manifest.get("metric_parameters") or {}).get("js_base"))
    return RECORDED[name] + (("js_distance",) if name == "jsd" and js_base == "2" else ())


def _recorded(overall: dict, keys: tuple[str, ...]) -> dict | None:
    for key in keys:
        block = overall.get(key)
        if isinstance(block, dict) and block.get("value") is not None:
            return {k: block.get(k) for k in ("value", "ci_low", "ci_high", "n")} | {"source": "metrics.json"}
    return None


def _reference_points(metrics: dict) -> dict:
    """The run's human reference points (metrics.json `reference_points`) for TV, JSD and the SimBench score:
    uniform, modal, least-chosen and the floors the run has, each computed with that metric on the run's rows."""
    points = metrics.get("reference_points") or {}
    found = {name: next((points[k] for k in keys if isinstance(points.get(k), dict)), None)
             for name, keys in RECORDED.items()}
    return {name: block for name, block in found.items() if block}


def _simbench(v: ItemValues) -> np.ndarray | None:
    if v.tv.size == 0 or float(np.mean(v.tv_uniform)) <= 0:
        return None
    return simbench_scores(v.tv, v.tv_uniform)


def _scored_rows(run: RunResult, values: ItemValues) -> int:
    """Rows with a model and a human distribution; a steering run's own count when its rows hold one per style."""
    scored = run.metrics.get("counts", {}).get("scored")
    return int(values.tv.size) if values.tv.size or not isinstance(scored, int) else scored


def method_block(run: RunResult, values: ItemValues, seed: int) -> dict:
    """One method's numbers on one task: distances, parse rate, exclusions, what it fitted, cost."""
    overall = run.metrics.get("overall", {})
    computed = {"tv": values.tv, "jsd": values.jsd, "simbench_score": _simbench(values)}
    block = {"run_id": run.run_id, "path": str(run.path)}
    for name, column in computed.items():
        found = _recorded(overall, _recorded_keys(run, name))
        if found is None and column is not None:
            found = mean_block(column, values.prompts, seed)
            if found is not None:
                found["source"] = "samples.jsonl"
        block[name] = found
    record = run.metrics.get("elicitation_method") or {}
    fitted = record.get("fitted") or {}
    counts, timings = run.manifest.get("counts", {}), run.manifest.get("timings", {})
    return block | {
        "reference_points": _reference_points(run.metrics),
        "settings": record.get("settings"), "fitted": fitted or None,
        "items": run.metrics.get("counts", {}).get("items"), "scored_rows": _scored_rows(run, values),
        "parse_rate": fitted.get("parse_rate"),
        "cost": {"model_calls": counts.get("model_calls"), "unique_requests": counts.get("unique_requests"),
                 "cache_hits": counts.get("cache_hits"), "generated_tokens": counts.get("generated_tokens"),
                 "generated_tokens_total": counts.get("generated_tokens_total"),
                 "inference_s": timings.get("inference_s"), "total_s": timings.get("total_s")},
    }


def paired_block(a: str, b: str, va: ItemValues, vb: ItemValues, seed: int) -> dict:
    """B - A on the rows both methods scored, CIs clustered by prompt. Negative TV/JSD: B is closer."""
    index_b = {k: i for i, k in enumerate(vb.keys)}
    common = [(i, index_b[k]) for i, k in enumerate(va.keys) if k in index_b]
    ia = np.asarray([i for i, _ in common], dtype=np.int64)
    ib = np.asarray([j for _, j in common], dtype=np.int64)
    prompts = [va.prompts[i] for i in ia]
    block = {"a": a, "b": b, "rows": len(common), "prompts": len(set(prompts))}
    block["tv_diff"] = mean_block(vb.tv[ib] - va.tv[ia], prompts, seed)
    block["jsd_diff"] = mean_block(vb.jsd[ib] - va.jsd[ia], prompts, seed)
    norm_rows = va.tv_uniform[ia]
    block["simbench_diff"] = (mean_block(simbench_scores(vb.tv[ib], norm_rows) - simbench_scores(va.tv[ia], norm_rows),
                                         prompts, seed) if common and norm_rows.mean() > 0 else None)
    return block


def _grouped(runs: list[RunResult]) -> dict[tuple[str, str], dict[str, RunResult]]:
    """(task, model) -> method -> run; two runs of one task, model and method are refused."""
    groups: dict[tuple[str, str], dict[str, RunResult]] = defaultdict(dict)
    for run in sorted(runs, key=lambda r: (r.task, r.model_spec)):
        by_method = groups[(run.task, run.model_spec)]
        method = run.method
        if method in by_method:
            raise UserError(f"two runs of task {run.task} with model {run.model_spec} and method {method}: "
                            f"{by_method[method].path} and {run.path}; pass only one of them")
        by_method[method] = run
    return groups


def elicitation_report(runs: list[RunResult], *, seed: int = 0) -> dict:
    """elicitation.json: per (task, model), each method's block and every pair's paired differences."""
    if not runs:
        raise UserError("no runs to report on")
    sections = []
    for (task, model), by_method in _grouped(runs).items():
        methods = sorted(by_method, key=lambda m: (m != DEFAULT_METHOD, m))  # the default first: pairs read B - logprob
        values = {m: item_values(read_samples(by_method[m].path)) for m in methods}
        sections.append({
            "task": task, "model": model, "methods": methods,
            "by_method": {m: method_block(by_method[m], values[m], seed) for m in methods},
            "paired": [paired_block(a, b, values[a], values[b], seed) for a, b in combinations(methods, 2)],
        })
    return {"bootstrap": BOOTSTRAP | {"seed": seed}, "sections": sections,
            "definitions": {"tv": "0.5 * sum |model - human|, mean over rows",
                            "jsd": "Jensen-Shannon distance, base 2, mean over rows",
                            "simbench_score": "100 * (1 - TV / mean TV(human, uniform)) per row, mean over rows",
                            "paired": "B - A on the rows both methods scored"}}
