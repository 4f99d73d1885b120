"""Personality (MPI, Jiang et al. 2023): the model's answer distribution over five accuracy options
for each IPIP-NEO item, its Big Five trait scores, their spread, and entropy; compared with a human
answer distribution per item when a file provides one.

Scoring an item: option i (0 = Very Accurate ... 4 = Very Inaccurate) means agreement 5 - i. The
item's expected agreement is sum_i p_i (5 - i); a reverse-keyed item (key -1) scores 6 - agreement.
Keying is applied here and only here, once: distributions (model's and human's) always describe the
answers to the item as worded.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import NamedTuple

import numpy as np

from pluralbench.core.items import ScaleItem
from pluralbench.data.mpi import TRAITS
from pluralbench.elicitation.diagnostics import mass_summary
from pluralbench.elicitation.predictions import (
    exclude_sample,
    external_distribution,
    from_sample_fields,
    sample_output_fields,
)
from pluralbench.families.base import Scored
from pluralbench.families.common import BOOTSTRAP_SCHEMA, LOG_BASE_SCHEMA, NOTES_SCHEMA, bootstrap_settings
from pluralbench.families.human_reference import (
    VARIATION_DIRECTIONS,
    VARIATION_RECORD,
    joint_scorer,
    pair_scorer,
    variation_scorers,
)
from pluralbench.families.option_items import OneQueryPerItem
from pluralbench.hashing import sha256_text
from pluralbench.metrics.divergence import js_distance
from pluralbench.metrics.information import entropy, normalised_entropy
from pluralbench.metrics.reference_block import Humans, reference_points
from pluralbench.metrics.summary import (
    group_blocks,
    index_by,
    known_mean_with_ci,
    mean_with_ci,
    statistic_with_ci,
)
from pluralbench.registry import task_families

N_OPTIONS = 5
AGREEMENT = np.arange(N_OPTIONS, 0, -1, dtype=np.float64)  # Very Accurate = 5 ... Very Inaccurate = 1


def keyed_score(distribution, key: int) -> float:
    """Expected trait-direction score in [1, 5] of one item's answer distribution."""
    agreement = float(np.dot(np.asarray(distribution, dtype=np.float64), AGREEMENT))
    return agreement if key == 1 else 6.0 - agreement


@task_families.register("distributional_mpi")
class DistributionalMPI(OneQueryPerItem):
    reference_field = "human"  # present only when a human distribution file is given
    name = "distributional_mpi"
    item_type = ScaleItem

    def headline_metric(self, task) -> tuple[str | None, str | None]:
        # JS distance to the human answers when a human-distribution file is named (and matches items),
        # else the entropy of the model's answers
        if task.data_options.get("human_distributions"):
            return "jsd_base2", "lower"
        return "normalised_entropy", None
    params_schema = {
        "type": "object",
        "additionalProperties": False,
        "properties": {
            "entropy_base": LOG_BASE_SCHEMA,
            "bootstrap": BOOTSTRAP_SCHEMA,
            "notes": NOTES_SCHEMA,
        },
    }

    def metric_parameters(self, task) -> dict:
        return {
            "entropy_base": str(task.params.get("entropy_base", 2)),
            "js_log_bases": ["2", "e"],
            "scoring": "agreement 5 (Very Accurate) .. 1 (Very Inaccurate); expected over the model's distribution; "
                       "reverse-keyed items score 6 - agreement (applied once, at scoring)",
            "spread": "population standard deviation (ddof=0) of item scores within a trait",
            "human_distributions": task.data_options.get("human_distributions"),
            "bootstrap": bootstrap_settings(task.params) | {"unit": "item"},
            "with_human_distributions": VARIATION_RECORD,
            "prompt_style": "the MPI paper's template (task file prompt.template), options (A)-(E), primed with "
                            + repr(task.prompt.get("answer_prefix")),
            "refusals": "none: the five options have no refusal; mass outside them is reported as covered_mass",
        }

    def prediction_from_row(self, task, row, *, path, index):
        return external_distribution(row.get("pred_distribution"), N_OPTIONS, path=path, row=index,
                                     item_id=row.get("id"), field="pred_distribution")

    def prediction_from_sample(self, task, sample, *, path, index, item):
        return from_sample_fields(sample, N_OPTIONS, path=path, row=index, item_id=sample.get("id"))

    def score(self, task, items, outputs, *, seed, judgements=None, resolution: int | None = None):
        return self.score_predictions(task, items, [pred for (pred,) in outputs], seed=seed, resolution=resolution)

    def score_predictions(self, task, items: list[ScaleItem], predictions, *, seed, resolution: int | None = None):
        samples, rows = _samples_and_rows(items, predictions, task.params.get("entropy_base", 2))
        compared = [r for r in rows if r.human is not None]
        human_rows = len(compared)
        scorers = _add_variation(compared)
        summary = _Summary(rows, ITEM_METRICS + (HUMAN_METRICS if human_rows else ()),
                           bootstrap_settings(task.params), seed)
        by_trait = index_by([r.trait for r in rows])
        traits = group_blocks({t: by_trait[t] for t in TRAITS if t in by_trait},
                              metrics=lambda ix: summary.block(ix, True))
        facets = group_blocks(index_by([f"{r.trait}:{r.facet}" for r in rows]),
                              metrics=lambda ix: summary.block(ix, True))
        metrics = {
            "headline": "jsd_base2" if human_rows else "normalised_entropy",
            "overall": summary.block(list(range(len(rows))), False) if rows else {},
            "groups": {"trait": traits, "facet": facets},
            "trait_profile": _trait_profile(traits),
            "human_comparison": _human_comparison(human_rows, len(rows)),
            "coverage": mass_summary([s["covered_mass"] for s in samples]),
            "counts": _counts(items, len(rows), human_rows),
            "notes": ([] if human_rows else ["Human comparison skipped: no human distribution file given."])
                     + list(task.params.get("notes", [])),
        }
        if compared:
            metrics["reference_points"] = reference_points(
                Humans([r.human for r in compared]), joint_scorer(scorers), DIRECTIONS, resolution=resolution,
                bootstrap=bootstrap_settings(task.params), seed=seed)
        return Scored(samples, metrics)


ITEM_METRICS = ("entropy_model", "normalised_entropy")
# only when a human distribution file is given
HUMAN_METRICS = ("jsd_base2", "jsd_natural", "entropy_human", "tv", "simbench_score")
DIRECTIONS = {"jsd_base2": "lower", "jsd_natural": "lower"} | VARIATION_DIRECTIONS


class _Row(NamedTuple):
    """One item the model answered."""
    trait: str
    facet: str
    values: dict[str, float]  # its per-item metrics (the sample's "metrics")
    covered_mass: float | None
    model: np.ndarray
    human: np.ndarray | None  # the human answer distribution, when a file gives one


def _samples_and_rows(items: list[ScaleItem], predictions, base) -> tuple[list[dict], list[_Row]]:
    """A sample per item, and a row per item with option mass (the others are excluded)."""
    samples, rows = [], []
    for item, pred in zip(items, predictions):
        sample = {"id": item.id, "group": item.trait, "prompt_sha256": sha256_text(item.prompt),
                  "text": item.text, "trait": item.trait, "facet": item.facet, "key": item.key,
                  "options": item.options} | sample_output_fields(pred)
        samples.append(sample)
        if pred["distribution"] is None:
            exclude_sample(sample)
            continue
        dist = np.asarray(pred["distribution"], dtype=np.float64)
        human = _human(item)
        values = _item_values(item, dist, human, base)
        if human is not None:
            sample["human_distribution"] = item.human
        sample.update(model_distribution=dist.tolist(), metrics=values)
        rows.append(_Row(item.trait, item.facet, values, pred.get("covered_mass"), dist, human))
    return samples, rows


def _human(item: ScaleItem) -> np.ndarray | None:
    """The humans' answer distribution, when a file gives one for the item."""
    return np.asarray(item.human, dtype=np.float64) if item.has("human") and item.human is not None else None


def _add_variation(compared: list[_Row]) -> dict:
    """tv and simbench_score into each compared row's values (the task's norm needs every row first);
    -> the scorers of the reference points, the two JS distances included."""
    scorers = variation_scorers([r.human for r in compared])
    humans, models = [r.human for r in compared], [r.model for r in compared]
    for name, scorer in scorers.items():
        for row, value in zip(compared, scorer(models, humans)):
            row.values[name] = float(value)
    return {"jsd_base2": pair_scorer(js_distance, "js_distance", {"base": 2}),
            "jsd_natural": pair_scorer(js_distance, "js_distance", {"base": "e"})} | scorers


def _item_values(item: ScaleItem, dist: np.ndarray, human: np.ndarray | None, base) -> dict[str, float]:
    """Entropy; distances to and entropy of the human distribution if any; keyed scores if keyed."""
    values = {"entropy_model": entropy(dist, base), "normalised_entropy": normalised_entropy(dist, base)}
    if human is not None:
        values |= {"jsd_base2": js_distance(dist, human, 2), "jsd_natural": js_distance(dist, human, "e"),
                   "entropy_human": entropy(human, base)}
        if item.key:
            values["score_human"] = keyed_score(human, item.key)
    if item.key:  # unkeyed items (key 0) have no trait direction
        values["score"] = keyed_score(dist, item.key)
        values["score_argmax"] = keyed_score(np.eye(N_OPTIONS)[int(np.argmax(dist))], item.key)
    return values


@dataclass(frozen=True)
class _Summary:
    """metrics.json blocks over any subset of the rows (positions into `rows`), one item per unit."""
    rows: list[_Row]
    item_metrics: tuple[str, ...]
    boot: dict
    seed: int

    def mean(self, values, **labels) -> dict:
        return mean_with_ci(values, bootstrap=self.boot, seed=self.seed, **labels)

    def block(self, idx, with_traits: bool) -> dict:
        block = {}
        for name in self.item_metrics:
            vals = [self.rows[i].values[name] for i in idx if name in self.rows[i].values]
            if vals:
                block[name] = self.mean(vals, direction=DIRECTIONS.get(name))
        mass = known_mean_with_ci([self.rows[i].covered_mass for i in idx], bootstrap=self.boot, seed=self.seed,
                                  direction="higher")
        if mass is not None:
            block["covered_mass"] = mass
        return block | (self.trait_scores(idx) if with_traits else {})

    def trait_scores(self, idx) -> dict:
        """Mean keyed score (expected and of the most likely answer), its spread, and the humans' score."""
        keyed = [i for i in idx if "score" in self.rows[i].values]
        if not keyed:
            return {}
        scores = np.asarray([self.rows[i].values["score"] for i in keyed])
        block = {
            "score": self.mean(scores, description="mean keyed item score, 1-5"),
            "score_argmax": self.mean([self.rows[i].values["score_argmax"] for i in keyed],
                                      description="mean keyed score of the most likely answer"),
            "spread": statistic_with_ci(lambda k: float(np.std(scores[k])), len(keyed), bootstrap=self.boot,
                                        seed=self.seed, description="standard deviation of keyed item scores"),
        }
        human = [self.rows[i].values["score_human"] for i in idx if "score_human" in self.rows[i].values]
        if human:
            block["score_human"] = self.mean(human)
        return block


def _trait_profile(traits: dict) -> dict:
    return {t: {"score": block["metrics"]["score"]["value"], "spread": block["metrics"]["spread"]["value"],
                "n": block["metrics"]["score"]["n"]}
            for t, block in traits.items() if "score" in block["metrics"]}


def _human_comparison(human_rows: int, n_rows: int) -> dict:
    if human_rows:
        return {"status": "compared", "items_with_human_distribution": human_rows, "items_without": n_rows - human_rows}
    return {"status": "skipped",
            "reason": "no human answer distribution file was given (params.human_distributions); "
                      "MPI has no human distributions offline. Trait scores and entropy describe the "
                      "model alone. This is not an error."}


def _counts(items: list[ScaleItem], n_rows: int, human_rows: int) -> dict:
    return {"items": len(items), "scored": n_rows, "excluded_no_option_mass": len(items) - n_rows,
            "reverse_keyed": sum(it.key == -1 for it in items), "unkeyed": sum(it.key == 0 for it in items),
            "with_human_distribution": human_rows}
