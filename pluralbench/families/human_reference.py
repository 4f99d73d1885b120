"""What every family that compares a model's distributions with human ones adds beside its own metrics:
total variation and the SimBench-style score (per row, so they aggregate like the family's other
columns), and the scorers the shared reference-points block (metrics/reference_block.py) evaluates."""
from __future__ import annotations

import numpy as np

from pluralbench.metrics.rowwise import evaluate_pairs, simbench_of, tv_of
from pluralbench.metrics.variation import simbench_norm

VARIATION_DIRECTIONS = {"tv": "lower", "simbench_score": "higher"}
# A respondent count the user assumes for data that carry none (GlobalOpinionQA), as a task parameter.
ASSUMED_RESPONDENTS_SCHEMA = {"type": "integer", "minimum": 1}
REFERENCE_POINTS_RECORD = ("uniform, modal (all mass on the most-chosen option), least_chosen; resolution_floor "
                           "(the human distribution rounded to the read-out's grid) when the method has a resolution; "
                           "sampling_floor (multinomial resample of the respondents) where counts exist or are "
                           "assumed; split_half where per-rater answers exist: each scored with the metric it stands "
                           "beside (docs/reference-points.md)")
SIMBENCH_RECORD = ("100 * (1 - TV / mean TV(human, uniform)); the mean over all scored rows of the task is the norm, "
                   "for groups and reference points too (SimBench's calculate_simbench_score.py)")
VARIATION_RECORD = {"tv": "total variation 0.5 * sum |model - human|", "simbench_score": SIMBENCH_RECORD,
                    "reference_points": REFERENCE_POINTS_RECORD}


def variation_scorers(humans: list) -> dict:
    """{"tv": scorer, "simbench_score": scorer} with the SimBench norm of these human distributions."""
    norm = simbench_norm(humans)
    return {"tv": tv_of, "simbench_score": lambda models, refs: simbench_of(models, refs, norm)}


def variation_columns(models: list, humans: list) -> dict[str, np.ndarray]:
    """Per row: tv and simbench_score of the model's distributions against the humans'."""
    return {name: scorer(models, humans) for name, scorer in variation_scorers(humans).items()}


def pair_scorer(fn, name: str, params: dict):
    """A declared distribution_pair metric as a reference-point scorer (vectorised where it can be)."""
    return lambda models, refs: evaluate_pairs(fn, name, models, refs, params)


def joint_scorer(scorers: dict):
    """{metric: (models, refs) -> values} as the reference-points block's one scorer."""
    return lambda models, refs, rows: {name: scorer(models, refs) for name, scorer in scorers.items()}
