"""The `reference_points` block of metrics.json, built the same way for every family that compares a model's
distributions with human ones (docs/reference-points.md).

For each metric it is given, the block scores stand-ins for the model with that metric, against the same
human distributions and with the same bootstrap as the model's number:

    {metric: {"uniform": {value, ci_low, ci_high, n, direction}, "modal": ..., "least_chosen": ...,
              "resolution_floor": ... (only when the read-out has a resolution),
              "sampling_floor": ... (only where rows carry respondent counts, or a count is assumed),
              "split_half": ... (only where rows carry per-rater answers)}}

A family passes its metrics as scorers, `(stand-ins, references) -> one value per row`, so a point is
always computed with exactly the function behind the number it stands beside.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

import numpy as np

from pluralbench.metrics.reference_points import least_chosen, modal, rounded_to_grid, uniform
from pluralbench.metrics.summary import means_with_ci

Scorer = Callable[[list, list], np.ndarray]  # (stand-in distributions, reference distributions) -> value per row

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
                        seed: int = 0) -> np.ndarray:
    """Per row, the mean over `draws` multinomial resamples of its respondents of scorer(observed, resample):
    what a model that knew the population exactly would still score. NaN where the count is unknown."""
    rng = np.random.default_rng(seed)
    rows = [i for i, n in enumerate(respondents) if n and n >= 1]
    out = np.full(len(distributions), np.nan)
    if not rows:
        return out
    resampled = {i: rng.multinomial(int(respondents[i]), _normalised(distributions[i]), size=draws)
                 / int(respondents[i]) for i in rows}
    observed = [_normalised(distributions[i]) for i in rows]
    totals = np.zeros(len(rows))
    for d in range(draws):
        totals += scorer(observed, [resampled[i][d] for i in rows])
    out[rows] = totals / draws
    return out


def split_half_rows(ratings: list, n_options: list, scorer: Scorer, *, draws: int = SPLIT_HALF_DRAWS,
                    seed: int = 0) -> np.ndarray:
    """Per row, the mean over random splits of its raters into two halves of scorer(half A's distribution,
    half B's): how far people are from people. NaN where a row has fewer than two raters."""
    rng = np.random.default_rng(seed)
    rows = [i for i, r in enumerate(ratings) if r is not None and len(r) >= 2]
    out = np.full(len(ratings), np.nan)
    if not rows:
        return out
    totals = np.zeros(len(rows))
    for _ in range(draws):
        halves = [_halves(np.asarray(ratings[i], dtype=np.int64), n_options[i], rng) for i in rows]
        totals += scorer([a for a, _ in halves], [b for _, b in halves])
    out[rows] = totals / draws
    return out


def _halves(ratings: np.ndarray, k: int, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    order = rng.permutation(ratings.size)
    half = ratings.size // 2  # an odd rater out is left out, so both halves weigh the same
    return (np.bincount(ratings[order[:half]], minlength=k) / half,
            np.bincount(ratings[order[half:2 * half]], minlength=k) / half)


def _normalised(p) -> np.ndarray:
    p = np.asarray(p, dtype=np.float64)
    return p / p.sum()


def point_values(humans: Humans, scorer: Scorer, *, resolution: int | None, seed: int) -> dict[str, np.ndarray]:
    """Each reference point's value per row under one metric (NaN where the point is undefined for a row)."""
    refs = [_normalised(h) for h in humans.distributions]
    values = {name: scorer([stand_in(h) for h in refs], refs) for name, stand_in in BOUNDS.items()}
    if resolution:
        values["resolution_floor"] = scorer([rounded_to_grid(h, resolution) for h in refs], refs)
    counts = humans.counts()
    if counts is not None:
        values["sampling_floor"] = sampling_floor_rows(refs, counts, scorer, seed=seed)
    if humans.ratings is not None and any(r is not None for r in humans.ratings):
        values["split_half"] = split_half_rows(humans.ratings, [len(h) for h in refs], scorer, seed=seed)
    return values


def _labels(humans: Humans, resolution: int | None) -> dict[str, dict]:
    """What each point rests on, recorded beside its number."""
    respondents = (f"assumed: {humans.assumed_respondents} per row (a task parameter; the data carry no counts)"
                   if humans.assumed_respondents is not None else "from the data")
    return {"resolution_floor": {"resolution": resolution},
            "sampling_floor": {"respondents": respondents, "draws": SAMPLING_DRAWS},
            "split_half": {"draws": SPLIT_HALF_DRAWS}}


def reference_points(humans: Humans, scorers: dict[str, Scorer], directions: dict[str, str | None], *,
                     resolution: int | None = None, clusters=None, bootstrap: dict, seed: int) -> dict:
    """The block: {metric: {point: mean with CI}}; points undefined on every row are left out."""
    if not humans.distributions:
        return {}
    columns = {(metric, point): col for metric, scorer in scorers.items()
               for point, col in point_values(humans, scorer, resolution=resolution, seed=seed).items()}
    blocks = _means_over_defined(columns, clusters, bootstrap, seed, directions)
    labels = _labels(humans, resolution)
    out: dict = {}
    for (metric, point), block in blocks.items():
        out.setdefault(metric, {})[point] = block | labels.get(point, {})
    return out


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
