"""Jury welfare of an answer distribution: each juror (a country, a demographic group) holds its own answer
distribution for the item, and its utility is its similarity to the model's (1 - JS distance, base 2, by
default). Welfare functions combine the jurors' utilities per item (then the mean over items), and
also the jurors' mean utilities over all items; the worst-served jurors are named.

Baselines scored the same way: `uniform` over the options, and `pooled` (the item's pooled answer
distribution: all raters together, or the mean of the jurors' distributions). Ranking the model and
the baselines under each welfare function shows whether utilitarian and maximin welfare disagree.
"""
from __future__ import annotations

from collections import defaultdict

import numpy as np

from pluralbench.elicitation import OptionQuery
from pluralbench.elicitation.diagnostics import mass_summary
from pluralbench.elicitation.predictions import exclude_sample
from pluralbench.families.base import Scored, TaskFamily
from pluralbench.families.common import BOOTSTRAP_SCHEMA, NOTES_SCHEMA, bootstrap_settings
from pluralbench.families.jury_common import (
    WELFARE_SCHEMA,
    WELFARE_SLOTS,
    lettered,
    welfare_functions,
    welfare_parameters,
)
from pluralbench.hashing import sha256_text
from pluralbench.metrics.declared import MetricSlot
from pluralbench.metrics.summary import SERVED_GROUPS_MIN_N, mean_with_ci, served_groups
from pluralbench.registry import metrics as metric_registry
from pluralbench.registry import task_families

SYSTEMS = ("model", "uniform", "pooled")


@task_families.register("jury_distribution")
class JuryDistribution(TaskFamily):
    name = "jury_distribution"
    # A juror's utility must grow as the model's distribution comes closer to the juror's.
    metric_slots = WELFARE_SLOTS | {"$.utility.metric": MetricSlot("distribution_pair", direction="higher")}
    params_schema = {
        "type": "object",
        "additionalProperties": False,
        "required": ["welfare"],
        "properties": {
            "welfare": WELFARE_SCHEMA,
            "utility": {"type": "object", "additionalProperties": False, "required": ["metric"],
                        "properties": {"metric": {"type": "string"}, "params": {"type": "object"},
                                       "description": {"type": "string"}}},
            "juror_weights": {"enum": ["equal", "raters"]},
            "juror_name": {"type": "string"},
            "option_labels": {"type": "array", "minItems": 2, "items": {"type": "string"}},
            "headline": {"type": "string"},
            "bootstrap": BOOTSTRAP_SCHEMA,
            "served_groups_min_n": {"type": "integer", "minimum": 1},
            "notes": NOTES_SCHEMA,
        },
    }

    def _utility(self, task):
        spec = task.params.get("utility", {"metric": "js_similarity", "params": {"base": 2}})
        fn, kw = metric_registry.get(spec["metric"]), dict(spec.get("params", {}))
        return lambda pred, gold: fn(pred, gold, **kw)

    def options(self, task, item) -> list[str]:
        return item.get("options") or task.params["option_labels"]

    def prompt(self, task, item) -> str:
        fields = {k: v for k, v in item.items() if isinstance(v, str)}
        return task.prompt["template"].format(**fields, options=lettered(self.options(task, item), " "))

    def requests(self, task, items):
        prefix = task.prompt.get("answer_prefix")
        return [[OptionQuery(self.prompt(task, it), tuple(self.options(task, it)), prefix)] for it in items]

    def metric_parameters(self, task) -> dict:
        p = task.params
        return {
            "welfare": welfare_parameters(p["welfare"]),
            "utility": p.get("utility", {"metric": "js_similarity", "params": {"base": 2}}),
            "juror_weights": p.get("juror_weights", "equal"),
            "baselines": {"uniform": "uniform over the options",
                          "pooled": "the item's pooled human distribution (all raters, or the mean of the jurors')"},
            "per_item": "welfare across the jurors present for an item, then the mean over items",
            "over_juror_means": "each juror's mean utility over the items it judged, then welfare across jurors",
            "headline": p.get("headline", p["welfare"][0]["name"]),
            "bootstrap": bootstrap_settings(p) | {"unit": "item"},
        }

    def score(self, task, items, outputs, *, seed, judgements=None):
        p = task.params
        fns = welfare_functions(p["welfare"])
        utility = self._utility(task)
        boot = bootstrap_settings(p)
        by_size = p.get("juror_weights", "equal") == "raters"
        samples, excluded = [], 0
        item_welfare = {s: defaultdict(list) for s in SYSTEMS}  # system -> f -> per-item welfare
        juror_utils = {s: defaultdict(list) for s in SYSTEMS}  # system -> juror -> utilities
        for item, (out,) in zip(items, outputs):
            pi = None if out["distribution"] is None else np.asarray(out["distribution"], dtype=np.float64)
            k = len(self.options(task, item))
            sample = {"id": item["id"], "group": item.get("jury"), "prompt_sha256": sha256_text(self.prompt(task, item)),
                      "options": self.options(task, item), "label_logprobs": list(out["label_logprobs"]),
                      "covered_mass": out["covered_mass"]}
            if pi is None:
                excluded += 1
                exclude_sample(sample)
                samples.append(sample)
                continue
            names = list(item["jurors"])
            dists = [np.asarray(item["jurors"][n], dtype=np.float64) for n in names]
            if any(d.size != k for d in dists):
                raise ValueError(f"item {item['id']}: a juror's distribution does not match the {k} options")
            weights = np.array([item["juror_sizes"][n] for n in names], dtype=np.float64) if by_size else None
            systems = {"model": pi, "uniform": np.full(k, 1.0 / k), "pooled": np.asarray(item["pooled"])}
            flat, utils_out = {}, {}
            for sname, dist in systems.items():
                u = np.array([utility(dist, d) for d in dists])
                for n, v in zip(names, u):
                    juror_utils[sname][n].append(float(v))
                for fname, fn in fns.items():
                    w = float(fn(u[:, None], weights)[0])
                    item_welfare[sname][fname].append(w)
                    flat[fname if sname == "model" else f"{sname}_{fname}"] = w
                if sname == "model":
                    utils_out = dict(zip(names, u.tolist()))
            worst = min(utils_out, key=lambda n: (utils_out[n], n))
            sample.update(model_distribution=pi.tolist(), juror_utilities=utils_out, metrics=flat,
                          worst_served=worst, human_distributions=item["jurors"])
            samples.append(sample)

        def per_item_block(sname):
            return {f: mean_with_ci(vals, bootstrap=boot, seed=seed, direction="higher")
                    for f, vals in item_welfare[sname].items()}

        def over_means_block(sname):
            names = sorted(juror_utils[sname])
            means = np.array([np.mean(juror_utils[sname][n]) for n in names])
            out = {}
            for fname, fn in fns.items():
                v = float(fn(means[:, None])[0]) if means.size else None
                out[fname] = {"value": v, "ci_low": None, "ci_high": None, "n": len(names), "direction": "higher"}
            return out

        welfare = {s: {"per_item": per_item_block(s), "over_juror_means": over_means_block(s)} for s in SYSTEMS}
        masses = [s["covered_mass"] for s in samples]
        overall = dict(welfare["model"]["per_item"])
        overall["mean_juror_utility"] = mean_with_ci([np.mean(list(s["juror_utilities"].values())) for s in samples
                                                      if s.get("juror_utilities")], bootstrap=boot, seed=seed,
                                                     direction="higher")
        overall["covered_mass"] = mean_with_ci(masses, bootstrap=boot, seed=seed, direction="higher")

        juror_name = p.get("juror_name", "juror")
        groups = {}
        for n in sorted(juror_utils["model"]):
            groups[n] = {"n": len(juror_utils["model"][n]),
                         "metrics": {"utility": mean_with_ci(juror_utils["model"][n], bootstrap=boot, seed=seed,
                                                             direction="higher")},
                         "baselines": {s: {"utility": mean_with_ci(juror_utils[s][n], bootstrap=boot, seed=seed,
                                                                   direction="higher")} for s in SYSTEMS[1:]}}
        min_n = int(p.get("served_groups_min_n", SERVED_GROUPS_MIN_N))
        best, worst = served_groups({n: (g["metrics"]["utility"]["value"], g["metrics"]["utility"]["n"])
                                     for n, g in groups.items()}, True, min_n)
        rankings = {}
        for fname in fns:
            values = {s: welfare[s]["per_item"][fname]["value"] for s in SYSTEMS if fname in welfare[s]["per_item"]}
            rankings[fname] = sorted(values, key=lambda s: (-(values[s] if values[s] is not None else -np.inf), s))
        first = next(iter(fns))
        metrics = {
            "headline": p.get("headline", first),
            "overall": overall,
            "baselines": {s: welfare[s]["per_item"] for s in SYSTEMS[1:]},
            "welfare": welfare,
            "groups": {juror_name: groups} if groups else {},
            "worst_served_groups": worst,
            "best_served_groups": best,
            "served_groups_min_n": min_n,
            "rankings": {"systems": list(SYSTEMS), "by_welfare": rankings,
                         "differs_from": {first: {f: rankings[f] != rankings[first] for f in rankings if f != first}}},
            "coverage": mass_summary(masses),
            "counts": {"items": len(items), "scored": len(samples) - excluded, "excluded_no_option_mass": excluded,
                       "jurors": len(groups)},
            "notes": list(p.get("notes", [])),
        }
        return Scored(samples, metrics)
