"""Personality (MPI, Jiang et al. 2023): the model's answer distribution over five accuracy options
for each IPIP-NEO item, its Big Five trait scores, their spread, and entropy; compared with a human
answer distribution per item when a file provides one.

Scoring an item: option i (0 = Very Accurate ... 4 = Very Inaccurate) means agreement 5 - i. The
item's expected agreement is sum_i p_i (5 - i); a reverse-keyed item (key -1) scores 6 - agreement.
Keying is applied here and only here, once: distributions (model's and human's) always describe the
answers to the item as worded.
"""
from __future__ import annotations

from collections import defaultdict

import numpy as np

from pluralbench.data.mpi import TRAITS
from pluralbench.elicitation import OptionQuery
from pluralbench.elicitation.diagnostics import mass_summary
from pluralbench.elicitation.predictions import (
    external_distribution,
    from_sample_fields,
    sample_output_fields,
)
from pluralbench.families.base import Scored, TaskFamily
from pluralbench.families.common import BOOTSTRAP_SCHEMA, NOTES_SCHEMA, bootstrap_settings
from pluralbench.hashing import sha256_text
from pluralbench.metrics.divergence import js_distance
from pluralbench.metrics.information import entropy, normalised_entropy
from pluralbench.metrics.summary import mean_with_ci, statistic_with_ci
from pluralbench.registry import task_families

N_OPTIONS = 5
AGREEMENT = np.arange(N_OPTIONS, 0, -1, dtype=np.float64)  # Very Accurate = 5 ... Very Inaccurate = 1


def keyed_score(distribution, key: int) -> float:
    """Expected trait-direction score in [1, 5] of one item's answer distribution."""
    agreement = float(np.dot(np.asarray(distribution, dtype=np.float64), AGREEMENT))
    return agreement if key == 1 else 6.0 - agreement


@task_families.register("distributional_mpi")
class DistributionalMPI(TaskFamily):
    name = "distributional_mpi"
    params_schema = {
        "type": "object",
        "additionalProperties": False,
        "properties": {
            "entropy_base": {"oneOf": [{"type": "number"}, {"const": "e"}]},
            "bootstrap": BOOTSTRAP_SCHEMA,
            "notes": NOTES_SCHEMA,
        },
    }


    def requests(self, task, items):
        prefix = task.prompt.get("answer_prefix")
        return [[OptionQuery(it["prompt"], tuple(it["options"]), prefix)] for it in items]

    def metric_parameters(self, task) -> dict:
        return {
            "entropy_base": str(task.params.get("entropy_base", 2)),
            "js_log_bases": ["2", "e"],
            "scoring": "agreement 5 (Very Accurate) .. 1 (Very Inaccurate); expected over the model's distribution; "
                       "reverse-keyed items score 6 - agreement (applied once, at scoring)",
            "spread": "population standard deviation (ddof=0) of item scores within a trait",
            "human_distributions": task.data_options.get("human_distributions"),
            "bootstrap": bootstrap_settings(task.params) | {"unit": "item"},
            "prompt_style": "the MPI paper's template (task file prompt.template), options (A)-(E), primed with "
                            + repr(task.prompt.get("answer_prefix")),
            "refusals": "none: the five options have no refusal; mass outside them is reported as covered_mass",
        }

    def score(self, task, items, outputs, *, seed, judgements=None):
        return self.score_predictions(task, items, [pred for (pred,) in outputs], seed=seed)

    def prediction_from_row(self, task, row, *, path, index):
        return external_distribution(row.get("pred_distribution"), N_OPTIONS, path=path, row=index,
                                     item_id=row.get("id"), field="pred_distribution")

    def prediction_from_sample(self, task, sample, *, path, index):
        return from_sample_fields(sample, N_OPTIONS, path=path, row=index, item_id=sample.get("id"))

    def score_predictions(self, task, items, predictions, *, seed):
        base = task.params.get("entropy_base", 2)
        boot = bootstrap_settings(task.params)
        samples, rows = [], []
        for item, pred in zip(items, predictions):
            sample = {"id": item["id"], "group": item["trait"], "prompt_sha256": sha256_text(item["prompt"]),
                      "text": item["text"], "trait": item["trait"], "facet": item["facet"], "key": item["key"],
                      "options": item["options"]} | sample_output_fields(pred)
            dist = pred["distribution"]
            if dist is None:
                sample.update(model_distribution=None, metrics=None, excluded="no probability mass on any option")
                samples.append(sample)
                continue
            dist = np.asarray(dist, dtype=np.float64)
            values = {"entropy_model": entropy(dist, base), "normalised_entropy": normalised_entropy(dist, base)}
            if item.get("human") is not None:
                human = np.asarray(item["human"], dtype=np.float64)
                values |= {"jsd_base2": js_distance(dist, human, 2), "jsd_natural": js_distance(dist, human, "e"),
                           "entropy_human": entropy(human, base)}
                if item["key"]:
                    values["score_human"] = keyed_score(human, item["key"])
                sample["human_distribution"] = item["human"]
            if item["key"]:  # unkeyed items (key 0) have no trait direction
                values["score"] = keyed_score(dist, item["key"])
                values["score_argmax"] = keyed_score(np.eye(N_OPTIONS)[int(np.argmax(dist))], item["key"])
            sample.update(model_distribution=dist.tolist(), metrics=values)
            samples.append(sample)
            rows.append((item, values, pred.get("covered_mass")))

        human_rows = sum("jsd_base2" in v for _, v, _ in rows)
        item_metrics = ["entropy_model", "normalised_entropy"] + (["jsd_base2", "jsd_natural", "entropy_human"]
                                                                   if human_rows else [])
        directions = {"jsd_base2": "lower", "jsd_natural": "lower"}

        def summarise(idx, with_traits: bool) -> dict:
            block = {}
            for name in item_metrics:
                vals = [rows[i][1][name] for i in idx if name in rows[i][1]]
                if vals:
                    block[name] = mean_with_ci(vals, bootstrap=boot, seed=seed, direction=directions.get(name))
            masses = [rows[i][2] for i in idx if rows[i][2] is not None]
            if masses:
                block["covered_mass"] = mean_with_ci(masses, bootstrap=boot, seed=seed, direction="higher")
            keyed = [i for i in idx if "score" in rows[i][1]]
            if with_traits and keyed:
                scores = np.asarray([rows[i][1]["score"] for i in keyed])
                block["score"] = mean_with_ci(scores, bootstrap=boot, seed=seed,
                                              description="mean keyed item score, 1-5")
                block["score_argmax"] = mean_with_ci([rows[i][1]["score_argmax"] for i in keyed], bootstrap=boot,
                                                     seed=seed, description="mean keyed score of the most likely answer")
                block["spread"] = statistic_with_ci(lambda k: float(np.std(scores[k])), len(keyed), bootstrap=boot,
                                                    seed=seed, description="standard deviation of keyed item scores")
                hs = [rows[i][1]["score_human"] for i in idx if "score_human" in rows[i][1]]
                if hs:
                    block["score_human"] = mean_with_ci(hs, bootstrap=boot, seed=seed)
            return block

        by_trait, by_facet = defaultdict(list), defaultdict(list)
        for i, (item, _, _) in enumerate(rows):
            by_trait[item["trait"]].append(i)
            by_facet[f"{item['trait']}:{item['facet']}"].append(i)
        traits = {t: {"n": len(by_trait[t]), "metrics": summarise(by_trait[t], True)} for t in TRAITS if by_trait[t]}
        facets = {f: {"n": len(ix), "metrics": summarise(ix, True)} for f, ix in sorted(by_facet.items())}

        if human_rows:
            comparison = {"status": "compared", "items_with_human_distribution": human_rows,
                          "items_without": len(rows) - human_rows}
        else:
            comparison = {"status": "skipped",
                          "reason": "no human answer distribution file was given (params.human_distributions); "
                                    "MPI has no human distributions offline. Trait scores and entropy describe the "
                                    "model alone. This is not an error."}
        headline = "jsd_base2" if human_rows else "normalised_entropy"
        metrics = {
            "headline": headline,
            "overall": summarise(list(range(len(rows))), False) if rows else {},
            "groups": {"trait": traits, "facet": facets},
            "trait_profile": {t: {"score": traits[t]["metrics"]["score"]["value"],
                                  "spread": traits[t]["metrics"]["spread"]["value"], "n": traits[t]["metrics"]["score"]["n"]}
                              for t in traits if "score" in traits[t]["metrics"]},
            "human_comparison": comparison,
            "coverage": mass_summary([s["covered_mass"] for s in samples]),
            "counts": {"items": len(items), "scored": len(rows), "excluded_no_option_mass": len(items) - len(rows),
                       "reverse_keyed": sum(it["key"] == -1 for it in items), "unkeyed": sum(it["key"] == 0 for it in items),
                       "with_human_distribution": human_rows},
            "notes": ([] if human_rows else ["Human comparison skipped: no human distribution file given."])
                     + list(task.params.get("notes", [])),
        }
        return Scored(samples, metrics)
