"""Distributional pluralism on multiple-choice surveys: how close is the model's answer distribution
to each population's? Used by GlobalOpinionQA (countries) and any file in the same shape.

One question asked of many populations is one model request: the prompt does not name the
population, so its answer serves every row that shares the prompt.
"""
from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from typing import NamedTuple

import numpy as np

from pluralbench.core.items import OptionItem
from pluralbench.elicitation.diagnostics import mass_summary, topk_summary
from pluralbench.elicitation.predictions import (
    exclude_sample,
    external_distribution,
    from_sample_fields,
    sample_output_fields,
)
from pluralbench.families.base import Scored
from pluralbench.families.common import BOOTSTRAP_SCHEMA, LOG_BASE_SCHEMA, NOTES_SCHEMA, bootstrap_settings
from pluralbench.families.human_reference import (
    ASSUMED_RESPONDENTS_SCHEMA,
    REFERENCE_POINTS_RECORD,
    SIMBENCH_RECORD,
    VARIATION_DIRECTIONS,
    VARIATION_RECORD,
    joint_scorer,
    pair_scorer,
    variation_scorers,
)
from pluralbench.families.option_items import OneQueryPerItem
from pluralbench.hashing import sha256_text
from pluralbench.metrics.declared import MetricSlot, direction_of
from pluralbench.metrics.divergence import log_base, most_likely_match
from pluralbench.metrics.ranking import auroc
from pluralbench.metrics.reference_block import Humans, reference_points
from pluralbench.metrics.rowwise import entropy_of, evaluate_pairs
from pluralbench.metrics.summary import (
    SERVED_GROUPS_MIN_N,
    group_blocks,
    index_by,
    known_mean_with_ci,
    means_with_ci,
    served_block,
    statistic_with_ci,
)
from pluralbench.registry import metrics as metric_registry
from pluralbench.registry import task_families

BASELINES = ("uniform", "marginal_loo", "shuffled")
# Reported for every task beside its own metrics (a task metric of the same name takes the place).
STANDARD = VARIATION_DIRECTIONS | {"most_likely_match": "higher"}


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
class MultipleChoiceDistribution(OneQueryPerItem):
    name = "multiple_choice_distribution"
    item_type = OptionItem
    reference_field = "gold"
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
            "entropy_base": LOG_BASE_SCHEMA,
            "baselines": {"type": "array", "items": {"enum": list(BASELINES)}},
            "bootstrap": BOOTSTRAP_SCHEMA,
            "notes": NOTES_SCHEMA,
            "assumed_respondents": ASSUMED_RESPONDENTS_SCHEMA,
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

    def headline_metric(self, task) -> tuple[str | None, str | None]:
        p = task.params
        name = p.get("headline", p["metrics"][0]["name"])
        declared = [direction_of(m["metric"]) for m in p["metrics"] if m["name"] == name]
        return name, declared[0] if declared else None

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
            "standard_metrics": _standard_record(p["metrics"]),
            "reference_points": REFERENCE_POINTS_RECORD,
        } | ({"assumed_respondents": p["assumed_respondents"]} if "assumed_respondents" in p else {}) | {
            k: p[k] for k in ("prompt_style", "refusals") if k in p} | (
            {"separation": p["separation"]} if "separation" in p else {}) | (
            {"reference": p["reference"]} if "reference" in p else {})

    # scoring ----------------------------------------------------------------------------------------
    def score(self, task, items, outputs, *, seed, judgements=None, resolution: int | None = None):
        return self.score_predictions(task, items, [pred for (pred,) in outputs], seed=seed, resolution=resolution)

    def prediction_from_row(self, task, row, *, path, index):
        return external_distribution(row.get("pred_distribution"), len(row.get("options") or []), path=path, row=index,
                                     item_id=row.get("id"), field="pred_distribution")

    def prediction_from_sample(self, task, sample, *, path, index, item: OptionItem):
        return from_sample_fields(sample, len(item.options), path=path, row=index, item_id=sample.get("id"))

    def score_predictions(self, task, items: list[OptionItem], predictions, *, seed, resolution: int | None = None):
        p = task.params
        specs = p["metrics"]
        fns = {m["name"]: metric_registry.get(m["metric"]) for m in specs}
        ent_base = p.get("entropy_base", 2)
        log_base(ent_base)  # validates the base early
        samples, rows = _rows(items, predictions)
        scorers = _scorers(specs, fns, [r.human for r in rows])
        columns = _item_columns(rows, scorers, ent_base)
        _record_item_metrics(rows, columns)
        baselines = _baselines(p.get("baselines", []), rows, specs, fns, seed)
        directions = {m["name"]: direction_of(m["metric"]) for m in specs}
        directions |= {k: v for k, v in STANDARD.items() if k not in directions}
        blocks = _Blocks(rows, columns, directions, bootstrap_settings(p), seed)
        groups = group_blocks(index_by([r.group for r in rows]), metrics=lambda ix: blocks.metrics(ix, False),
                              baselines=lambda ix: blocks.baselines(ix, False, baselines))
        overall = blocks.overall(p.get("separation", []))
        all_baselines = blocks.baselines(list(range(len(rows))), True, baselines) if rows else {}
        metrics = _metrics_document(p, overall, all_baselines, groups, samples, n_items=len(items), n_scored=len(rows))
        metrics["reference_points"] = reference_points(
            Humans([r.human for r in rows], assumed_respondents=p.get("assumed_respondents")), joint_scorer(scorers),
            directions,
            resolution=resolution, clusters=[r.prompt_sha for r in rows], bootstrap=bootstrap_settings(p), seed=seed)
        metrics["counts"]["human_modal_ties"] = sum(_tied_top(r.human) for r in rows)
        return Scored(samples, metrics)


class _Row(NamedTuple):
    """One item the model answered."""
    group: str | None
    model: np.ndarray  # the model's distribution over the options
    human: np.ndarray  # the population's
    prompt_sha: str  # rows sharing a prompt share one model answer
    sample: dict  # its samples.jsonl record, completed once its metrics are known


class _Baseline(NamedTuple):
    """A stand-in's metric values per row; nan where it is not defined."""
    defined: list[bool]
    values: dict[str, np.ndarray]  # metric name -> value per row


class _BaselineColumn(NamedTuple):
    """One column of a baselines block: a metric of a stand-in."""
    baseline: str
    metric: str


def _rows(items: list[OptionItem], predictions) -> tuple[list[dict], list[_Row]]:
    """A sample per item, and a row per item with option mass (the others are excluded)."""
    samples, rows = [], []
    for item, prediction in zip(items, predictions):
        sample = {
            "id": item.id, "group": item.group, "prompt_sha256": sha256_text(item.prompt),
            "options": item.options, "human_distribution": item.gold,
        } | sample_output_fields(prediction)
        samples.append(sample)
        if prediction["distribution"] is None:
            exclude_sample(sample)
            continue
        rows.append(_Row(item.group, np.asarray(prediction["distribution"], dtype=np.float64),
                         np.asarray(item.gold, dtype=np.float64), sample["prompt_sha256"], sample))
    return samples, rows


def _scorers(specs, fns, humans) -> dict:
    """The task's metrics, then the standard ones it does not name itself: (models, humans) -> value per row."""
    scorers = {m["name"]: pair_scorer(fns[m["name"]], m["metric"], m.get("params", {})) for m in specs}
    standard = variation_scorers(humans) | {
        "most_likely_match": pair_scorer(most_likely_match, "most_likely_match", {})}
    named = set(scorers) | {m["metric"] for m in specs}  # a task that names the metric already reports it
    return scorers | {k: v for k, v in standard.items() if k not in named}


def _standard_record(specs) -> dict:
    named = {m["name"] for m in specs} | {m["metric"] for m in specs}
    about = {"tv": VARIATION_RECORD["tv"], "simbench_score": SIMBENCH_RECORD,
             "most_likely_match": "1 when argmax(model) == argmax(human), ties to the first option on both sides "
                                  "(numpy argmax); counts.human_modal_ties says how many rows tie"}
    return {k: v for k, v in about.items() if k not in named}


def _tied_top(p: np.ndarray) -> bool:
    return int(np.sum(p == p.max())) > 1


def _item_columns(rows, scorers, ent_base) -> dict[str, np.ndarray]:
    """Every metric and both entropies over all rows at once (vectorised per option count)."""
    models, humans = [r.model for r in rows], [r.human for r in rows]
    columns = {name: scorer(models, humans) for name, scorer in scorers.items()}
    columns["entropy_model"] = entropy_of(models, ent_base)
    columns["entropy_human"] = entropy_of(humans, ent_base)
    return columns


def _record_item_metrics(rows, columns) -> None:
    for i, row in enumerate(rows):
        row.sample.update(model_distribution=row.model.tolist(),
                          metrics={name: float(col[i]) for name, col in columns.items()})


@dataclass(frozen=True)
class _Blocks:
    """metrics.json blocks over any subset of the rows (positions into `rows`). A clustered block
    resamples the rows that share a prompt (one model answer) together."""
    rows: list[_Row]
    columns: dict[str, np.ndarray]  # per-item values: the metrics, then entropy_model and entropy_human
    directions: dict[str, str]  # metric name -> lower/higher
    boot: dict
    seed: int

    def clusters(self, idx, clustered: bool):
        return [self.rows[i].prompt_sha for i in idx] if clustered else None

    def metrics(self, idx, clustered: bool) -> dict:
        clusters = self.clusters(idx, clustered)
        columns = {name: col[idx] for name, col in self.columns.items()}
        masses = [self.rows[i].sample["covered_mass"] for i in idx]
        complete = None not in masses
        if complete:  # the usual case: bootstrap it with the rest (same draws either way)
            columns["covered_mass"] = masses
        block = means_with_ci(columns, clusters=clusters, bootstrap=self.boot, seed=self.seed,
                              directions=self.directions | {"covered_mass": "higher"})
        partial = None if complete else known_mean_with_ci(masses, clusters=clusters, bootstrap=self.boot,
                                                           seed=self.seed, direction="higher")
        if partial is not None:  # predictions made elsewhere carry no covered mass
            block["covered_mass"] = partial
        return block

    def baselines(self, idx, clustered: bool, baselines: dict[str, _Baseline]) -> dict:
        # Baselines defined on the same rows share one set of bootstrap draws.
        by_rows: dict[tuple, list[str]] = defaultdict(list)
        for name, baseline in baselines.items():
            by_rows[tuple(i for i in idx if baseline.defined[i])].append(name)
        result = {}
        for rows_idx, names in by_rows.items():
            result |= self._baseline_block(list(rows_idx), clustered, {b: baselines[b] for b in names})
        return {b: result[b] for b in baselines}

    def _baseline_block(self, idx, clustered: bool, baselines: dict[str, _Baseline]) -> dict:
        columns = {_BaselineColumn(b, metric): values[idx] for b, baseline in baselines.items()
                   for metric, values in baseline.values.items()}
        block = means_with_ci(columns, clusters=self.clusters(idx, clustered), bootstrap=self.boot, seed=self.seed,
                              directions={key: self.directions[key.metric] for key in columns})
        return {b: {metric: block[_BaselineColumn(b, metric)] for metric in baseline.values}
                for b, baseline in baselines.items()}

    def overall(self, separation_specs) -> dict:
        """Every row, clustered by prompt, then the separation AUROCs."""
        overall = self.metrics(list(range(len(self.rows))), True) if self.rows else {}
        for spec in separation_specs:
            value = self.separation(spec)
            if value is not None:
                overall[spec["name"]] = value
        return overall

    def separation(self, spec) -> dict | None:
        """AUROC of a per-item value (e.g. model entropy) separating one group from another: a
        pluralistic model should be less certain where people disagree."""
        pair = (spec["positive_group"], spec["negative_group"])
        idx = [i for i, r in enumerate(self.rows) if r.group in pair]
        if not idx:
            return None
        scores = self.columns[spec["score"]][idx]
        positive = np.asarray([self.rows[i].group == spec["positive_group"] for i in idx])
        return statistic_with_ci(lambda k: auroc(scores[k], positive[k]), len(idx), bootstrap=self.boot,
                                 seed=self.seed, direction="higher",
                                 description=f"AUROC of {spec['score']} separating {spec['positive_group']} (positive) "
                                             f"from {spec['negative_group']} items; 0.5 = no separation")


def _baselines(names, rows, specs, fns, seed) -> dict[str, _Baseline]:
    """Each named baseline's stand-in distributions scored against the humans' with every metric."""
    humans = [r.human for r in rows]
    rows_by_prompt = index_by([r.prompt_sha for r in rows])
    out = {}
    for name in names:
        defined, stand_ins = _stand_ins(name, rows, rows_by_prompt, seed)
        values = {m["name"]: evaluate_pairs(fns[m["name"]], m["metric"], stand_ins, humans, m.get("params", {}))
                  for m in specs}
        for col in values.values():
            col[~np.asarray(defined, dtype=bool)] = np.nan
        out[name] = _Baseline(defined, values)
    return out


def _stand_ins(name, rows, rows_by_prompt, seed) -> tuple[list[bool], list[np.ndarray]]:
    """-> (defined, stand-in distribution) per row; an undefined row holds a uniform placeholder."""
    defined, stand_ins = [True] * len(rows), []
    for i, row in enumerate(rows):
        uniform = np.full(len(row.human), 1.0 / len(row.human))
        if name == "uniform":
            stand_ins.append(uniform)
        elif name == "marginal_loo":
            others = [rows[j].human for j in rows_by_prompt[row.prompt_sha] if j != i]
            defined[i] = bool(others)
            stand_ins.append(np.mean(others, axis=0) if others else uniform)
        elif name == "shuffled":
            stand_ins.append(row.model[derangement(len(row.model), _prompt_rng(seed, row.prompt_sha))])
    return defined, stand_ins


def _metrics_document(p, overall, baselines, groups, samples, *, n_items: int, n_scored: int) -> dict:
    headline = p.get("headline", p["metrics"][0]["name"])
    metrics = {
        "headline": headline,
        "overall": overall,
        "baselines": baselines,
        "groups": {p.get("group_name", "group"): groups} if groups else {},
        "coverage": mass_summary([s["covered_mass"] for s in samples]) | topk_summary(samples),
        "counts": {
            "items": n_items,
            "scored": n_scored,
            "excluded_no_option_mass": len(samples) - n_scored,
            "unique_prompts": len({s["prompt_sha256"] for s in samples}),
            "groups": len(groups),
        },
        "notes": list(p.get("notes", [])),
    }
    if "reference" in p:
        metrics["reference_distributions"] = dict(p["reference"])
    if headline in overall and groups:
        metrics |= served_block({g: (block["metrics"][headline]["value"], block["n"]) for g, block in groups.items()},
                                overall[headline].get("direction"),
                                int(p.get("served_groups_min_n", SERVED_GROUPS_MIN_N)))
    return metrics
