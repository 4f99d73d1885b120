"""Cross-fitted temperature scaling of option log-probabilities (Meister et al. 2025's
temperature-scaled log-prob read-out, without scoring an item with a temperature fitted to it).

Distinct prompts are dealt into K folds; the items of fold k are scored with the one temperature that
minimises the mean total variation to the reference distributions of the items in the *other* folds.
Every item of a prompt (e.g. one question asked of many countries) sits in one fold, so no item is
scored with a temperature fitted to its own question. The fit is a search over a log-spaced grid of
temperatures refined by bounded Brent search next to the best grid point: deterministic, no start value.
"""
from __future__ import annotations

from typing import Sequence

import numpy as np
from scipy.optimize import minimize_scalar

from pluralbench.errors import UserError
from pluralbench.hashing import sha256_json
from pluralbench.metrics.variation import total_variation_rows

TEMPERATURE_RANGE = (0.05, 20.0)
_GRID = np.exp(np.linspace(np.log(TEMPERATURE_RANGE[0]), np.log(TEMPERATURE_RANGE[1]), 121))


def padded(label_logprobs: Sequence[Sequence[float | None]], references: Sequence[Sequence[float]]):
    """Rows padded to the widest: log-probs with -inf (None = unreported: no mass), references with 0."""
    width = max(len(r) for r in label_logprobs)
    logps = np.full((len(label_logprobs), width), -np.inf)
    refs = np.zeros((len(label_logprobs), width))
    for i, (lp, ref) in enumerate(zip(label_logprobs, references)):
        logps[i, :len(lp)] = [-np.inf if v is None else v for v in lp]
        refs[i, :len(ref)] = ref
    return logps, refs


def scaled(logps: np.ndarray, temperature: float) -> np.ndarray:
    """softmax(log-probs / T) per row; -inf entries get 0."""
    z = logps / temperature
    z = np.exp(z - z.max(axis=-1, keepdims=True))
    return z / z.sum(axis=-1, keepdims=True)


def mean_tv(logps: np.ndarray, refs: np.ndarray, temperature: float) -> float:
    return float(total_variation_rows(scaled(logps, temperature), refs).mean())


def fit_temperature(logps: np.ndarray, refs: np.ndarray) -> float:
    """The temperature in TEMPERATURE_RANGE minimising the mean total variation over these rows."""
    losses = [mean_tv(logps, refs, t) for t in _GRID]
    best = int(np.argmin(losses))
    lo, hi = np.log(_GRID[max(best - 1, 0)]), np.log(_GRID[min(best + 1, len(_GRID) - 1)])
    refined = minimize_scalar(lambda x: mean_tv(logps, refs, float(np.exp(x))), bounds=(lo, hi), method="bounded",
                              options={"xatol": 1e-6})
    candidate = float(np.exp(refined.x))
    return candidate if mean_tv(logps, refs, candidate) < losses[best] else float(_GRID[best])


def assign_folds(keys: Sequence[str], k: int, seed: int) -> dict[str, int]:
    """Distinct keys (prompts), ordered by a seeded hash and dealt round-robin into k folds: balanced,
    and independent of item order and of any reference distribution."""
    distinct = sorted(set(keys), key=lambda key: sha256_json({"seed": seed, "prompt": key}))
    return {key: i % k for i, key in enumerate(distinct)}


def cross_fitted_temperatures(keys: Sequence[str], logps: np.ndarray, refs: np.ndarray, usable: np.ndarray,
                              k: int, seed: int) -> tuple[list[int], list[float]]:
    """-> (each row's fold, each fold's temperature). Row i is fitted-on only where usable[i] (it has a
    reference and finite log-probs); fold f's temperature is fitted on the usable rows outside fold f."""
    fold_of = assign_folds(keys, k, seed)
    folds = np.asarray([fold_of[key] for key in keys])
    temperatures = []
    for f in range(k):
        train = usable & (folds != f)
        if not train.any():
            raise UserError(f"logprob_calibrated: fold {f} of {k} has no other question with a reference distribution "
                            "to fit its temperature on; it needs references for at least two questions")
        temperatures.append(fit_temperature(logps[train], refs[train]))
    return folds.tolist(), temperatures
