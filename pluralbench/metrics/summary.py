"""The one shape every aggregated number takes in metrics.json: value, CI, n, direction."""
from __future__ import annotations

import math

import numpy as np

from pluralbench.metrics.bootstrap import bootstrap_mean_ci


def _clean(x: float) -> float | None:
    return None if x is None or (isinstance(x, float) and math.isnan(x)) else float(x)


def mean_with_ci(values, *, clusters=None, bootstrap: dict, seed: int, direction: str | None = None,
                 description: str | None = None) -> dict:
    values = np.asarray(values, dtype=np.float64)
    low, high = bootstrap_mean_ci(values, clusters, resamples=bootstrap["resamples"],
                                  level=bootstrap["level"], seed=seed)
    out = {
        "value": _clean(float(values.mean())) if values.size else None,
        "ci_low": _clean(low),
        "ci_high": _clean(high),
        "n": int(values.size),
    }
    if direction:
        out["direction"] = direction
    if description:
        out["description"] = description
    return out


def means_with_ci(columns: dict, *, clusters=None, bootstrap: dict, seed: int, directions: dict | None = None) -> dict:
    """mean_with_ci for several equally long value lists at once (identical numbers, one set of draws)."""
    from pluralbench.metrics.bootstrap import bootstrap_mean_ci_columns

    names = list(columns)
    directions = directions or {}
    if not names:
        return {}
    matrix = np.column_stack([np.asarray(columns[k], dtype=np.float64) for k in names])
    lows, highs = bootstrap_mean_ci_columns(matrix, clusters, resamples=bootstrap["resamples"],
                                            level=bootstrap["level"], seed=seed)
    out = {}
    for j, name in enumerate(names):
        col = matrix[:, j]
        block = {"value": _clean(float(col.mean())) if col.size else None, "ci_low": _clean(float(lows[j])),
                 "ci_high": _clean(float(highs[j])), "n": int(col.size)}
        if directions.get(name):
            block["direction"] = directions[name]
        out[name] = block
    return out


def statistic_with_ci(statistic, n: int, *, clusters=None, bootstrap: dict, seed: int, direction: str | None = None,
                      description: str | None = None) -> dict:
    """The metrics.json shape for a statistic that is not a mean of per-row values (F1, AUROC, ...):
    `statistic(indices)` is evaluated on all rows for the value and on bootstrap resamples for the CI."""
    return statistics_with_ci(lambda idx: [statistic(idx)], ["x"], n, clusters=clusters, bootstrap=bootstrap,
                              seed=seed, directions={"x": direction}, descriptions={"x": description})["x"]


def statistics_with_ci(statistic, names: list[str], n: int, *, clusters=None, bootstrap: dict, seed: int,
                       directions: dict | None = None, descriptions: dict | None = None) -> dict:
    """Several statistics computed together per resample (one pass): {name: {value, ci_low, ci_high, n}}."""
    from pluralbench.metrics.bootstrap import bootstrap_statistic_ci

    values = np.asarray(statistic(np.arange(n)), dtype=np.float64) if n else np.full(len(names), np.nan)
    lows, highs = (np.full(len(names), np.nan),) * 2
    if n:
        lows, highs = bootstrap_statistic_ci(lambda idx: np.asarray(statistic(idx), dtype=np.float64), n, clusters,
                                             resamples=bootstrap["resamples"], level=bootstrap["level"], seed=seed)
        lows, highs = np.atleast_1d(lows), np.atleast_1d(highs)
    out = {}
    for k, name in enumerate(names):
        entry = {"value": _clean(float(values[k])), "ci_low": _clean(float(lows[k])), "ci_high": _clean(float(highs[k])),
                 "n": int(n)}
        if directions and directions.get(name):
            entry["direction"] = directions[name]
        if descriptions and descriptions.get(name):
            entry["description"] = descriptions[name]
        out[name] = entry
    return out


SERVED_GROUPS_MIN_N = 10  # a group seen on fewer items is too noisy to call best or worst served


def served_groups(values: dict[str, tuple[float | None, int]], higher_is_better: bool, min_n: int = SERVED_GROUPS_MIN_N,
                  k: int = 5) -> tuple[list[str], list[str]]:
    """-> (best, worst): up to k group names each, from {group: (value, items)}, ties broken by name;
    groups with fewer than min_n items or no value are left out of both lists."""
    eligible = [(g, v) for g, (v, n) in values.items() if v is not None and n >= min_n]
    ranked = sorted(eligible, key=lambda x: (-x[1] if higher_is_better else x[1], x[0]))
    worst = sorted(eligible, key=lambda x: (x[1] if higher_is_better else -x[1], x[0]))
    return [g for g, _ in ranked[:k]], [g for g, _ in worst[:k]]


def index_by(labels) -> dict:
    """label -> the positions holding it, labels sorted; None labels (no group) left out."""
    out: dict = {}
    for i, label in enumerate(labels):
        if label is not None:
            out.setdefault(label, []).append(i)
    return {k: out[k] for k in sorted(out)}


def served_block(values: dict[str, tuple[float | None, int]], direction: str | None, min_n: int) -> dict:
    """The best/worst served groups of metrics.json from {group: (headline value, items)}."""
    best, worst = served_groups(values, direction == "higher", min_n)
    return {"best_served_groups": best, "worst_served_groups": worst, "served_groups_min_n": min_n}


def known_mean_with_ci(values, *, clusters=None, bootstrap: dict, seed: int,
                       direction: str | None = None) -> dict | None:
    """mean_with_ci over the values that are not None (with their clusters); None when no value is known
    (e.g. covered mass, which predictions made elsewhere do not carry)."""
    known = [k for k, v in enumerate(values) if v is not None]
    if not known:
        return None
    return mean_with_ci([values[k] for k in known], clusters=None if clusters is None else [clusters[k] for k in known],
                        bootstrap=bootstrap, seed=seed, direction=direction)


def group_blocks(index: dict, **blocks) -> dict:
    """The per-group part of metrics.json from index_by's {group: positions}: {group: {"n": items,
    name: make(positions) for each name=make}}, groups and names in the order given."""
    return {g: {"n": len(ix)} | {name: make(ix) for name, make in blocks.items()} for g, ix in index.items()}


def defined_mean_with_ci(values, *, bootstrap: dict, seed: int, direction: str | None = None) -> dict:
    """mean_with_ci over the values that are not NaN: an item whose metric is undefined (or unanswered) is
    left out, and `n` counts only the defined ones."""
    values = np.asarray(values, dtype=np.float64)
    return mean_with_ci(values[~np.isnan(values)], bootstrap=bootstrap, seed=seed, direction=direction)


def group_values(groups: dict, metric: str) -> dict[str, tuple[float | None, int]]:
    """{group: (value of `metric`, items)} from per-group blocks: what served_groups / served_block rank."""
    return {g: (block["metrics"][metric]["value"], block["n"]) for g, block in groups.items()}


def excluded_count(samples: list[dict]) -> int:
    """How many samples were excluded from scoring (they carry an `excluded` reason)."""
    return sum(1 for s in samples if s.get("excluded"))
