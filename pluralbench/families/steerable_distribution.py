"""Steerable pluralism on surveys (OpinionQA; Santurkar et al. 2023, Modular Pluralism): the prompt
names a demographic group, and the model's answer distribution should match that group's.

Each item is (question, group). The model answers it once per steering style (declared in the task
file: QA, BIO, PORTRAY by default) and once unsteered (the question alone; one request per question).
Per item and style: most-likely-answer match, JS distance, and 1 - normalised ordinal Wasserstein
distance with refusals (and options without an ordinal position) removed and both sides renormalised.

Steerability per group is the score under the group's best style (chosen by `best_style_by`, on the
group's mean), as in Santurkar et al.; category numbers average the groups of a category, and the
headline averages the categories (Modular Pluralism's "averaged"). The bootstrap re-selects the best
style in every resample, so CIs include the optimism of picking a maximum (the matrices for that are
in steering_statistic.py; this module builds the samples, the per-item values and the metrics blocks).
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import NamedTuple

import numpy as np

from pluralbench.core.items import OptionItem
from pluralbench.core.prompts import fill, steered
from pluralbench.elicitation import OptionQuery
from pluralbench.elicitation.diagnostics import mass_summary
from pluralbench.elicitation.predictions import (
    external_distribution,
    from_sample_fields,
    sample_output_fields,
)
from pluralbench.errors import UserError
from pluralbench.families.base import Scored, TaskFamily
from pluralbench.families.common import BOOTSTRAP_SCHEMA, NOTES_SCHEMA, bootstrap_settings
from pluralbench.families.human_reference import VARIATION_DIRECTIONS, VARIATION_RECORD
from pluralbench.families.steering_statistic import Column, GroupLayout, SteeringStatistic, metric_blocks
from pluralbench.hashing import sha256_text
from pluralbench.metrics.declared import direction_of
from pluralbench.metrics.divergence import js_distance, most_likely_match
from pluralbench.metrics.ordinal import ordinal_similarity
from pluralbench.metrics.reference_block import Humans, point_values, with_labels
from pluralbench.metrics.rowwise import js_distance_rows, most_likely_match_rows
from pluralbench.metrics.summary import defined_mean_with_ci, index_by, statistics_with_ci
from pluralbench.metrics.variation import simbench_norm, simbench_scores, total_variation, total_variation_rows
from pluralbench.registry import task_families

# Each one's direction comes from the registry (simbench_score's, which needs the task's norm, from VARIATION_DIRECTIONS).
METRICS = ("most_likely_match", "js_distance", "ordinal_similarity", "tv", "simbench_score")
EXTERNAL = "external"  # the one style of predictions made elsewhere (their steering is unknown)
BASELINE = "population_marginal"
UNSTEERED = "unsteered"  # the row kind (and sample key) of the question asked without steering
REFERENCE = "reference:"  # the row kinds of the human reference points ("reference:modal", ...)


def ordinal_score(pred, gold, positions) -> float | None:
    """1 - normalised Wasserstein over the options that have an ordinal position; None if undefined."""
    keep = [i for i, x in enumerate(positions) if x is not None]
    if len({positions[i] for i in keep}) < 2:
        return None
    p, g = np.asarray(pred)[keep], np.asarray(gold)[keep]
    if p.sum() <= 0 or g.sum() <= 0:
        return None
    return ordinal_similarity(p, g, [positions[i] for i in keep])


def item_metrics(pred, gold, positions, js_base, norm: float) -> dict:
    """`norm`: the SimBench norm, mean TV(human, uniform) over the task's items."""
    tv = total_variation(pred, gold)
    return {"most_likely_match": most_likely_match(pred, gold), "js_distance": js_distance(pred, gold, js_base),
            "ordinal_similarity": ordinal_score(pred, gold, positions), "tv": tv,
            "simbench_score": float(simbench_scores(tv, [norm]))}


@task_families.register("steerable_distribution")
class SteerableDistribution(TaskFamily):
    name = "steerable_distribution"
    item_type = OptionItem
    _text = {"type": "string", "minLength": 1}
    params_schema = {
        "type": "object",
        "additionalProperties": False,
        "required": ["styles", "categories"],
        "properties": {
            "styles": {"type": "object", "minProperties": 1, "additionalProperties": _text},
            "unsteered": _text,
            "categories": {
                "type": "object", "minProperties": 1,
                "additionalProperties": {
                    "type": "object", "additionalProperties": {"type": ["string", "object", "boolean"]},
                    "required": ["name"],
                    "properties": {"name": _text, "values": {"type": "object", "additionalProperties": _text},
                                   "lower": {"type": "boolean"}},
                },
            },
            "best_style_by": {"enum": list(METRICS)},
            "headline": {"enum": list(METRICS)},
            "refusal_options": {"type": "array", "items": {"type": "string"}},
            "js_base": {"oneOf": [{"type": "number"}, {"const": "e"}]},
            "bootstrap": BOOTSTRAP_SCHEMA,
            "notes": NOTES_SCHEMA,
        },
    }

    # prompts -------------------------------------------------------------------------------------
    def _styles(self, task) -> list[str]:
        return list(task.params["styles"])

    def _category(self, task, group: str) -> GroupCategory:
        attr, _, raw = group.partition("_")
        spec = task.params["categories"].get(attr)
        if spec is None or not raw:
            raise UserError(f"task {task.name}: group {group!r} is not ATTRIBUTE_value with an attribute in "
                            f"params.categories ({', '.join(task.params['categories'])})")
        return GroupCategory(attr, spec, raw)

    def _category_name(self, task, group: str) -> str:
        return self._category(task, group).spec["name"]

    def steered_prompt(self, task, item: OptionItem, style: str) -> str:
        attr, spec, raw = self._category(task, item.group)
        value = spec.get("values", {}).get(raw, raw.lower() if spec.get("lower") else raw)
        where = f"task {task.name} params.categories.{attr}"
        persona = {k: fill(v, f"{where}.{k}", value=value, raw=raw) for k, v in spec.items() if isinstance(v, str)}
        return steered(task.params["styles"][style], item.prompt, f"task {task.name} params.styles.{style}", **persona)

    def unsteered_prompt(self, task, item: OptionItem) -> str:
        return fill(task.params.get("unsteered", "{question}"), f"task {task.name} params.unsteered",
                    question=item.prompt)

    def requests(self, task, items: list[OptionItem]):
        prefix = task.prompt.get("answer_prefix")
        out = []
        for it in items:
            prompts = [self.steered_prompt(task, it, s) for s in self._styles(task)] + [self.unsteered_prompt(task, it)]
            out.append([OptionQuery(p, tuple(it.options), prefix) for p in prompts])
        return out

    def references(self, task, items: list[OptionItem]):
        # Every prompt of an item, steered or not, is scored against the item's group distribution.
        return [[it.gold] * (len(self._styles(task)) + 1) for it in items]

    def metric_parameters(self, task) -> dict:
        p = task.params
        return {
            "styles": dict(p["styles"]),
            "unsteered": p.get("unsteered", "{question}"),
            "best_style_by": self._select_by(task),
            "headline": self._headline(task),
            "js_base": str(p.get("js_base", 2)),
            "refusal_options": self._refusals(task),
            "refusals": "options named in refusal_options stay answer options (for most-likely match and JS) and "
                        "are removed, with renormalisation, for the ordinal score",
            "prompt_style": "steering templates in `styles` (best per group reported) and the unsteered template",
            "ordinal": "1 - W1(model, group) / (max position - min position) over options with an ordinal position; "
                       "refusals and unpositioned options removed and both distributions renormalised (Santurkar et al.)",
            "ordinal_positions": "the item's ordinal_positions when the data has them (OpinionQA info.csv), "
                                 "otherwise the option order 1..k",
            "population_marginal": "the population's answer distribution when the data has it (pooled raw counts), "
                                   "otherwise the mean of the other groups' distributions for the same question",
            "aggregation": "group = mean over its items under its best style; category = mean of its groups; "
                           "headline = mean of categories",
            "bootstrap": bootstrap_settings(task.params) | {"unit": "question (items sharing a question resample together)"},
            **VARIATION_RECORD,
        }

    def _headline(self, task) -> str:
        return task.params.get("headline", "most_likely_match")

    def headline_metric(self, task) -> tuple[str | None, str | None]:
        return self._headline(task), direction_of(self._headline(task))

    def _select_by(self, task) -> str:
        return task.params.get("best_style_by", "ordinal_similarity")

    def _refusals(self, task) -> list[str]:
        return list(task.params.get("refusal_options", ["Refused"]))

    # predictions -----------------------------------------------------------------------------------
    def prediction_from_row(self, task, row, *, path, index):
        dist = external_distribution(row.get("pred_distribution"), len(row.get("options") or []), path=path, row=index,
                                     item_id=row.get("id"), field="pred_distribution")
        return {"styles": {EXTERNAL: dist}, UNSTEERED: None}

    def prediction_from_sample(self, task, sample, *, path, index, item: OptionItem):
        n = len(item.options)

        def read(block):
            return from_sample_fields(block, n, path=path, row=index, item_id=sample.get("id"))

        unsteered = sample.get(UNSTEERED)
        return {"styles": {s: read(b) for s, b in (sample.get("styles") or {}).items()},
                UNSTEERED: read(unsteered) if unsteered else None}

    # scoring ---------------------------------------------------------------------------------------
    def score(self, task, items, outputs, *, seed, judgements=None, resolution: int | None = None):
        styles = self._styles(task)
        preds = [{"styles": dict(zip(styles, outs[: len(styles)])), UNSTEERED: outs[len(styles)]} for outs in outputs]
        return self.score_predictions(task, items, preds, seed=seed, resolution=resolution)

    def score_predictions(self, task, items: list[OptionItem], predictions, *, seed, resolution: int | None = None):
        run = self._scoring(task, items, predictions, seed, resolution)
        samples, values = self._score_items(run, items, predictions)
        layout = self._layout(task, items)
        statistic = SteeringStatistic(values.of, run.columns, run.styles, run.select_by,
                                      direction_of(run.select_by) == "higher", layout)
        best = best_style_names(statistic, run.styles, len(items))
        clusters = [it.prompt for it in items]  # items sharing a question resample together
        overall = overall_blocks(run, statistic, clusters)
        # No style answered on any item: nothing to score, and no blocks (as multiple_choice_distribution).
        groups = {"category": category_blocks(run, statistic, layout, clusters),
                  "group": group_blocks(run, values.of, layout, best)} if run.styles else {}
        attach_sample_metrics(samples, [best[k] for k in layout.group_of_item])
        metrics = {
            "headline": self._headline(task),
            "overall": overall["metrics"],
            "styles": overall["styles"],
            "best_style_by": run.select_by,
            "best_styles": dict(zip(layout.groups, best)),
            "baselines": overall["baselines"],
            "groups": groups,
            "coverage": mass_summary(covered_masses(samples)),
            "counts": counts_block(run, items, samples, values.of, layout),
            "notes": notes_block(run),
            "reference_points": with_labels(overall.get("reference_points", {}), run.humans, run.resolution),
        }
        return Scored(samples, metrics)

    def _scoring(self, task, items: list[OptionItem], predictions, seed, resolution: int | None) -> Scoring:
        styles = answered_styles(self._styles(task), predictions)
        has_unsteered = any(_answered(p.get(UNSTEERED)) for p in predictions)
        humans = Humans([it.gold for it in items],
                        respondents=[it.respondents if it.has("respondents") else None for it in items])
        norm = simbench_norm(humans.distributions)
        refusals, js_base = set(self._refusals(task)), task.params.get("js_base", 2)
        points = point_values(humans, reference_scorer(items, refusals, js_base, norm), resolution=resolution,
                              seed=seed) if items else {}
        columns = statistic_columns(styles, has_unsteered) + reference_columns(points)
        return Scoring(task, styles, has_unsteered, columns, self._select_by(task), js_base, refusals,
                       bootstrap_settings(task.params), seed, norm, humans, resolution, points)

    def _layout(self, task, items: list[OptionItem]) -> GroupLayout:
        groups = sorted({it.group for it in items})
        index = {g: k for k, g in enumerate(groups)}
        attributes = list(task.params["categories"])
        by_attribute = sorted(groups, key=lambda g: attributes.index(g.partition("_")[0]))
        return GroupLayout(groups, np.asarray([index[it.group] for it in items], dtype=np.int64),
                           [self._category_name(task, g) for g in groups],
                           list(dict.fromkeys(self._category_name(task, g) for g in by_attribute)))

    # per item ------------------------------------------------------------------------------------------
    def _score_items(self, run: Scoring, items: list[OptionItem], predictions) -> tuple[list[dict], PerItemValues]:
        values = PerItemValues([*run.styles, UNSTEERED, BASELINE], len(items))
        for point, by_metric in run.points.items():  # reference points: row kinds aggregated like the model's
            values.of[REFERENCE + point] = by_metric
        same_question = index_by(it.prompt for it in items)
        samples = [self._item_sample(run, items, i, prediction, same_question, values)
                   for i, (_, prediction) in enumerate(zip(items, predictions))]
        return samples, values

    def _item_sample(self, run: Scoring, items: list[OptionItem], i: int, prediction: dict, same_question: dict,
                     values: PerItemValues) -> dict:
        """Item i's sample (each answer with its metrics, the baseline); its metric values go into `values`."""
        item = items[i]
        positions = ordinal_positions(item, run.refusals)
        gold = np.asarray(item.gold)
        baseline = population_baseline(items, i, same_question)
        sample = {"id": item.id, "group": item.group, "category": self._category_name(run.task, item.group),
                  "prompt_sha256": sha256_text(item.prompt), "options": item.options,
                  "human_distribution": item.gold, "ordinal_positions": positions, "styles": {}}
        for kind, answer in answers_of(prediction, run.styles):
            metrics = item_metrics(answer["distribution"], gold, positions, run.js_base, run.norm)
            values.record(kind, i, metrics)
            block = self._answer_block(run.task, item, kind, answer, metrics)
            if kind == UNSTEERED:
                sample[UNSTEERED] = block
            else:
                sample["styles"][kind] = block
        if baseline is not None:
            values.record(BASELINE, i, item_metrics(baseline, gold, positions, run.js_base, run.norm))
            sample[BASELINE] = baseline
        return sample

    def _answer_block(self, task, item: OptionItem, kind: str, answer: dict, metrics: dict) -> dict:
        """One answer in a sample; predictions made elsewhere have no prompt hash (their prompt is unknown)."""
        prompt = {} if kind == EXTERNAL else {"prompt_sha256": sha256_text(self._prompt(task, item, kind))}
        return (prompt | {"model_distribution": list(answer["distribution"])} | sample_output_fields(answer)
                | {"metrics": metrics})

    def _prompt(self, task, item: OptionItem, kind: str) -> str:
        """The prompt behind an answer of this kind: a declared style's, or else the unsteered one."""
        if kind in self._styles(task):
            return self.steered_prompt(task, item, kind)
        return self.unsteered_prompt(task, item)


class GroupCategory(NamedTuple):
    """A group label ATTRIBUTE_value read against params.categories."""
    attribute: str  # e.g. POLPARTY
    spec: dict  # the category's entry in params.categories: its name and persona fields
    raw: str  # the value as the data labels it, e.g. Democrat


# Scoring steps: settings -> per-item values -> statistics (overall, categories, groups) -> samples' metrics.

@dataclass(frozen=True)
class Scoring:
    """One scoring pass's settings: the task's, and which answers the predictions hold."""
    task: object
    styles: list[str]  # answered_styles
    has_unsteered: bool
    columns: list[Column]
    select_by: str
    js_base: float | str
    refusals: set[str]
    bootstrap: dict
    seed: int
    norm: float  # the SimBench norm: mean TV(human, uniform) over the items
    humans: Humans
    resolution: int | None  # the read-out's (Elicitation.resolution), for its resolution floor
    points: dict  # reference point -> metric -> value per item (reference_block.point_values)


class PerItemValues:
    """Every metric per item for each row kind (a style, the unsteered answers, the baseline): NaN where the
    item has no answer of that kind or the metric is undefined for it."""

    def __init__(self, kinds: list[str], n: int):
        self.of = {kind: {m: np.full(n, np.nan) for m in METRICS} for kind in kinds}

    def record(self, kind: str, i: int, metrics: dict) -> None:
        for m, v in metrics.items():
            self.of[kind][m][i] = np.nan if v is None else v


def _answered(prediction: dict | None) -> bool:
    """Whether a prediction holds a distribution (one with no mass on any option holds none)."""
    return bool(prediction) and prediction["distribution"] is not None


def answered_styles(declared: list[str], predictions: list[dict]) -> list[str]:
    """The styles some item has an answer for: declared ones in task-file order, then others by name."""
    seen = {s for p in predictions for s, d in p["styles"].items() if _answered(d)}
    return [s for s in declared if s in seen] + sorted(seen - set(declared))


def answers_of(prediction: dict, styles: list[str]) -> list[tuple[str, dict]]:
    """(kind, answer) for every answered style, then the unsteered answer."""
    kinds = [(s, prediction["styles"].get(s)) for s in styles] + [(UNSTEERED, prediction.get(UNSTEERED))]
    return [(kind, answer) for kind, answer in kinds if _answered(answer)]


def _column(name: str, metric: str, block: str, kind: str | None = None, minus: str | None = None) -> Column:
    return Column(name, metric, VARIATION_DIRECTIONS.get(metric) or direction_of(metric), block, kind, minus)


def reference_columns(points: dict) -> list[Column]:
    """The reference points' columns, after every other (so adding them changes no other column's draws)."""
    return [_column(f"reference_{point}_{m}", m, "reference_points", REFERENCE + point)
            for point, by_metric in points.items() for m in by_metric]


def reference_scorer(items: list[OptionItem], refusals: set[str], js_base, norm: float):
    """The reference-points scorer: every metric of METRICS for stand-ins of the items at `rows`, equal to
    item_metrics row by row (a test pins them) but vectorised over the rows that share ordinal positions:
    the sampling floor scores every row 200 times."""
    positions = [tuple(ordinal_positions(it, refusals)) for it in items]

    def score(stand_ins, refs, rows) -> dict:
        out = {m: np.full(len(rows), np.nan) for m in METRICS}
        by_positions: dict[tuple, list[int]] = {}
        for k, i in enumerate(rows):
            by_positions.setdefault(positions[i], []).append(k)
        for shared, idx in by_positions.items():
            p, q = np.stack([stand_ins[k] for k in idx]), np.stack([refs[k] for k in idx])
            tv = total_variation_rows(p, q)
            for m, values in (("most_likely_match", most_likely_match_rows(p, q)),
                              ("js_distance", js_distance_rows(p, q, js_base)),
                              ("ordinal_similarity", ordinal_similarity_rows(p, q, shared)), ("tv", tv),
                              ("simbench_score", simbench_scores(tv, [norm]))):
                out[m][idx] = values
        return out

    return score


def ordinal_similarity_rows(p: np.ndarray, q: np.ndarray, positions: tuple) -> np.ndarray:
    """ordinal_score for rows sharing their options' positions: NaN where it is undefined."""
    keep = [i for i, x in enumerate(positions) if x is not None]
    pos = np.asarray([positions[i] for i in keep], dtype=np.float64)
    if len(set(pos.tolist())) < 2:
        return np.full(len(p), np.nan)
    p, q = p[:, keep], q[:, keep]
    p_sum, q_sum = p.sum(axis=1, keepdims=True), q.sum(axis=1, keepdims=True)
    ok = (p_sum[:, 0] > 0) & (q_sum[:, 0] > 0)
    order = np.argsort(pos, kind="stable")
    with np.errstate(invalid="ignore", divide="ignore"):
        cdf_gap = np.cumsum(p[:, order] / p_sum, axis=1) - np.cumsum(q[:, order] / q_sum, axis=1)
    distance = np.sum(np.abs(cdf_gap[:, :-1]) * np.diff(pos[order]), axis=1)
    return np.where(ok, 1.0 - distance / float(pos.max() - pos.min()), np.nan)


def statistic_columns(styles: list[str], has_unsteered: bool) -> list[Column]:
    """Every reported statistic with its direction, in the order the bootstrap computes them (one set of
    draws serves all columns, so the order is part of the numbers)."""
    columns = [_column(m, m, "metrics") for m in METRICS]
    if has_unsteered:
        columns += [_column(f"unsteered_{m}", m, "metrics", UNSTEERED) for m in METRICS]
        columns += [_column(f"steering_gain_{m}", m, "metrics", minus=UNSTEERED) for m in METRICS]
    columns += [_column(f"{BASELINE}_{m}", m, "baselines", BASELINE) for m in METRICS]
    return columns + [_column(f"{s}_{m}", m, "styles", s) for s in styles for m in METRICS]


def ordinal_positions(item: OptionItem, refusals: set[str]) -> list[float | None]:
    """The item's ordinal positions (the option order 1..k when the data has none); refusals have none."""
    positions = item.ordinal_positions or [float(k + 1) for k in range(len(item.options))]
    return [None if o in refusals else x for o, x in zip(item.options, positions)]


def ordinal_tally(items: list[OptionItem], refusals: set[str]) -> dict:
    """Where the items' ordinal positions came from: the option order 1..k (the data gave none) or the data,
    whose positions may equal the option order, reorder it, leave a non-refusal option out (dropped for the
    ordinal score) or be all equal (the score is undefined). The first that applies counts."""
    tally = dict.fromkeys(("option_order", "from_data", "same_as_option_order", "reordered", "options_dropped",
                           "all_equal"), 0)
    for item in items:
        if not item.ordinal_positions:
            tally["option_order"] += 1
            continue
        tally["from_data"] += 1
        positions = ordinal_positions(item, refusals)
        defined = [x for x in positions if x is not None]
        unpositioned = any(x is None and o not in refusals for o, x in zip(item.options, positions))
        tally["all_equal" if len(set(defined)) < 2 else "options_dropped" if unpositioned
              else "same_as_option_order" if defined == [float(k + 1) for k in range(len(defined))]
              else "reordered"] += 1
    return tally


def population_baseline(items: list[OptionItem], i: int, same_question: dict) -> list | None:
    """The population's distribution when the data has it, else the mean of the other groups' distributions
    for item i's question (None if no other group answered it)."""
    item = items[i]
    if item.has("population") and item.population is not None:
        return item.population
    others = [items[j].gold for j in same_question[item.prompt] if j != i]
    return np.mean(others, axis=0).tolist() if others else None


def best_style_names(statistic: SteeringStatistic, styles: list[str], n: int) -> list[str | None]:
    """Each group's best style on all items (None for every group when no style was answered)."""
    if not styles:
        return [None] * statistic.n_groups
    return [styles[int(k)] for k in statistic.best_styles(statistic.group_means(np.arange(n)))]


def _with_ci(run: Scoring, statistic: SteeringStatistic, positions, clusters: list, only: str | None = None) -> dict:
    """Every column's statistic over the items at `positions` (of category `only`), with bootstrap CIs."""
    positions = np.asarray(positions, dtype=np.int64)
    return statistics_with_ci(lambda k: statistic(positions[k], only), [c.name for c in run.columns], len(positions),
                              clusters=[clusters[i] for i in positions], bootstrap=run.bootstrap, seed=run.seed,
                              directions={c.name: c.direction for c in run.columns})


def overall_blocks(run: Scoring, statistic: SteeringStatistic, clusters: list) -> dict:
    if not (clusters and run.styles):
        return {"metrics": {}, "baselines": {}, "styles": {}}
    return metric_blocks(_with_ci(run, statistic, np.arange(len(clusters)), clusters), run.columns)


def category_blocks(run: Scoring, statistic: SteeringStatistic, layout: GroupLayout, clusters: list) -> dict:
    """Per category: its items' statistics, its groups averaged (each under its own best style)."""
    members = index_by(layout.category_of_group[g] for g in layout.group_of_item)
    blocks = {}
    for c in layout.categories:
        groups = sorted({layout.groups[layout.group_of_item[i]] for i in members[c]})
        blocks[c] = ({"n": len(members[c]), "groups": groups}
                     | metric_blocks(_with_ci(run, statistic, members[c], clusters, only=c), run.columns))
    return blocks


def group_blocks(run: Scoring, values: dict, layout: GroupLayout, best: list[str | None]) -> dict:
    """Per group: the mean over its items of every column, the steered ones under the group's best style."""
    members = index_by(layout.groups[g] for g in layout.group_of_item)
    blocks = {}
    for k, g in enumerate(layout.groups):
        stats = {c.name: defined_mean_with_ci(c.per_item(values, best[k])[members[g]], bootstrap=run.bootstrap,
                                              seed=run.seed, direction=c.direction) for c in run.columns}
        blocks[g] = ({"n": len(members[g]), "category": layout.category_of_group[k], "best_style": best[k]}
                     | metric_blocks(stats, run.columns))
    return blocks


def attach_sample_metrics(samples: list[dict], best_styles: list[str | None]) -> None:
    """Each sample's metrics: its answer under its group's best style, and its unsteered answer's."""
    for sample, chosen in zip(samples, best_styles):
        block = sample["styles"].get(chosen, {}).get("metrics", {})
        unsteered = sample.get(UNSTEERED, {}).get("metrics", {})
        sample["metrics"] = ({"best_style": chosen} | {m: block.get(m) for m in METRICS}
                             | {f"unsteered_{m}": unsteered.get(m) for m in METRICS}) if block else None


def covered_masses(samples: list[dict]) -> list[float | None]:
    return [a["covered_mass"] for s in samples for a in [*s["styles"].values(), s.get(UNSTEERED) or {}] if a]


def counts_block(run: Scoring, items: list[OptionItem], samples: list[dict], values: dict, layout: GroupLayout) -> dict:
    """Items scored: those with a readable answer under some style or unsteered; the rest are excluded and counted."""
    scored = sum(1 for s in samples if s["styles"] or s.get(UNSTEERED))
    return {"items": len(items), "scored": scored, "excluded_no_option_mass": len(items) - scored,
            "groups": len(layout.groups), "categories": len(layout.categories),
            "styles": len(run.styles), "questions": len({it.prompt for it in items}),
            "ordinal_undefined": int(np.isnan(values[run.styles[0]]["ordinal_similarity"]).sum()) if run.styles else 0,
            **{f"ordinal_positions_{k}": n for k, n in ordinal_tally(items, run.refusals).items()}}


def notes_block(run: Scoring) -> list[str]:
    return (["overall averages categories, each the mean of its groups; a group's steered score uses its "
             f"best style by {run.select_by} (styles lists each style on its own)."]
            + ([] if run.styles else ["No item has a readable answer under any style: nothing scored."])
            + ([] if run.has_unsteered else ["No unsteered answers: steering gain not computed."])
            + list(run.task.params.get("notes", [])))
