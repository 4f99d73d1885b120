"""Pre/post comparison of two runs of one task, paired item by item.

Rows that share one model answer (a GlobalOpinionQA question asked of many countries) are not
independent, so the overall paired difference is bootstrapped over prompt clusters and the overall
test runs on per-prompt mean differences; within one group each prompt occurs once, so rows are the
units there. The difference is always B - A.
"""
from __future__ import annotations

import math
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from scipy import stats

from pluralbench.errors import UserError
from pluralbench.metrics.bootstrap import bootstrap_mean_ci
from pluralbench.report.results import RunResult, load_run, read_samples

TESTS = ("wilcoxon", "permutation")
EXTRA_SAMPLE_METRICS = ("covered_mass",)  # recorded per item outside `metrics`, worth comparing


@dataclass
class Paired:
    a: RunResult
    b: RunResult
    rows: list[tuple[dict, dict]]  # (sample in A, sample in B), A's order
    unpaired_a: int
    unpaired_b: int
    excluded: int  # paired rows dropped because either run had no metrics for them


def _check_same(a: RunResult, b: RunResult) -> None:
    ta, tb = a.metrics["task"], b.metrics["task"]
    checks = (("task", ta["name"], tb["name"]), ("task version", ta["version"], tb["version"]),
              ("data sha256", ta["data_sha256"], tb["data_sha256"]))
    for what, x, y in checks:
        if x != y:
            raise UserError(f"cannot pair {a.path} with {b.path}: their {what} differs ({x} vs {y}); "
                            "compare runs of the same task on the same data")


def _index(samples: list[dict], path: Path) -> dict[str, dict]:
    out = {}
    for i, s in enumerate(samples, start=1):
        sid = s.get("id") if isinstance(s, dict) else None
        if sid is None:
            raise UserError(f"{path}/samples.jsonl line {i}: no id; items cannot be paired")
        if sid in out:
            raise UserError(f"{path}/samples.jsonl line {i}: duplicate id {sid!r}; items cannot be paired")
        out[sid] = s
    return out


def pair_runs(dir_a: Path, dir_b: Path) -> Paired:
    a, b = load_run(dir_a), load_run(dir_b)
    _check_same(a, b)
    sa, sb = _index(read_samples(a.path), a.path), _index(read_samples(b.path), b.path)
    common = [sid for sid in sa if sid in sb]
    if not common:
        raise UserError(f"cannot pair {a.path} with {b.path}: they share no item ids")
    rows, excluded = [], 0
    for sid in common:
        x, y = sa[sid], sb[sid]
        if x.get("prompt_sha256") != y.get("prompt_sha256"):
            raise UserError(f"cannot pair item {sid!r}: its prompt differs between {a.path} and {b.path}")
        if x.get("metrics") is None or y.get("metrics") is None:
            excluded += 1
            continue
        rows.append((x, y))
    if not rows:
        raise UserError(f"cannot compare {a.path} with {b.path}: no item has metrics in both runs")
    return Paired(a, b, rows, len(sa) - len(common), len(sb) - len(common), excluded)


def _finite(x) -> bool:
    return isinstance(x, (int, float)) and not isinstance(x, bool) and math.isfinite(x)


def metric_names(p: Paired) -> tuple[list[str], list[str]]:
    """(metrics to compare, headline first; metrics identical in both runs, e.g. properties of the data)."""
    headline = p.a.metrics.get("headline")
    names: list[str] = []
    for x, y in p.rows:
        for name in list(x["metrics"]) + [m for m in EXTRA_SAMPLE_METRICS if m in x]:
            if name not in names and _finite(_value(x, name)) and _finite(_value(y, name)):
                names.append(name)
    if headline in names:
        names.remove(headline)
        names.insert(0, headline)
    same = [n for n in names if all(_value(x, n) == _value(y, n) for x, y in p.rows)]
    return [n for n in names if n not in same], same


def _value(sample: dict, name: str):
    if name in EXTRA_SAMPLE_METRICS and name not in (sample.get("metrics") or {}):
        return sample.get(name)
    return (sample.get("metrics") or {}).get(name)


def _direction(p: Paired, name: str) -> str | None:
    node = p.a.metrics.get("overall", {}).get(name) or {}
    return node.get("direction")


def paired_test(diffs: np.ndarray, test: str, seed: int, resamples: int = 9999) -> float | None:
    """Two-sided p-value for 'the paired differences centre on zero'."""
    diffs = np.asarray(diffs, dtype=np.float64)
    if diffs.size < 2:
        return None
    if np.all(diffs == 0):
        return 1.0
    if test == "wilcoxon":
        return float(stats.wilcoxon(diffs, zero_method="wilcox", alternative="two-sided").pvalue)
    if test == "permutation":
        res = stats.permutation_test((diffs,), np.mean, permutation_type="samples", n_resamples=resamples,
                                     alternative="two-sided", rng=np.random.default_rng(seed))
        return float(res.pvalue)
    raise UserError(f"unknown paired test {test!r}; known: {', '.join(TESTS)}")


def compare_block(rows: list[tuple[dict, dict]], name: str, *, test: str, seed: int, resamples: int,
                  level: float) -> dict:
    # A metric can be undefined on some items (e.g. coverage of rights in a situation with none): pair
    # only the items that have it on both sides, and say how many.
    rows = [(x, y) for x, y in rows if _finite(_value(x, name)) and _finite(_value(y, name))]
    if not rows:
        return {"a": None, "b": None, "diff": None, "diff_ci_low": None, "diff_ci_high": None, "p_value": None,
                "n_rows": 0, "n_units": 0}
    a = np.array([_value(x, name) for x, _ in rows], dtype=np.float64)
    b = np.array([_value(y, name) for _, y in rows], dtype=np.float64)
    clusters = [x.get("prompt_sha256") or x["id"] for x, _ in rows]
    diffs = b - a
    low, high = bootstrap_mean_ci(diffs, clusters, resamples=resamples, level=level, seed=seed)
    by_cluster: dict[str, list[float]] = defaultdict(list)
    for c, d in zip(clusters, diffs):
        by_cluster[c].append(d)
    units = np.array([np.mean(v) for v in by_cluster.values()])
    if units.size < 2:
        low = high = None  # one unit: no interval to speak of
    return {"a": float(a.mean()), "b": float(b.mean()), "diff": float(diffs.mean()),
            "diff_ci_low": _clean(low), "diff_ci_high": _clean(high), "p_value": paired_test(units, test, seed),
            "n_rows": int(a.size), "n_units": int(units.size)}


def _clean(x):
    return None if x is None or (isinstance(x, float) and math.isnan(x)) else float(x)


def argmax_moved(rows: list[tuple[dict, dict]], *, seed: int, resamples: int, level: float) -> dict | None:
    """Share of prompts whose most likely option differs between A and B (one answer per prompt)."""
    per_prompt: dict[str, float] = {}
    for x, y in rows:
        pa, pb = x.get("model_distribution"), y.get("model_distribution")
        if not pa or not pb or len(pa) != len(pb):
            return None
        per_prompt[x.get("prompt_sha256") or x["id"]] = float(int(np.argmax(pa)) != int(np.argmax(pb)))
    values = np.array(list(per_prompt.values()))
    low, high = bootstrap_mean_ci(values, resamples=resamples, level=level, seed=seed)
    return {"share": float(values.mean()), "ci_low": _clean(low), "ci_high": _clean(high), "n_prompts": int(values.size)}


def compare_runs(dir_a: Path, dir_b: Path, *, test: str = "wilcoxon", seed: int = 0, resamples: int = 1000,
                 level: float = 0.95) -> dict:
    if test not in TESTS:
        raise UserError(f"unknown paired test {test!r}; known: {', '.join(TESTS)}")
    p = pair_runs(dir_a, dir_b)
    names, unchanged = metric_names(p)
    if not names:
        raise UserError(f"{p.a.path} and {p.b.path}: no per-item metric differs between the runs")
    kw = {"test": test, "seed": seed, "resamples": resamples, "level": level}
    overall = {n: compare_block(p.rows, n, **kw) | {"direction": _direction(p, n)} for n in names}

    group_by = next(iter(p.a.metrics.get("groups") or {}), None) or "group"
    members: dict[str, list[tuple[dict, dict]]] = defaultdict(list)
    for x, y in p.rows:
        if x.get("group") is not None:
            members[x["group"]].append((x, y))
    groups = {g: {n: compare_block(rows, n, **kw) for n in names} for g, rows in sorted(members.items())}
    for n in names:  # Benjamini-Hochberg across groups: many countries, many chances of a small p
        keyed = [(g, groups[g][n]["p_value"]) for g in groups if groups[g][n]["p_value"] is not None]
        if keyed:
            q = stats.false_discovery_control([pv for _, pv in keyed], method="bh")
            for (g, _), qv in zip(keyed, q):
                groups[g][n]["q_value_bh"] = float(qv)

    distributional = all(x.get("model_distribution") and y.get("model_distribution") for x, y in p.rows)
    moved = argmax_moved(p.rows, seed=seed, resamples=resamples, level=level) if distributional else None
    moved_by_group = ({g: argmax_moved(rows, seed=seed, resamples=resamples, level=level)
                       for g, rows in sorted(members.items())} if distributional else {})

    def side(run: RunResult) -> dict:
        return {"run_dir": str(run.path), "run_id": run.run_id, "model": run.model_spec,
                "fingerprint_id": run.metrics["model"]["fingerprint_id"], "elicitation": run.metrics["elicitation"],
                "elicitation_method": run.method, "items": run.metrics["counts"]["items"]}

    return {
        "task": p.a.metrics["task"],
        "a": side(p.a), "b": side(p.b),
        "difference": "B - A",
        "headline": p.a.metrics.get("headline"),
        "parameters": {"test": test, "test_unit": "prompt (mean of its rows' differences) overall; row within a group",
                       "bootstrap": {"resamples": resamples, "level": level,
                                     "unit": "prompt cluster (rows sharing one model answer resample together)"},
                       "seed": seed, "group_q_values": "Benjamini-Hochberg across groups, per metric"},
        "pairing": {"paired_rows": len(p.rows), "unpaired_in_a": p.unpaired_a, "unpaired_in_b": p.unpaired_b,
                    "excluded_without_metrics": p.excluded},
        "metrics": names,
        "unchanged_metrics": unchanged,
        "overall": overall,
        "group_by": group_by,
        "groups": groups,
        "argmax_moved": moved,
        "argmax_moved_by_group": moved_by_group,
        "items": [{"id": x["id"], "group": x.get("group"), "a": _value(x, names[0]), "b": _value(y, names[0])}
                  for x, y in p.rows],
        "warnings": _warnings(p),
        "reference_points": reference_sides(p, names),
    }


def reference_sides(p: Paired, names: list[str]) -> dict:
    """Each run's human reference points for the compared metrics (docs/reference-points.md): the data are
    the same, so they differ only where they depend on the run (the read-out's resolution floor)."""
    return {side: {m: points for m, points in (run.metrics.get("reference_points") or {}).items() if m in names}
            for side, run in (("a", p.a), ("b", p.b))}


def _warnings(p: Paired) -> list[str]:
    out = []
    ea, eb = p.a.metrics["elicitation"], p.b.metrics["elicitation"]
    ma, mb = p.a.method, p.b.method
    if ea != eb:
        out.append(f"A was elicited with {ea} and B with {eb}: differences mix the models with the elicitation")
    if ma != mb and p.a.model_key != p.b.model_key:
        out.append(f"A was read out with {ma} and B with {mb}: differences mix the models with the read-out method")
    if p.unpaired_a or p.unpaired_b:
        out.append(f"{p.unpaired_a} items only in A and {p.unpaired_b} only in B were left out (different --limit?)")
    if p.excluded:
        out.append(f"{p.excluded} paired items had no metrics in one run (no option mass) and were left out")
    if p.a.model_key == p.b.model_key and ea == eb and ma == mb:
        out.append("A and B are the same model with the same elicitation and read-out method")
    return out
