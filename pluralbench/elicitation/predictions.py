"""Predictions: what a family scores, whether a model produced it here or another tool did elsewhere.

A distribution prediction is {"distribution": [floats summing to 1] | None, "covered_mass": float |
None, "label_logprobs": [...] | None}. Predictions made elsewhere have no covered mass (None): only
an engine that saw the whole vocabulary can say how much mass the options got.
"""
from __future__ import annotations

import math

from pluralbench.core.records import OptionOutput
from pluralbench.data.distributions import check_distribution
from pluralbench.elicitation.readout import option_distribution
from pluralbench.errors import DataError


def from_option_output(out: OptionOutput | None) -> dict:
    if out is None:
        return {"distribution": None, "covered_mass": None, "label_logprobs": None}
    pred = option_distribution(out)
    found = {"distribution": None if pred is None else pred.tolist(), "covered_mass": out.covered_mass,
             "label_logprobs": list(out.label_logprobs)}
    if out.topk is not None:  # a top-K engine: what the top K covered and missed
        found["topk"] = out.topk
    return found


def external_distribution(values, n_options: int, *, path, row: int, item_id, field: str) -> dict:
    """A predicted distribution from a file: checked like gold data, then normalised (as scipy does)."""
    if values is None:
        raise DataError(path, "is null: this row has no prediction", row=row, item_id=item_id, field=field)
    dist, _ = check_distribution(values, n_options, path=path, row=row, item_id=item_id, field=field)
    return {"distribution": dist, "covered_mass": None, "label_logprobs": None}


# Rounding room for numbers a model produced: a probability mass may exceed 1, a log-probability 0, by this.
ROUNDING = 1e-6


def from_sample_fields(block: dict, n_options: int, *, path, row: int, item_id) -> dict:
    """The prediction stored in a samples.jsonl record (or one of its per-style blocks), every number
    range-checked against the task's item (n_options): what `pluralbench score` reads is what a run writes."""
    if not isinstance(block, dict):
        raise DataError(path, f"expected an object, got {type(block).__name__}", row=row, item_id=item_id)
    dist = block.get("model_distribution")
    if dist is not None:
        dist, _ = check_distribution(dist, n_options, path=path, row=row, item_id=item_id, field="model_distribution")
    return {"distribution": dist, "covered_mass": _covered_mass(block.get("covered_mass"), path, row, item_id),
            "label_logprobs": _label_logprobs(block.get("label_logprobs"), n_options, path, row, item_id)}


def _number(value) -> float | None:
    """A finite float from a JSON number, else None (strings, booleans, NaN, Infinity, 10**400)."""
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return None
    try:
        number = float(value)
    except OverflowError:
        return None
    return number if math.isfinite(number) else None


def _covered_mass(value, path, row, item_id) -> float | None:
    if value is None:
        return None
    number = _number(value)
    if number is None or not 0.0 <= number <= 1.0 + ROUNDING:
        raise DataError(path, f"is {value!r}: the options' probability mass is a number from 0 to 1", row=row,
                        item_id=item_id, field="covered_mass")
    return number


def _label_logprobs(values, n_options: int, path, row, item_id) -> list | None:
    if values is None:
        return None
    if not isinstance(values, list) or len(values) != n_options:
        got = f"{len(values)} values" if isinstance(values, list) else type(values).__name__
        raise DataError(path, f"expected a list of {n_options} log-probabilities (the item has {n_options} options), "
                              f"got {got}", row=row, item_id=item_id, field="label_logprobs")
    for i, v in enumerate(values):
        number = _number(v)
        if v is not None and (number is None or number > ROUNDING):
            raise DataError(path, f"value {i} is {v!r}: a log-probability is a number at most 0 (or null)", row=row,
                            item_id=item_id, field="label_logprobs")
    return values


def sample_output_fields(pred: dict) -> dict:
    """The per-item fields every sample carries for a distribution prediction."""
    out = {"covered_mass": pred["covered_mass"]}
    if pred.get("label_logprobs") is not None:
        out["label_logprobs"] = pred["label_logprobs"]
    if pred.get("topk") is not None:
        out["topk"] = pred["topk"]
    if pred.get("calibration") is not None:  # logprob_calibrated: the item's fold and that fold's temperature
        out["calibration"] = pred["calibration"]
    if pred.get("parse_failure"):  # verbalized, sampled: why the generated text named no distribution
        out["parse_failure"] = pred["parse_failure"]
    return out


NO_OPTION_MASS = "no probability mass on any option"
NO_READABLE_ANSWER = "no readable answer (parse_failure)"


def exclude_sample(sample: dict, reason: str = NO_OPTION_MASS) -> None:
    """Mark an item the model did not answer: counted, never given a uniform stand-in. A generated answer
    that could not be read is said to be that, not a lack of option mass."""
    if sample.get("parse_failure") and reason == NO_OPTION_MASS:
        reason = NO_READABLE_ANSWER
    sample.update(model_distribution=None, metrics=None, excluded=reason)
