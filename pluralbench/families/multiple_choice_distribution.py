"""Distributional pluralism on multiple-choice surveys: how close is the model's answer distribution
to each population's? Used by GlobalOpinionQA (countries) and any file in the same shape.

One question asked of many populations is one model request: the prompt does not name the
population, so its answer serves every row that shares the prompt.
"""
from __future__ import annotations

from collections import defaultdict

import numpy as np

from pluralbench.elicitation import OptionQuery
from pluralbench.elicitation.diagnostics import mass_summary, topk_summary
from pluralbench.elicitation.predictions import (
    external_distribution,
    from_sample_fields,
    sample_output_fields,
)
from pluralbench.families.base import Scored, TaskFamily
from pluralbench.families.common import BOOTSTRAP_SCHEMA, NOTES_SCHEMA, bootstrap_settings
from pluralbench.hashing import sha256_text
from pluralbench.metrics.declared import MetricSlot, direction_of
from pluralbench.metrics.divergence import log_base
from pluralbench.metrics.ranking import auroc
from pluralbench.metrics.rowwise import entropy_of, evaluate_pairs
from pluralbench.metrics.summary import (
    SERVED_GROUPS_MIN_N,
    mean_with_ci,
    means_with_ci,
    served_groups,
    statistic_with_ci,
)
from pluralbench.registry import metrics as metric_registry
from pluralbench.registry import task_families

BASELINES = ("uniform", "marginal_loo", "shuffled")


def _base_label(base) -> str:
    return "e" if base in ("e", None) else str(base)


def derangement(k: int, rng: np.random.Generator) -> np.ndarray:
    """A random permutation that moves every option: a shuffle that might leave the distribution in
    place (half the time for two options) would not be a baseline."""
    while True:
        perm = rng.permutation(k)
        if k < 2 or not (perm == np.arange(k)).any():
            return perm


def _prompt_rng(seed: int, prompt_sha: str) -> np.random.Generator:
    # Seeded per prompt so a baseline value does not depend on --limit or item order.
    return np.random.default_rng([seed, int(prompt_sha[:15], 16)])


@task_families.register("multiple_choice_distribution")
class MultipleChoiceDistribution(TaskFamily):
    name = "multiple_choice_distribution"
    metric_slots = {"$.metrics[*].metric": MetricSlot("distribution_pair")}
    params_schema = {
        "type": "object",
        "additionalProperties": False,
        "required": ["metrics"],
        "properties": {
            "group_name": {"type": "string"},
            "metrics": {
                "type": "array", "minItems": 1,
                "items": {
                    "type": "object", "additionalProperties": False, "required": ["name", "metric"],
                    "properties": {
                        "name": {"type": "string", "pattern": "^[a-z0-9_]+$"},
                        "metric": {"type": "string"},
                        "params": {"type": "object"},
                        # optional: the metric's own direction; a task file that states it must agree
                        "direction": {"enum": ["lower", "higher"]},
                        "description": {"type": "string"},
                    },
                },
            },
            "headline": {"type": "string"},
            "served_groups_min_n": {"type": "integer", "minimum": 1},
            "entropy_base": {"oneOf": [{"type": "number"}, {"const": "e"}]},
            "baselines": {"type": "array", "items": {"enum": list(BASELINES)}},
            "bootstrap": BOOTSTRAP_SCHEMA,
            "notes": NOTES_SCHEMA,
            # Optional: how well a per-item value separates two groups (AUROC), e.g. entropy by ambiguity.
            "separation": {
                "type": "array",
                "items": {
                    "type": "object", "additionalProperties": False,
                    "required": ["name", "score", "positive_group", "negative_group"],
                    "properties": {"name": {"type": "string", "pattern": "^[a-z0-9_]+$"},
                                   "score": {"enum": ["entropy_model", "entropy_human"]},
                                   "positive_group": {"type": "string"}, "negative_group": {"type": "string"}},
                },
            },
            # Optional descriptions recorded with every result.
            "prompt_style": {"type": "string"},
            "refusals": {"type": "string"},
            # Optional: where the reference distributions come from, when they are not survey data.
            "reference": {
                "type": "object", "additionalProperties": False, "required": ["kind", "statement"],
                "properties": {"kind": {"enum": ["survey", "synthetic"]}, "statement": {"type": "string"}},
            },
        },
    }

    # requests -------------------------------------------------------------------------------------
    def requests(self, task, items):
        prefix = task.prompt.get("answer_prefix")
        return [[OptionQuery(it["prompt"], tuple(it["options"]), prefix)] for it in items]

    def metric_parameters(self, task) -> dict:
        p = task.params
        return {
            "metrics": [{"name": m["name"], "metric": m["metric"], "params": m.get("params", {}),
                         "direction": direction_of(m["metric"])} for m in p["metrics"]],
            "headline": p.get("headline", p["metrics"][0]["name"]),
            "entropy_base": _base_label(p.get("entropy_base", 2)),
            "baselines": list(p.get("baselines", [])),
            "bootstrap": bootstrap_settings(task.params) | {"unit": "prompt (rows sharing one model answer resample together)"},
            "marginal_loo": "mean of the other populations' distributions for the same question",
            "shuffled": "the model's own distribution under a random derangement of the options, seeded per prompt",
        } | {k: p[k] for k in ("prompt_style", "refusals") if k in p} | (
            {"separation": p["separation"]} if "separation" in p else {}) | (
            {"reference": p["reference"]} if "reference" in p else {})


    # scoring ----------------------------------------------------------------------------------------
    def score(self, task, items, outputs, *, seed, judgements=None):
        return self.score_predictions(task, items, [pred for (pred,) in outputs], seed=seed)

    def prediction_from_row(self, task, row, *, path, index):
        return external_distribution(row.get("pred_distribution"), len(row.get("options") or []), path=path, row=index,
                                     item_id=row.get("id"), field="pred_distribution")

    def prediction_from_sample(self, task, sample, *, path, index):
        return from_sample_fields(sample, len(sample.get("options") or []) or None, path=path, row=index,
                                  item_id=sample.get("id"))

    def score_predictions(self, task, items, predictions, *, seed):
        p = task.params
        metric_specs = p["metrics"]
        fns = {m["name"]: metric_registry.get(m["metric"]) for m in metric_specs}
        ent_base = p.get("entropy_base", 2)
        log_base(ent_base)  # validates the base early
        boot = bootstrap_settings(task.params)

        samples, kept = [], []
        excluded = 0
        for item, prediction in zip(items, predictions):
            dist = prediction["distribution"]
            pred = None if dist is None else np.asarray(dist, dtype=np.float64)
            prompt_sha = sha256_text(item["prompt"])
            sample = {
                "id": item["id"], "group": item.get("group"), "prompt_sha256": prompt_sha,
                "options": item["options"], "human_distribution": item["gold"],
            } | sample_output_fields(prediction)
            samples.append(sample)
            if pred is None:
                excluded += 1
                sample.update(model_distribution=None, metrics=None, excluded="no probability mass on any option")
                continue
            kept.append((item, pred, np.asarray(item["gold"], dtype=np.float64), prompt_sha, sample))

        # Every metric over all kept items at once (vectorised per option count), then into the samples.
        preds, golds = [r[1] for r in kept], [r[2] for r in kept]
        columns = {m["name"]: evaluate_pairs(fns[m["name"]], m["metric"], preds, golds, m.get("params", {}))
                   for m in metric_specs}
        columns["entropy_model"] = entropy_of(preds, ent_base)
        columns["entropy_human"] = entropy_of(golds, ent_base)
        for i, row in enumerate(kept):
            row[4].update(model_distribution=row[1].tolist(),
                          metrics={name: float(col[i]) for name, col in columns.items()})

        baseline_values = self._baselines(p.get("baselines", []), kept, metric_specs, fns, seed)
        directions = {m["name"]: direction_of(m["metric"]) for m in metric_specs}
        names = [m["name"] for m in metric_specs] + ["entropy_model", "entropy_human"]

        def summarise(rows_idx, clustered):
            clusters = [kept[i][3] for i in rows_idx] if clustered else None
            block_columns = {name: columns[name][rows_idx] for name in names}
            masses = [(kept[i][4]["covered_mass"], c) for i, c in zip(rows_idx, clusters or [None] * len(rows_idx))]
            known = [(m, c) for m, c in masses if m is not None]
            if len(known) == len(masses):  # the usual case: bootstrap it with the rest (same draws either way)
                block_columns["covered_mass"] = [m for m, _ in known]
            block = means_with_ci(block_columns, clusters=clusters, bootstrap=boot, seed=seed,
                                  directions=directions | {"covered_mass": "higher"})
            if known and len(known) < len(masses):  # predictions made elsewhere carry no covered mass
                block["covered_mass"] = mean_with_ci([m for m, _ in known], clusters=[c for _, c in known] if clustered
                                                     else None, bootstrap=boot, seed=seed, direction="higher")
            return block

        def summarise_baselines(rows_idx, clustered):
            # Baselines defined on the same rows share one set of bootstrap draws.
            by_rows: dict[tuple, list[str]] = defaultdict(list)
            for bname, (defined, _) in baseline_values.items():
                by_rows[tuple(i for i in rows_idx if defined[i])].append(bname)
            result = {}
            for idx, bnames in by_rows.items():
                idx = list(idx)
                clusters = [kept[i][3] for i in idx] if clustered else None
                cols = {(b, m["name"]): baseline_values[b][1][m["name"]][idx] for b in bnames for m in metric_specs}
                block = means_with_ci(cols, clusters=clusters, bootstrap=boot, seed=seed,
                                      directions={key: directions[key[1]] for key in cols})
                for b in bnames:
                    result[b] = {m["name"]: block[(b, m["name"])] for m in metric_specs}
            return {b: result[b] for b in baseline_values}

        all_idx = list(range(len(kept)))
        by_group: dict[str, list[int]] = defaultdict(list)
        for i, row in enumerate(kept):
            if row[0].get("group") is not None:
                by_group[row[0]["group"]].append(i)

        group_name = p.get("group_name", "group")
        groups = {}
        for g in sorted(by_group):
            idx = by_group[g]
            groups[g] = {"n": len(idx), "metrics": summarise(idx, False), "baselines": summarise_baselines(idx, False)}

        headline = p.get("headline", metric_specs[0]["name"])
        overall = summarise(all_idx, True) if kept else {}
        for spec in p.get("separation", []):
            value = self._separation(spec, kept, boot, seed)
            if value is not None:
                overall[spec["name"]] = value
        metrics = {
            "headline": headline,
            "overall": overall,
            "baselines": summarise_baselines(all_idx, True) if kept else {},
            "groups": {group_name: groups} if groups else {},
            "coverage": mass_summary([s["covered_mass"] for s in samples]) | topk_summary(samples),
            "counts": {
                "items": len(items),
                "scored": len(kept),
                "excluded_no_option_mass": excluded,
                "unique_prompts": len({s["prompt_sha256"] for s in samples}),
                "groups": len(groups),
            },
            "notes": list(p.get("notes", [])),
        }
        if "reference" in p:
            metrics["reference_distributions"] = dict(p["reference"])
        if headline in metrics["overall"]:
            hv = metrics["overall"][headline]
            if groups:
                min_n = int(p.get("served_groups_min_n", SERVED_GROUPS_MIN_N))
                best, worst = served_groups({g: (groups[g]["metrics"][headline]["value"], groups[g]["n"])
                                             for g in groups}, hv.get("direction") == "higher", min_n)
                metrics["best_served_groups"], metrics["worst_served_groups"] = best, worst
                metrics["served_groups_min_n"] = min_n
        return Scored(samples, metrics)

    @staticmethod
    def _separation(spec, kept, boot, seed):
        """AUROC of a per-item value (e.g. model entropy) separating one group from another: a
        pluralistic model should be less certain where people disagree."""
        rows = [(r[4]["metrics"][spec["score"]], r[0].get("group") == spec["positive_group"]) for r in kept
                if r[0].get("group") in (spec["positive_group"], spec["negative_group"])]
        if not rows:
            return None
        scores = np.asarray([v for v, _ in rows])
        positive = np.asarray([y for _, y in rows])
        return statistic_with_ci(lambda idx: auroc(scores[idx], positive[idx]), len(rows), bootstrap=boot, seed=seed,
                                 direction="higher",
                                 description=f"AUROC of {spec['score']} separating {spec['positive_group']} (positive) "
                                             f"from {spec['negative_group']} items; 0.5 = no separation")

    @staticmethod
    def _baselines(names, kept, metric_specs, fns, seed):
        """Per baseline: (defined per kept row, {metric: values per kept row}); undefined rows hold nan."""
        rows_by_prompt: dict[str, list[int]] = defaultdict(list)
        for i, row in enumerate(kept):
            rows_by_prompt[row[3]].append(i)
        golds = [r[2] for r in kept]
        out = {}
        for name in names:
            defined = [True] * len(kept)
            stand_ins = []
            for i, (_item, pred, gold, prompt_sha, _) in enumerate(kept):
                if name == "uniform":
                    stand_ins.append(np.full(len(gold), 1.0 / len(gold)))
                elif name == "marginal_loo":
                    others = [kept[j][2] for j in rows_by_prompt[prompt_sha] if j != i]
                    defined[i] = bool(others)
                    stand_ins.append(np.mean(others, axis=0) if others else np.full(len(gold), 1.0 / len(gold)))
                elif name == "shuffled":
                    stand_ins.append(pred[derangement(len(pred), _prompt_rng(seed, prompt_sha))])
            values = {m["name"]: evaluate_pairs(fns[m["name"]], m["metric"], stand_ins, golds, m.get("params", {}))
                      for m in metric_specs}
            for col in values.values():
                col[~np.asarray(defined, dtype=bool)] = np.nan
            out[name] = (defined, values)
        return out
