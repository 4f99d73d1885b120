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

from functools import partial
from typing import NamedTuple

import numpy as np

from pluralbench.core.items import TradeoffItem
from pluralbench.core.prompts import fill, lettered
from pluralbench.elicitation import OptionQuery
from pluralbench.elicitation.diagnostics import mass_summary
from pluralbench.errors import UserError
from pluralbench.families.base import Scored, TaskFamily
from pluralbench.families.common import BOOTSTRAP_SCHEMA, NOTES_SCHEMA, bootstrap_settings
from pluralbench.families.human_reference import VARIATION_RECORD, joint_scorer, pair_scorer, variation_scorers
from pluralbench.families.jury_common import (
    SIMILARITY_SCHEMA,
    predicted_distribution,
    similarity_function,
    similarity_spec,
    split_scored,
    text_fields,
)
from pluralbench.hashing import sha256_text
from pluralbench.metrics.declared import MetricSlot
from pluralbench.metrics.divergence import js_distance
from pluralbench.metrics.reference_block import Humans, reference_points
from pluralbench.metrics.rowwise import tv_of
from pluralbench.metrics.summary import defined_mean_with_ci, excluded_count, means_with_ci
from pluralbench.metrics.tradeoff import (
    achieved_tradeoff,
    soft_score,
    soft_score_rows,
    spearman,
    strict_score,
    strict_score_rows,
    tradeoff_matrix,
)
from pluralbench.registry import task_families

DEFAULT_WEIGHTS = (0.0, 0.25, 0.5, 0.75, 1.0)
# Directions of the per-weight means (the achieved trade-off o_A - o_B has none: neither end is better).
WEIGHT_DIRECTIONS = {"o_a": "higher", "o_b": "higher", "f_w_of_own_model": "higher", "mixture_jsd": "lower",
                     "mixture_tv": "lower"}
MIXTURE_DIRECTIONS = {"mixture_jsd": "lower", "mixture_tv": "lower", "mixture_simbench_score": "higher"}


def _wkey(w: float) -> str:
    return f"{w:g}"


class SteeredItem(NamedTuple):
    """One scored item: the objectives each steered model M_w achieves and the scores they give."""
    objectives: np.ndarray  # weights x 2: (o_A, o_B) of M_w
    matrix: np.ndarray  # S[i][j] = f_{w_i}(M_{w_j})
    strict: float | None
    soft: float | None
    spearman: float | None
    mixture_jsd: list[float] | None  # per weight, JS distance to w * p_A + (1 - w) * p_B (target objectives only)
    pis: list[np.ndarray]  # per weight, the steered model's distribution
    mixtures: list[np.ndarray] | None  # per weight, the target mixture w * p_A + (1 - w) * p_B


def objective_value(objective: dict, pi: np.ndarray, similarity) -> float:
    """o for one objective: the similarity to its target distribution, or the probability of its agree option."""
    if "target" in objective:
        return float(similarity(pi, np.asarray(objective["target"])))
    return float(pi[int(objective["agree_option"])])


def steered_item(item: TradeoffItem, pis: list[np.ndarray], weights: list[float], similarity,
                 mixture_base) -> SteeredItem:
    """The trade-off scores of one item from the steered models' distributions (one per weight)."""
    first, second = item.objectives[0], item.objectives[1]
    obj = np.array([[objective_value(first, pi, similarity), objective_value(second, pi, similarity)] for pi in pis])
    matrix = tradeoff_matrix(obj, weights)
    mixture, targets = None, None
    if all("target" in o for o in item.objectives):
        pa, pb = (np.asarray(o["target"]) for o in item.objectives)
        targets = [w * pa + (1 - w) * pb for w in weights]
        mixture = [js_distance(pi, t, mixture_base) for t, pi in zip(targets, pis)]
    return SteeredItem(obj, matrix, strict_score(matrix), soft_score(matrix),
                       spearman(weights, achieved_tradeoff(obj[:, 0], obj[:, 1])), mixture, pis, targets)


def sample_metrics(row: SteeredItem) -> dict:
    """A sample's metrics: the item's trade-off scores (and its mean mixture distance, for target objectives)."""
    metrics = {"strict_score": row.strict, "soft_score": row.soft, "spearman_weight_tradeoff": row.spearman}
    if row.mixture_jsd is not None:
        metrics["mixture_jsd"] = float(np.mean(row.mixture_jsd))
        metrics["mixture_tv"] = float(np.mean(tv_of(row.pis, row.mixtures)))
    return metrics


def overall_block(kept: list[SteeredItem], samples: list[dict], has_mixture: bool, bootstrap: dict, seed: int) -> dict:
    """Means over items of the per-item scores (items where a score is undefined left out of its mean)."""
    mean = partial(defined_mean_with_ci, bootstrap=bootstrap, seed=seed)
    overall = {
        "strict_score": mean([r.strict for r in kept], direction="higher"),
        "soft_score": mean([r.soft for r in kept], direction="higher"),
        "spearman_weight_tradeoff": mean([r.spearman for r in kept], direction="higher"),
    }
    if has_mixture:
        per_item = mixture_values(kept, 2)  # the base does not matter here: only tv and simbench are read
        overall["mixture_jsd"] = mean([float(np.mean(r.mixture_jsd)) for r in kept], direction="lower")
        for name in ("mixture_tv", "mixture_simbench_score"):
            overall[name] = mean(per_item[name], direction=MIXTURE_DIRECTIONS[name])
    overall["covered_mass"] = mean([s["covered_mass"] for s in samples], direction="higher")
    return overall


def mixture_scorers(kept: list[SteeredItem], base) -> dict:
    """The mixture distances as (models, targets) -> value per row; the SimBench norm over every (item,
    weight) target mixture."""
    variation = variation_scorers([t for r in kept for t in r.mixtures])
    return {"mixture_jsd": pair_scorer(js_distance, "js_distance", {"base": base}),
            "mixture_tv": variation["tv"], "mixture_simbench_score": variation["simbench_score"]}


def mixture_values(kept: list[SteeredItem], base) -> dict[str, np.ndarray]:
    """Per item, the mean over weights of each mixture distance."""
    weights = len(kept[0].pis)
    models, targets = [pi for r in kept for pi in r.pis], [t for r in kept for t in r.mixtures]
    return {name: scorer(models, targets).reshape(len(kept), weights).mean(axis=1)
            for name, scorer in mixture_scorers(kept, base).items()}


def mixture_reference_points(kept: list[SteeredItem], base, bootstrap: dict, seed: int,
                             resolution: int | None) -> dict:
    """Reference points of the mixture distances: stand-ins for each (item, weight) target mixture, averaged
    over weights and items like the model's (all items have every weight), resampled by item."""
    targets = [t for r in kept for t in r.mixtures]
    clusters = [k for k, r in enumerate(kept) for _ in r.mixtures]
    return reference_points(Humans(targets), joint_scorer(mixture_scorers(kept, base)), MIXTURE_DIRECTIONS,
                            resolution=resolution, clusters=clusters, bootstrap=bootstrap, seed=seed)


def _none_for_nan(values) -> list[float | None]:
    """JSON-ready values: NaN (a function under which the steered models all score the same) as None."""
    return [None if np.isnan(v) else float(v) for v in values]


def mean_matrix_scores(kept: list[SteeredItem]) -> dict:
    """The strict and soft scores of the mean trade-off matrix, overall and per function (row)."""
    mean_matrix = np.mean([r.matrix for r in kept], axis=0)
    return {
        "matrix": mean_matrix.tolist(),
        "matrix_note": "S[i][j] = f_{w_i}(M_{w_j}), mean over items; rows are functions, columns steered models",
        "matrix_strict_score": strict_score(mean_matrix),
        "matrix_soft_score": soft_score(mean_matrix),
        "matrix_strict_score_rows": _none_for_nan(strict_score_rows(mean_matrix)),
        "matrix_soft_score_rows": _none_for_nan(soft_score_rows(mean_matrix)),
        "items_without_spread": sum(1 for r in kept if r.soft is None),  # steering changed nothing f can see
        "items_with_constant_tradeoff": sum(1 for r in kept if r.spearman is None),
    }


def weight_block(kept: list[SteeredItem], j: int, has_mixture: bool, bootstrap: dict, seed: int) -> dict:
    """Means over items of what the model steered to the j-th weight achieves."""
    columns = {"o_a": [r.objectives[j, 0] for r in kept], "o_b": [r.objectives[j, 1] for r in kept],
               "achieved_tradeoff": [r.objectives[j, 0] - r.objectives[j, 1] for r in kept],
               "f_w_of_own_model": [r.matrix[j, j] for r in kept]}
    if has_mixture:
        columns["mixture_jsd"] = [r.mixture_jsd[j] for r in kept]
        columns["mixture_tv"] = tv_of([r.pis[j] for r in kept], [r.mixtures[j] for r in kept])
    return means_with_ci(columns, bootstrap=bootstrap, seed=seed, directions=WEIGHT_DIRECTIONS)


def tradeoff_block(kept: list[SteeredItem], weights: list[float], has_mixture: bool, bootstrap: dict,
                   seed: int) -> dict:
    """The trade-off block of metrics.json: the functions and steered models, and when any item was scored,
    the mean trade-off matrix's scores and the per-weight means."""
    block = {"weights": weights, "functions": [f"f_{_wkey(w)}" for w in weights],
             "steered_models": [f"M_{_wkey(w)}" for w in weights]}
    if kept:
        block.update(mean_matrix_scores(kept))
        block["by_weight"] = {_wkey(w): weight_block(kept, j, has_mixture, bootstrap, seed)
                              for j, w in enumerate(weights)}
    return block


@task_families.register("tradeoff_steering")
class TradeoffSteering(TaskFamily):
    name = "tradeoff_steering"
    item_type = TradeoffItem
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
            "similarity": SIMILARITY_SCHEMA,
            "mixture_jsd_base": {"oneOf": [{"type": "number"}, {"const": "e"}]},
            "headline": {"type": "string"},
            "bootstrap": BOOTSTRAP_SCHEMA,
            "notes": NOTES_SCHEMA,
        },
    }

    # prompts ----------------------------------------------------------------------------------------
    @staticmethod
    def headline(task) -> str:
        return task.params.get("headline", "soft_score")

    def headline_metric(self, task) -> tuple[str | None, str | None]:
        # every trade-off score is higher-is-better except the distance to the target mixture
        return self.headline(task), "lower" if self.headline(task) == "mixture_jsd" else "higher"

    def weights(self, task) -> list[float]:
        return [float(w) for w in task.params.get("weights", DEFAULT_WEIGHTS)]

    def steering_template(self, task) -> tuple[str, str]:
        name = task.params["steering_prompt"]
        prompts = task.prompt.get("steering_prompts") or {}
        if name not in prompts:
            raise UserError(f"{task.path}: params.steering_prompt {name!r} is not in prompt.steering_prompts "
                            f"({', '.join(sorted(prompts)) or 'none defined'})")
        return name, prompts[name]

    def prompt(self, task, item: TradeoffItem, w: float) -> str:
        name, template = self.steering_template(task)
        pct_a = int(round(100 * w))
        a = (item.name_a, pct_a)
        b = (item.name_b, 100 - pct_a)
        # A first unless the loader drew the order (value pairs)
        first, second = (b, a) if item.has("a_first") and not item.a_first else (a, b)
        return fill(template, f"{task.path}: prompt.steering_prompts.{name}", **text_fields(item), pct_a=a[1],
                    pct_b=b[1], first_name=first[0], first_pct=first[1], second_name=second[0],
                    second_pct=second[1], options=lettered(item.options))

    def requests(self, task, items: list[TradeoffItem]):
        prefix = task.prompt.get("answer_prefix")
        return [[OptionQuery(self.prompt(task, it, w), tuple(it.options), prefix) for w in self.weights(task)]
                for it in items]

    def references(self, task, items: list[TradeoffItem]):
        """The mixture w * target_A + (1 - w) * target_B each steered prompt is compared with, for items whose
        objectives are both target distributions; None for the others."""
        out = []
        for it in items:
            objectives = it.objectives[:2]
            if all("target" in o for o in objectives):
                pa, pb = (np.asarray(o["target"], dtype=np.float64) for o in objectives)
                out.append([(w * pa + (1 - w) * pb).tolist() for w in self.weights(task)])
            else:
                out.append([None] * len(self.weights(task)))
        return out

    def metric_parameters(self, task) -> dict:
        name, template = self.steering_template(task)
        p = task.params
        return {
            "weights": self.weights(task),
            "commensurating_functions": "f_w = w * o_A + (1 - w) * o_B",
            "steering_prompt": {"name": name, "template": template, "sha256": sha256_text(template)},
            "similarity": similarity_spec(p, "similarity"),
            "mixture_jsd_base": p.get("mixture_jsd_base", 2),
            "strict_score": "share of f_w whose steered model is best under f_w (ties at the top count as best); "
                            "functions under which every steered model scores the same are left out",
            "soft_score": "(f(M_f) - min_f' f(M_f')) / (max - min), averaged over f where the steered models differ",
            "spearman": "rank correlation between w and the achieved trade-off o_A - o_B, per item",
            "headline": self.headline(task),
            "bootstrap": bootstrap_settings(p) | {"unit": "item"},
            "mixture_variation": VARIATION_RECORD,
        }

    # scoring ----------------------------------------------------------------------------------------
    def score(self, task, items: list[TradeoffItem], outputs, *, seed, judgements=None,
              resolution: int | None = None):
        similarity = similarity_function(similarity_spec(task.params, "similarity"))
        samples, kept = split_scored(self._score_item(task, similarity, item, predictions)
                                     for item, predictions in zip(items, outputs))
        metrics = self._metrics(task, items, samples, kept, seed)
        if kept and all(r.mixtures is not None for r in kept):
            metrics["reference_points"] = mixture_reference_points(
                kept, task.params.get("mixture_jsd_base", 2), bootstrap_settings(task.params), seed, resolution)
        return Scored(samples, metrics)

    def _score_item(self, task, similarity, item: TradeoffItem,
                    predictions: list[dict]) -> tuple[dict, SteeredItem | None]:
        """The item's sample and, unless some steered prompt gave the options no mass, its trade-off scores."""
        weights = self.weights(task)
        pis = [predicted_distribution(o) for o in predictions]
        masses = [o["covered_mass"] for o in predictions]
        sample = {"id": item.id, "group": None,
                  "prompt_sha256": sha256_text("\n\n".join(self.prompt(task, item, w) for w in weights)),
                  "options": item.options, "name_a": item.name_a, "name_b": item.name_b,
                  "covered_mass": float(np.mean(masses)), "covered_mass_by_weight": masses}
        if any(pi is None for pi in pis):
            sample.update(metrics=None, excluded="no probability mass on the options for some steering weight")
            return sample, None
        row = steered_item(item, pis, weights, similarity, task.params.get("mixture_jsd_base", 2))
        sample.update(model_distributions={_wkey(w): pi.tolist() for w, pi in zip(weights, pis)},
                      objectives={_wkey(w): {"o_a": float(o[0]), "o_b": float(o[1])}
                                  for w, o in zip(weights, row.objectives)},
                      matrix=row.matrix.tolist(), metrics=sample_metrics(row))
        return sample, row

    def _metrics(self, task, items: list[TradeoffItem], samples, kept: list[SteeredItem], seed: int) -> dict:
        p = task.params
        boot = bootstrap_settings(p)
        weights = self.weights(task)
        has_mixture = bool(kept) and all(r.mixture_jsd is not None for r in kept)
        tradeoff = tradeoff_block(kept, weights, has_mixture, boot, seed)
        name, template = self.steering_template(task)
        tradeoff["steering_prompt"] = {"name": name, "sha256": sha256_text(template)}
        return {
            "headline": self.headline(task),
            "overall": overall_block(kept, samples, has_mixture, boot, seed),
            "tradeoff": tradeoff,
            "coverage": mass_summary([s["covered_mass"] for s in samples]),
            "counts": {"items": len(items), "scored": len(kept), "excluded_no_option_mass": excluded_count(samples),
                       "prompts_per_item": len(weights)},
            "notes": list(p.get("notes", [])),
        }
