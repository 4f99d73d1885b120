"""Trade-off steerability: one item, one prompt per steering weight w; the model steered to weigh
objective A against B as w : 1-w (M_w) should score best under f_w = w * o_A + (1 - w) * o_B among all
the steered models M_w'.

Objectives are computed from the model's option distribution: `{"target": distribution}` gives
o = similarity(model, target) (1 - JS distance, base 2, by default); `{"agree_option": k}` gives
o = P(option k). Per item we build S[f][f'] = f(M_f'), and report the strict score, the soft score,
the Spearman correlation between w and the achieved trade-off o_A - o_B, and, where the objectives
are target distributions, the JS distance to the target mixture w * p_A + (1 - w) * p_B.

The steering prompts live in the task file (`prompt.steering_prompts`); `params.steering_prompt` picks one.
"""
from __future__ import annotations

import numpy as np

from pluralbench.elicitation import OptionQuery
from pluralbench.elicitation.diagnostics import mass_summary
from pluralbench.errors import UserError
from pluralbench.families.base import Scored, TaskFamily
from pluralbench.families.common import BOOTSTRAP_SCHEMA, NOTES_SCHEMA, bootstrap_settings
from pluralbench.families.jury_common import (
    lettered,
)
from pluralbench.hashing import sha256_text
from pluralbench.metrics.declared import MetricSlot
from pluralbench.metrics.divergence import js_distance
from pluralbench.metrics.summary import mean_with_ci
from pluralbench.metrics.tradeoff import (
    achieved_tradeoff,
    soft_score,
    soft_score_rows,
    spearman,
    strict_score,
    strict_score_rows,
    tradeoff_matrix,
)
from pluralbench.registry import metrics as metric_registry
from pluralbench.registry import task_families

DEFAULT_WEIGHTS = (0.0, 0.25, 0.5, 0.75, 1.0)


def _wkey(w: float) -> str:
    return f"{w:g}"


@task_families.register("tradeoff_steering")
class TradeoffSteering(TaskFamily):
    name = "tradeoff_steering"
    # An objective o = similarity(model, target) must grow as the model comes closer to the target.
    metric_slots = {"$.similarity.metric": MetricSlot("distribution_pair", direction="higher")}
    params_schema = {
        "type": "object",
        "additionalProperties": False,
        "required": ["steering_prompt"],
        "properties": {
            "steering_prompt": {"type": "string"},
            "weights": {"type": "array", "minItems": 2, "uniqueItems": True,
                        "items": {"type": "number", "minimum": 0, "maximum": 1}},
            "similarity": {"type": "object", "additionalProperties": False, "required": ["metric"],
                           "properties": {"metric": {"type": "string"}, "params": {"type": "object"}}},
            "mixture_jsd_base": {"oneOf": [{"type": "number"}, {"const": "e"}]},
            "headline": {"type": "string"},
            "bootstrap": BOOTSTRAP_SCHEMA,
            "notes": NOTES_SCHEMA,
        },
    }

    # prompts ----------------------------------------------------------------------------------------
    def weights(self, task) -> list[float]:
        return [float(w) for w in task.params.get("weights", DEFAULT_WEIGHTS)]

    def steering_template(self, task) -> tuple[str, str]:
        name = task.params["steering_prompt"]
        prompts = task.prompt.get("steering_prompts") or {}
        if name not in prompts:
            raise UserError(f"{task.path}: params.steering_prompt {name!r} is not in prompt.steering_prompts "
                            f"({', '.join(sorted(prompts)) or 'none defined'})")
        return name, prompts[name]

    def prompt(self, task, item, w: float) -> str:
        _, template = self.steering_template(task)
        pct_a = int(round(100 * w))
        a = (item["name_a"], pct_a)
        b = (item["name_b"], 100 - pct_a)
        first, second = (a, b) if item.get("a_first", True) else (b, a)
        fields = {k: v for k, v in item.items() if isinstance(v, str)}
        return template.format(**fields, pct_a=a[1], pct_b=b[1], first_name=first[0], first_pct=first[1],
                               second_name=second[0], second_pct=second[1],
                               options=lettered(item["options"], " "))

    def requests(self, task, items):
        prefix = task.prompt.get("answer_prefix")
        return [[OptionQuery(self.prompt(task, it, w), tuple(it["options"]), prefix) for w in self.weights(task)]
                for it in items]

    def metric_parameters(self, task) -> dict:
        name, template = self.steering_template(task)
        p = task.params
        return {
            "weights": self.weights(task),
            "commensurating_functions": "f_w = w * o_A + (1 - w) * o_B",
            "steering_prompt": {"name": name, "template": template, "sha256": sha256_text(template)},
            "similarity": p.get("similarity", {"metric": "js_similarity", "params": {"base": 2}}),
            "mixture_jsd_base": p.get("mixture_jsd_base", 2),
            "strict_score": "share of f_w whose steered model is best under f_w (ties at the top count as best); "
                            "functions under which every steered model scores the same are left out",
            "soft_score": "(f(M_f) - min_f' f(M_f')) / (max - min), averaged over f where the steered models differ",
            "spearman": "rank correlation between w and the achieved trade-off o_A - o_B, per item",
            "headline": p.get("headline", "soft_score"),
            "bootstrap": bootstrap_settings(p) | {"unit": "item"},
        }

    # scoring ----------------------------------------------------------------------------------------
    def _objective(self, task):
        spec = task.params.get("similarity", {"metric": "js_similarity", "params": {"base": 2}})
        sim, kw = metric_registry.get(spec["metric"]), dict(spec.get("params", {}))

        def objective(obj: dict, pi: np.ndarray) -> float:
            if "target" in obj:
                return float(sim(pi, np.asarray(obj["target"]), **kw))
            return float(pi[int(obj["agree_option"])])

        return objective

    def score(self, task, items, outputs, *, seed, judgements=None):
        p = task.params
        weights = self.weights(task)
        objective = self._objective(task)
        boot = bootstrap_settings(p)
        mix_base = p.get("mixture_jsd_base", 2)
        samples, kept, excluded = [], [], 0
        for item, outs in zip(items, outputs):
            pis = [None if o["distribution"] is None else np.asarray(o["distribution"], dtype=np.float64) for o in outs]
            masses = [o["covered_mass"] for o in outs]
            sample = {"id": item["id"], "group": None,
                      "prompt_sha256": sha256_text("\n\n".join(self.prompt(task, item, w) for w in weights)),
                      "options": item["options"], "name_a": item["name_a"], "name_b": item["name_b"],
                      "covered_mass": float(np.mean(masses)), "covered_mass_by_weight": masses}
            if any(pi is None for pi in pis):
                excluded += 1
                sample.update(metrics=None, excluded="no probability mass on the options for some steering weight")
                samples.append(sample)
                continue
            obj = np.array([[objective(item["objectives"][0], pi), objective(item["objectives"][1], pi)] for pi in pis])
            matrix = tradeoff_matrix(obj, weights)
            trade = achieved_tradeoff(obj[:, 0], obj[:, 1])
            row = {"matrix": matrix, "objectives": obj, "strict": strict_score(matrix), "soft": soft_score(matrix),
                   "spearman": spearman(weights, trade), "mass": float(np.mean(masses))}
            if all("target" in o for o in item["objectives"]):
                pa, pb = (np.asarray(o["target"]) for o in item["objectives"])
                row["mixture_jsd"] = [js_distance(pi, w * pa + (1 - w) * pb, mix_base) for w, pi in zip(weights, pis)]
            kept.append(row)
            sample.update(model_distributions={_wkey(w): pi.tolist() for w, pi in zip(weights, pis)},
                          objectives={_wkey(w): {"o_a": float(o[0]), "o_b": float(o[1])} for w, o in zip(weights, obj)},
                          matrix=matrix.tolist(),
                          metrics={"strict_score": row["strict"], "soft_score": row["soft"],
                                   "spearman_weight_tradeoff": row["spearman"],
                                   **({"mixture_jsd": float(np.mean(row["mixture_jsd"]))} if "mixture_jsd" in row else {})})
            samples.append(sample)

        def mwc(values, direction):
            return mean_with_ci([v for v in values if v is not None], bootstrap=boot, seed=seed, direction=direction)

        overall = {
            "strict_score": mwc([r["strict"] for r in kept], "higher"),
            "soft_score": mwc([r["soft"] for r in kept], "higher"),
            "spearman_weight_tradeoff": mwc([r["spearman"] for r in kept], "higher"),
        }
        if kept and all("mixture_jsd" in r for r in kept):
            overall["mixture_jsd"] = mwc([float(np.mean(r["mixture_jsd"])) for r in kept], "lower")
        overall["covered_mass"] = mwc([s["covered_mass"] for s in samples], "higher")

        tradeoff = {"weights": weights, "functions": [f"f_{_wkey(w)}" for w in weights],
                    "steered_models": [f"M_{_wkey(w)}" for w in weights]}
        if kept:
            mean_matrix = np.mean([r["matrix"] for r in kept], axis=0)
            tradeoff.update(
                matrix=mean_matrix.tolist(),
                matrix_note="S[i][j] = f_{w_i}(M_{w_j}), mean over items; rows are functions, columns steered models",
                matrix_strict_score=strict_score(mean_matrix),
                matrix_soft_score=soft_score(mean_matrix),
                matrix_strict_score_rows=[None if np.isnan(v) else float(v) for v in strict_score_rows(mean_matrix)],
                matrix_soft_score_rows=[None if np.isnan(v) else float(v) for v in soft_score_rows(mean_matrix)],
                items_without_spread=sum(1 for r in kept if r["soft"] is None),  # steering changed nothing f can see
                items_with_constant_tradeoff=sum(1 for r in kept if r["spearman"] is None),
            )
            by_weight = {}
            for j, w in enumerate(weights):
                entry = {"o_a": mwc([r["objectives"][j, 0] for r in kept], "higher"),
                         "o_b": mwc([r["objectives"][j, 1] for r in kept], "higher"),
                         "achieved_tradeoff": mwc([r["objectives"][j, 0] - r["objectives"][j, 1] for r in kept], None),
                         "f_w_of_own_model": mwc([r["matrix"][j, j] for r in kept], "higher")}
                if "mixture_jsd" in kept[0]:
                    entry["mixture_jsd"] = mwc([r["mixture_jsd"][j] for r in kept], "lower")
                by_weight[_wkey(w)] = entry
            tradeoff["by_weight"] = by_weight
        name, template = self.steering_template(task)
        tradeoff["steering_prompt"] = {"name": name, "sha256": sha256_text(template)}
        metrics = {
            "headline": p.get("headline", "soft_score"),
            "overall": overall,
            "tradeoff": tradeoff,
            "coverage": mass_summary([s["covered_mass"] for s in samples]),
            "counts": {"items": len(items), "scored": len(kept), "excluded_no_option_mass": excluded,
                       "prompts_per_item": len(weights)},
            "notes": list(p.get("notes", [])),
        }
        return Scored(samples, metrics)
