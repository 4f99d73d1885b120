"""Predictions: what a family scores, whether a model produced it here or another tool did elsewhere.

A distribution prediction is {"distribution": [floats summing to 1] | None, "covered_mass": float |
None, "label_logprobs": [...] | None}. Predictions made elsewhere have no covered mass (None): only
an engine that saw the whole vocabulary can say how much mass the options got.
"""
from __future__ import annotations

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


def from_sample_fields(block: dict, n_options: int | None, *, path, row: int, item_id) -> dict:
    """The prediction stored in a samples.jsonl record (or one of its per-style blocks)."""
    dist = block.get("model_distribution")
    if dist is not None:
        dist, _ = check_distribution(dist, n_options if n_options is not None else len(dist), path=path, row=row,
                                     item_id=item_id, field="model_distribution")
    return {"distribution": dist, "covered_mass": block.get("covered_mass"),
            "label_logprobs": block.get("label_logprobs")}


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
