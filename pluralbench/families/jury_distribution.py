"""Jury welfare of an answer distribution: each juror (a country, a demographic group) holds its own answer
distribution for the item, and its utility is its similarity to the model's (1 - JS distance, base 2, by
default). Welfare functions combine the jurors' utilities per item (then the mean over items), and
also the jurors' mean utilities over all items; the worst-served jurors are named.

Baselines scored the same way: `uniform` over the options, and `pooled` (the item's pooled answer
distribution: all raters together, or the mean of the jurors' distributions). Ranking the model and
the baselines under each welfare function shows whether utilitarian and maximin welfare disagree.
"""
from __future__ import annotations

from typing import Callable, NamedTuple

import numpy as np

from pluralbench.core.items import JuryItem
from pluralbench.core.prompts import fill, lettered
from pluralbench.elicitation import OptionQuery
from pluralbench.elicitation.diagnostics import mass_summary
from pluralbench.elicitation.predictions import exclude_sample
from pluralbench.families.base import Scored, TaskFamily
from pluralbench.families.common import BOOTSTRAP_SCHEMA, NOTES_SCHEMA, bootstrap_settings
from pluralbench.families.human_reference import (
    VARIATION_DIRECTIONS,
    VARIATION_RECORD,
    joint_scorer,
    variation_columns,
    variation_scorers,
)
from pluralbench.families.jury_common import (
    SIMILARITY_SCHEMA,
    WELFARE_SCHEMA,
    WELFARE_SLOTS,
    option_sample,
    predicted_distribution,
    similarity_function,
    similarity_spec,
    split_scored,
    text_fields,
    welfare_functions,
    welfare_means,
    welfare_parameters,
)
from pluralbench.metrics.declared import MetricSlot
from pluralbench.metrics.reference_block import Humans, reference_points
from pluralbench.metrics.summary import (
    SERVED_GROUPS_MIN_N,
    excluded_count,
    group_blocks,
    group_values,
    index_by,
    mean_with_ci,
    means_with_ci,
    served_groups,
)
from pluralbench.registry import task_families

SYSTEMS = ("model", "uniform", "pooled")


class JurySetup(NamedTuple):
    """What scoring an item needs from the task: the welfare functions, the juror utility, the weighting."""
    welfare: dict[str, Callable]  # name -> fn(utilities, weights)
    utility: Callable  # fn(distribution, juror's distribution) -> utility
    weigh_by_raters: bool


class ItemWelfare(NamedTuple):
    """One scored item: its jurors and, under each system (model and baselines), their utilities and the welfare."""
    jurors: list[str]
    utilities: dict[str, np.ndarray]  # system -> utility per juror
    welfare: dict[str, dict[str, float]]  # system -> welfare function -> value
    model: np.ndarray  # the model's distribution
    item: JuryItem


class JurorUtilities:
    """Every juror's utilities over the scored items, per system: one row per (item, juror), in item order."""

    def __init__(self, kept: list[ItemWelfare]):
        self.jurors = [name for row in kept for name in row.jurors]
        self.values = {s: np.array([u for row in kept for u in row.utilities[s]]) for s in SYSTEMS}
        # tv and simbench_score of the model against each juror's own distribution (norm: all juror rows)
        models = [row.model for row in kept for _ in row.jurors]
        humans = [np.asarray(row.item.jurors[name], dtype=np.float64) for row in kept for name in row.jurors]
        self.variation = variation_columns(models, humans)

    def means(self, system: str) -> np.ndarray:
        """Each juror's mean utility over the items it judged, jurors sorted by name."""
        return np.array([np.mean(self.values[system][rows]) for rows in index_by(self.jurors).values()])


def jury_welfare(setup: JurySetup, item: JuryItem, utilities: np.ndarray) -> dict[str, float]:
    """Each welfare function across an item's jurors' utilities (weighted by raters when the task says so)."""
    weights = (np.array([item.juror_sizes[n] for n in item.jurors], dtype=np.float64)
               if setup.weigh_by_raters else None)
    return {f: float(fn(utilities[:, None], weights)[0]) for f, fn in setup.welfare.items()}


def pooled_variation(kept: list[ItemWelfare], bootstrap: dict, seed: int) -> dict:
    """tv and simbench_score of the model against each item's pooled human distribution."""
    pooled = [np.asarray(r.item.pooled, dtype=np.float64) for r in kept]
    return means_with_ci(variation_columns([r.model for r in kept], pooled), bootstrap=bootstrap, seed=seed,
                         directions=VARIATION_DIRECTIONS) if kept else {}


def jury_reference_points(kept: list[ItemWelfare], setup: JurySetup, bootstrap: dict, seed: int,
                          resolution: int | None) -> dict:
    """The welfare functions for stand-ins derived from each item's pooled distribution (every juror's utility
    from it), and tv / simbench_score against the pooled distribution, where the raters' answers also give
    the sampling floor and split-half agreement. Welfare has no sampling floor: resampling the pooled
    distribution says nothing about how each juror's own distribution would move."""
    pooled = [np.asarray(r.item.pooled, dtype=np.float64) for r in kept]

    def welfare(stand_ins, refs, rows):
        per_row = [jury_welfare(setup, kept[i].item, np.array([setup.utility(s, np.asarray(kept[i].item.jurors[n]))
                                                               for n in kept[i].jurors]))
                   for s, i in zip(stand_ins, rows)]
        return {f: np.array([w[f] for w in per_row]) for f in setup.welfare}

    # each rater's option index where the loader kept them (rater data), None for survey shares
    ratings = [r.item.ratings if r.item.has("ratings") else None for r in kept]
    per_rater = Humans(pooled, respondents=[len(x) if x else None for x in ratings],
                       ratings=ratings if any(x is not None for x in ratings) else None)
    common = {"resolution": resolution, "bootstrap": bootstrap, "seed": seed}
    return (reference_points(Humans(pooled), welfare, dict.fromkeys(setup.welfare, "higher"), **common)
            | reference_points(per_rater, joint_scorer(variation_scorers(pooled)), VARIATION_DIRECTIONS, **common))


def sample_metrics(welfare: dict[str, dict[str, float]]) -> dict:
    """A sample's metrics: the model's welfare under the function's name, a baseline's as `<system>_<name>`."""
    return {(f if s == "model" else f"{s}_{f}"): w for s, by_f in welfare.items() for f, w in by_f.items()}


def over_juror_means(means: np.ndarray, fns: dict) -> dict:
    """Welfare across the jurors' mean utilities (one number, no CI) under each welfare function."""
    return {f: {"value": float(fn(means[:, None])[0]) if means.size else None, "ci_low": None, "ci_high": None,
                "n": len(means), "direction": "higher"} for f, fn in fns.items()}


def juror_groups(jurors: JurorUtilities, bootstrap: dict, seed: int) -> dict:
    """Per juror: its mean utility from the model and from each baseline."""
    def utilities(rows, systems):
        return welfare_means({s: jurors.values[s][rows] for s in systems}, bootstrap=bootstrap, seed=seed)

    def variation(rows):
        return means_with_ci({k: v[rows] for k, v in jurors.variation.items()}, bootstrap=bootstrap, seed=seed,
                             directions=VARIATION_DIRECTIONS)

    return group_blocks(index_by(jurors.jurors),
                        metrics=lambda rows: {"utility": utilities(rows, SYSTEMS[:1])["model"]} | variation(rows),
                        baselines=lambda rows: {s: {"utility": ci} for s, ci in utilities(rows, SYSTEMS[1:]).items()})


def system_welfare(kept: list[ItemWelfare], jurors: JurorUtilities, fns: dict, bootstrap: dict, seed: int) -> dict:
    """Per system: the mean over items of the welfare across each item's jurors, and the welfare across
    the jurors' mean utilities."""
    return {s: {"per_item": welfare_means({f: [r.welfare[s][f] for r in kept] for f in fns}, bootstrap=bootstrap,
                                          seed=seed),
                "over_juror_means": over_juror_means(jurors.means(s), fns)} for s in SYSTEMS}


def rankings_block(per_item: dict[str, dict], fnames: list[str]) -> dict:
    """Per welfare function, the systems from best to worst (ties by name, a system without a value last),
    and whether each function ranks them differently from the first."""
    by_welfare = {}
    for f in fnames:
        values = {s: per_item[s][f]["value"] for s in SYSTEMS if f in per_item[s]}
        by_welfare[f] = sorted(values, key=lambda s: (-(values[s] if values[s] is not None else -np.inf), s))
    first = fnames[0]
    return {"systems": list(SYSTEMS), "by_welfare": by_welfare,
            "differs_from": {first: {f: by_welfare[f] != by_welfare[first] for f in by_welfare if f != first}}}


@task_families.register("jury_distribution")
class JuryDistribution(TaskFamily):
    name = "jury_distribution"
    item_type = JuryItem
    # A juror's utility must grow as the model's distribution comes closer to the juror's.
    metric_slots = WELFARE_SLOTS | {"$.utility.metric": MetricSlot("distribution_pair", direction="higher")}
    params_schema = {
        "type": "object",
        "additionalProperties": False,
        "required": ["welfare"],
        "properties": {
            "welfare": WELFARE_SCHEMA,
            "utility": SIMILARITY_SCHEMA,
            "juror_weights": {"enum": ["equal", "raters"]},
            "juror_name": {"type": "string"},
            "option_labels": {"type": "array", "minItems": 2, "items": {"type": "string"}},
            "headline": {"type": "string"},
            "bootstrap": BOOTSTRAP_SCHEMA,
            "served_groups_min_n": {"type": "integer", "minimum": 1},
            "notes": NOTES_SCHEMA,
        },
    }

    def _setup(self, task) -> JurySetup:
        p = task.params
        return JurySetup(welfare_functions(p["welfare"]), similarity_function(similarity_spec(p, "utility")),
                         p.get("juror_weights", "equal") == "raters")

    @staticmethod
    def headline(task) -> str:
        return task.params.get("headline", task.params["welfare"][0]["name"])

    def headline_metric(self, task) -> tuple[str | None, str | None]:
        return self.headline(task), "higher"  # every welfare is higher-is-better

    def options(self, task, item: JuryItem) -> list[str]:
        return item.options or task.params["option_labels"]

    def prompt(self, task, item: JuryItem) -> str:
        return fill(task.prompt["template"], f"{task.path}: prompt.template", **text_fields(item),
                    options=lettered(self.options(task, item)))

    def requests(self, task, items: list[JuryItem]):
        prefix = task.prompt.get("answer_prefix")
        return [[OptionQuery(self.prompt(task, it), tuple(self.options(task, it)), prefix)] for it in items]

    def references(self, task, items: list[JuryItem]):
        # The pooled human distribution: one target for the item, where welfare has one per juror.
        return [[it.pooled] for it in items]

    def metric_parameters(self, task) -> dict:
        p = task.params
        return {
            "welfare": welfare_parameters(p["welfare"]),
            "utility": similarity_spec(p, "utility"),
            "juror_weights": p.get("juror_weights", "equal"),
            "baselines": {"uniform": "uniform over the options",
                          "pooled": "the item's pooled human distribution (all raters, or the mean of the jurors')"},
            "per_item": "welfare across the jurors present for an item, then the mean over items",
            "over_juror_means": "each juror's mean utility over the items it judged, then welfare across jurors",
            "headline": self.headline(task),
            "bootstrap": bootstrap_settings(p) | {"unit": "item"},
            **VARIATION_RECORD,
            "variation": "tv and simbench_score against the pooled distribution (overall) and each juror's own "
                         "(groups)",
        }

    # scoring ----------------------------------------------------------------------------------------
    def score(self, task, items: list[JuryItem], outputs, *, seed, judgements=None, resolution: int | None = None):
        setup = self._setup(task)
        samples, kept = split_scored(self._score_item(task, setup, item, prediction)
                                     for item, (prediction,) in zip(items, outputs))
        return Scored(samples, self._metrics(task, setup, items, samples, kept, seed, resolution))

    def _score_item(self, task, setup: JurySetup, item: JuryItem, prediction: dict) -> tuple[dict, ItemWelfare | None]:
        """The item's sample and, unless the model gave its options no mass, its welfare."""
        sample = option_sample(item.id, item.jury, self.prompt(task, item), prediction,
                               options=self.options(task, item))
        pi = predicted_distribution(prediction)
        if pi is None:
            exclude_sample(sample)
            return sample, None
        scored = self._item_welfare(task, setup, item, pi)
        utilities = dict(zip(scored.jurors, scored.utilities["model"].tolist()))
        sample.update(model_distribution=pi.tolist(), juror_utilities=utilities, metrics=sample_metrics(scored.welfare),
                      worst_served=min(utilities, key=lambda n: (utilities[n], n)), human_distributions=item.jurors)
        return sample, scored

    def _item_welfare(self, task, setup: JurySetup, item: JuryItem, pi: np.ndarray) -> ItemWelfare:
        """Each juror's utility from the model's distribution and the baselines', and the welfare across them."""
        k = len(self.options(task, item))
        names = list(item.jurors)
        dists = [np.asarray(item.jurors[n], dtype=np.float64) for n in names]
        if any(d.size != k for d in dists):
            raise ValueError(f"item {item.id}: a juror's distribution does not match the {k} options")
        systems = {"model": pi, "uniform": np.full(k, 1.0 / k), "pooled": np.asarray(item.pooled)}
        utilities = {s: np.array([setup.utility(dist, d) for d in dists]) for s, dist in systems.items()}
        welfare = {s: jury_welfare(setup, item, u) for s, u in utilities.items()}
        return ItemWelfare(names, utilities, welfare, pi, item)

    def _metrics(self, task, setup: JurySetup, items: list[JuryItem], samples, kept: list[ItemWelfare], seed: int,
                 resolution: int | None = None) -> dict:
        p = task.params
        boot = bootstrap_settings(p)
        jurors = JurorUtilities(kept)
        welfare = system_welfare(kept, jurors, setup.welfare, boot, seed)
        masses = [s["covered_mass"] for s in samples]
        overall = dict(welfare["model"]["per_item"])
        overall["mean_juror_utility"] = mean_with_ci([np.mean(r.utilities["model"]) for r in kept], bootstrap=boot,
                                                     seed=seed, direction="higher")
        overall["covered_mass"] = mean_with_ci(masses, bootstrap=boot, seed=seed, direction="higher")
        overall |= pooled_variation(kept, boot, seed)
        groups = juror_groups(jurors, boot, seed)
        min_n = int(p.get("served_groups_min_n", SERVED_GROUPS_MIN_N))
        best, worst = served_groups(group_values(groups, "utility"), True, min_n)
        return {
            "headline": self.headline(task),
            "overall": overall,
            "baselines": {s: welfare[s]["per_item"] for s in SYSTEMS[1:]},
            "welfare": welfare,
            "groups": {p.get("juror_name", "juror"): groups} if groups else {},
            "worst_served_groups": worst,
            "best_served_groups": best,
            "served_groups_min_n": min_n,
            "rankings": rankings_block({s: welfare[s]["per_item"] for s in SYSTEMS}, list(setup.welfare)),
            "coverage": mass_summary(masses),
            "counts": {"items": len(items), "scored": len(kept), "excluded_no_option_mass": excluded_count(samples),
                       "jurors": len(groups)},
            "notes": list(p.get("notes", [])),
            "reference_points": jury_reference_points(kept, setup, boot, seed, resolution) if kept else {},
        }
