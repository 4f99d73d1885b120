"""`logprob_calibrated`: the `logprob` read-out with one softmax temperature per (model, task), fitted
to the human distributions by K-fold cross-fitting (elicitation/temperature.py): every item is scored
with a temperature fitted on other questions only. The fit happens in `finalize`, the one step of the
seam that sees the references; each prediction records its fold and temperature, and the record
returned holds K and every fold's temperature.
"""
from __future__ import annotations

import numpy as np

from pluralbench.elicitation.logprob import LogProb
from pluralbench.elicitation.temperature import TEMPERATURE_RANGE, cross_fitted_temperatures, padded, scaled
from pluralbench.errors import UserError
from pluralbench.hashing import sha256_json
from pluralbench.registry import elicitation_methods

K_FOLDS = 5


def _has_mass(pred: dict) -> bool:
    logps = pred.get("label_logprobs")
    return bool(logps) and any(v is not None and np.isfinite(v) for v in logps)


@elicitation_methods.register("logprob_calibrated")
class LogProbCalibrated(LogProb):
    name = "logprob_calibrated"
    needs_references = True

    def __init__(self, k_folds: int = K_FOLDS, seed: int = 0):
        if k_folds < 2:
            raise UserError(f"logprob_calibrated needs at least 2 folds, got {k_folds}")
        self.k_folds, self.seed = k_folds, seed

    @classmethod
    def from_argument(cls, argument: str | None, *, seed: int = 0) -> "LogProbCalibrated":
        if argument is not None and not argument.strip().isdigit():
            raise UserError(f"logprob_calibrated:K takes the number of folds, as in logprob_calibrated:5 (got {argument})")
        return cls(int(argument) if argument is not None else K_FOLDS, seed=seed)

    def finalize(self, queries, predictions, references) -> tuple[list[dict], dict]:
        keys = [sha256_json({"prompt": q.prompt, "options": list(q.options)}) for q in queries]
        k = min(self.k_folds, len(set(keys)))
        usable = np.asarray([ref is not None and _has_mass(p) for p, ref in zip(predictions, references)])
        if usable.sum() == 0 or k < 2:
            raise UserError("logprob_calibrated needs reference distributions and option log-probabilities for at "
                            "least two questions to fit a temperature on other questions than the one it scores")
        rows = [p["label_logprobs"] if _has_mass(p) else [0.0] for p in predictions]
        logps, refs = padded(rows, [ref if ref is not None else [0.0] for ref in references])
        folds, temperatures = cross_fitted_temperatures(keys, logps, refs, usable, k, self.seed)
        made: dict[int, dict] = {}  # items sharing one prediction object share the calibrated one (same fold)
        out = []
        for i, pred in enumerate(predictions):
            if id(pred) not in made:
                made[id(pred)] = self._calibrated(pred, logps[i], folds[i], temperatures[folds[i]])
            out.append(made[id(pred)])
        record = {"method": self.name, "k_folds": k, "fold_temperatures": temperatures,
                  "fold_items": [folds.count(f) for f in range(k)],
                  "fold_fitted_on": [int((usable & (np.asarray(folds) != f)).sum()) for f in range(k)]}
        return out, record

    @staticmethod
    def _calibrated(pred: dict, logps: np.ndarray, fold: int, temperature: float) -> dict:
        dist = scaled(logps[None, :len(pred["label_logprobs"])], temperature)[0].tolist() if _has_mass(pred) else None
        return pred | {"distribution": dist, "calibration": {"fold": fold, "temperature": temperature}}

    def settings(self) -> dict:
        return {"method": self.name, "k_folds": self.k_folds, "seed": self.seed,
                "objective": "mean total variation to the reference distributions of the other folds",
                "temperature_range": list(TEMPERATURE_RANGE),
                "folds": "distinct prompts ordered by a hash of (seed, prompt) and dealt round-robin; all items "
                         "of a prompt share a fold; a fold's temperature is fitted on the other folds' items",
                "covered_mass": "the raw label mass, before scaling"}
