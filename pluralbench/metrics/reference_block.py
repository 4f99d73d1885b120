"""The `reference_points` block of metrics.json, built the same way for every family that compares a model's
distributions with human ones (docs/reference-points.md).

For each metric it is given, the block scores stand-ins for the model with that metric, against the same
human distributions and with the same bootstrap as the model's number:

    {metric: {"uniform": {value, ci_low, ci_high, n, direction}, "modal": ..., "least_chosen": ...,
              "resolution_floor": ... (only when the read-out has a resolution),
              "sampling_floor": ... (only where rows carry respondent counts, or a count is assumed),
              "split_half": ... (only where rows carry per-rater answers)}}

A family passes its metrics as one scorer, `(stand-ins, references, rows) -> {metric: one value per row}`
(`rows`: the positions of the rows scored, for metrics that need more of a row than its distribution), so a
point is always computed with exactly the functions behind the numbers it stands beside. `point_values`
gives the per-row values (a family with its own aggregate, e.g. steering's best style per group, aggregates
them itself); `reference_points` aggregates them as means with bootstrap CIs.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

import numpy as np

from pluralbench.metrics.reference_points import least_chosen, modal, rounded_to_grid, uniform
from pluralbench.metrics.summary import means_with_ci

# (stand-in distributions, reference distributions, row positions) -> {metric: value per row}
Scorer = Callable[[list, list, list], dict]

SAMPLING_DRAWS = 200  # multinomial resamples per row for the sampling floor
SPLIT_HALF_DRAWS = 100  # random rater splits per row for split-half agreement
BOUNDS = {"uniform": uniform, "modal": modal, "least_chosen": least_chosen}


@dataclass(frozen=True)
class Humans:
    """The human side of the rows a number is computed over."""
    distributions: list  # one distribution per row
    respondents: list | None = None  # per row: how many people the distribution comes from (None: unknown)
    assumed_respondents: int | None = None  # a count the user assumed for every row (the data has none)
    ratings: list | None = None  # per row: each rater's option index (None: no per-rater data)

    def counts(self) -> list | None:
        if self.assumed_respondents is not None:
            return [self.assumed_respondents] * len(self.distributions)
        return self.respondents if self.respondents and any(n for n in self.respondents) else None


def sampling_floor_rows(distributions: list, respondents: list, scorer: Scorer, *, draws: int = SAMPLING_DRAWS,
                        seed: int = 0) -> dict[str, np.ndarray]:
    """Per row, the mean over `draws` multinomial resamples of its respondents of scorer(observed, resample):
    what a model that knew the population exactly would still score. NaN where the count is unknown."""
    rng = np.random.default_rng(seed)
    rows = [i for i, n in enumerate(respondents) if n and n >= 1]
    if not rows:
        return {}
    resampled = {i: rng.multinomial(int(respondents[i]), _normalised(distributions[i]), size=draws)
                 / int(respondents[i]) for i in rows}
    observed = [_normalised(distributions[i]) for i in rows]
    return _mean_over_draws(len(distributions), rows, draws,
                            lambda d: scorer(observed, [resampled[i][d] for i in rows], rows))


def _mean_over_draws(n: int, rows: list, draws: int, score_draw) -> dict[str, np.ndarray]:
    """{metric: per-row mean of score_draw(d) over the draws}, NaN outside `rows`; a draw where a metric is
    undefined for a row (NaN) is left out of that row's mean."""
    sums: dict = {}
    counts: dict = {}
    for d in range(draws):
        for metric, values in score_draw(d).items():
            values = np.asarray(values, dtype=np.float64)
            ok = ~np.isnan(values)
            sums[metric] = sums.get(metric, 0.0) + np.where(ok, values, 0.0)
            counts[metric] = counts.get(metric, 0) + ok
    out = {}
    for metric in sums:
        out[metric] = np.full(n, np.nan)
        with np.errstate(invalid="ignore", divide="ignore"):
            out[metric][rows] = np.where(counts[metric] > 0, sums[metric] / np.maximum(counts[metric], 1), np.nan)
    return out


def split_half_rows(ratings: list, n_options: list, scorer: Scorer, *, draws: int = SPLIT_HALF_DRAWS,
                    seed: int = 0) -> dict[str, np.ndarray]:
    """Per row, the mean over random splits of its raters into two halves of scorer(half A's distribution,
    half B's): how far people are from people. NaN where a row has fewer than two raters."""
    rng = np.random.default_rng(seed)
    rows = [i for i, r in enumerate(ratings) if r is not None and len(r) >= 2]
    if not rows:
        return {}

    def score_draw(_):
        halves = [_halves(np.asarray(ratings[i], dtype=np.int64), n_options[i], rng) for i in rows]
        return scorer([a for a, _ in halves], [b for _, b in halves], rows)

    return _mean_over_draws(len(ratings), rows, draws, score_draw)


def _halves(ratings: np.ndarray, k: int, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    order = rng.permutation(ratings.size)
    half = ratings.size // 2  # an odd rater out is left out, so both halves weigh the same
    return (np.bincount(ratings[order[:half]], minlength=k) / half,
            np.bincount(ratings[order[half:2 * half]], minlength=k) / half)


def _normalised(p) -> np.ndarray:
    p = np.asarray(p, dtype=np.float64)
    return p / p.sum()


def point_values(humans: Humans, scorer: Scorer, *, resolution: int | None, seed: int) -> dict[str, dict]:
    """{point: {metric: value per row}} (NaN where a point is undefined for a row); points that need what
    the rows do not carry (a resolution, counts, per-rater answers) are left out."""
    refs = [_normalised(h) for h in humans.distributions]
    everyone = list(range(len(refs)))
    values = {name: scorer([stand_in(h) for h in refs], refs, everyone) for name, stand_in in BOUNDS.items()}
    if resolution:
        values["resolution_floor"] = scorer([rounded_to_grid(h, resolution) for h in refs], refs, everyone)
    counts = humans.counts()
    if counts is not None:
        values["sampling_floor"] = sampling_floor_rows(refs, counts, scorer, seed=seed)
    if humans.ratings is not None:
        values["split_half"] = split_half_rows(humans.ratings, [len(h) for h in refs], scorer, seed=seed)
    return {point: by_metric for point, by_metric in values.items() if by_metric}


def _labels(humans: Humans, resolution: int | None) -> dict[str, dict]:
    """What each point rests on, recorded beside its number."""
    respondents = (f"assumed: {humans.assumed_respondents} per row (a task parameter; the data carry no counts)"
                   if humans.assumed_respondents is not None else "from the data")
    return {"resolution_floor": {"resolution": resolution},
            "sampling_floor": {"respondents": respondents, "draws": SAMPLING_DRAWS},
            "split_half": {"draws": SPLIT_HALF_DRAWS}}


def reference_points(humans: Humans, scorer: Scorer, directions: dict[str, str | None], *,
                     resolution: int | None = None, clusters=None, bootstrap: dict, seed: int) -> dict:
    """The block: {metric: {point: mean with CI}}; points undefined on every row are left out."""
    if not humans.distributions:
        return {}
    columns = {(metric, point): col
               for point, by_metric in point_values(humans, scorer, resolution=resolution, seed=seed).items()
               for metric, col in by_metric.items()}
    return arrange(_means_over_defined(columns, clusters, bootstrap, seed, directions), humans, resolution)


def arrange(blocks: dict, humans: Humans, resolution: int | None) -> dict:
    """{(metric, point): aggregate} -> the block's {metric: {point: aggregate}} (with_labels)."""
    out: dict = {}
    for (metric, point), block in blocks.items():
        out.setdefault(metric, {})[point] = block
    return with_labels(out, humans, resolution)


def with_labels(block: dict, humans: Humans, resolution: int | None) -> dict:
    """{metric: {point: aggregate}} with each floor's basis beside it (resolution, respondents, draws),
    points in the order uniform, modal, least_chosen, then the floors."""
    labels = _labels(humans, resolution)
    order = [*BOUNDS, "resolution_floor", "sampling_floor", "split_half"]
    return {metric: {point: points[point] | labels.get(point, {}) for point in order if point in points}
            for metric, points in block.items()}


def _means_over_defined(columns: dict, clusters, bootstrap: dict, seed: int, directions: dict) -> dict:
    """means_with_ci of each column over its defined rows; columns defined on the same rows share draws."""
    by_rows: dict[tuple, list] = {}
    for key, col in columns.items():
        by_rows.setdefault(tuple(np.flatnonzero(~np.isnan(col))), []).append(key)
    out = {}
    for rows, keys in by_rows.items():
        if not rows:
            continue
        idx = list(rows)
        out |= means_with_ci({k: columns[k][idx] for k in keys},
                             clusters=None if clusters is None else [clusters[i] for i in idx],
                             bootstrap=bootstrap, seed=seed, directions={k: directions.get(k[0]) for k in keys})
    return {k: out[k] for k in columns if k in out}
