"""Steerable pluralism on surveys (OpinionQA; Santurkar et al. 2023, Modular Pluralism): the prompt
names a demographic group, and the model's answer distribution should match that group's.

Each item is (question, group). The model answers it once per steering style (declared in the task
file: QA, BIO, PORTRAY by default) and once unsteered (the question alone; one request per question).
Per item and style: most-likely-answer match, JS distance, and 1 - normalised ordinal Wasserstein
distance with refusals (and options without an ordinal position) removed and both sides renormalised.

Steerability per group is the score under the group's best style (chosen by `best_style_by`, on the
group's mean), as in Santurkar et al.; category numbers average the groups of a category, and the
headline averages the categories (Modular Pluralism's "averaged"). The bootstrap re-selects the best
style in every resample, so CIs include the optimism of picking a maximum.
"""
from __future__ import annotations

from collections import defaultdict

import numpy as np

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
from pluralbench.hashing import sha256_text
from pluralbench.metrics.declared import direction_of
from pluralbench.metrics.divergence import js_distance, most_likely_match
from pluralbench.metrics.ordinal import ordinal_similarity
from pluralbench.metrics.summary import mean_with_ci, statistics_with_ci
from pluralbench.registry import task_families

METRICS = ("most_likely_match", "js_distance", "ordinal_similarity")  # each one's direction comes from the registry
EXTERNAL = "external"  # the one style of predictions made elsewhere (their steering is unknown)
BASELINE = "population_marginal"


def ordinal_score(pred, gold, positions) -> float | None:
    """1 - normalised Wasserstein over the options that have an ordinal position; None if undefined."""
    keep = [i for i, x in enumerate(positions) if x is not None]
    if len({positions[i] for i in keep}) < 2:
        return None
    p, g = np.asarray(pred)[keep], np.asarray(gold)[keep]
    if p.sum() <= 0 or g.sum() <= 0:
        return None
    return ordinal_similarity(p, g, [positions[i] for i in keep])


def item_metrics(pred, gold, positions, js_base) -> dict:
    return {"most_likely_match": most_likely_match(pred, gold), "js_distance": js_distance(pred, gold, js_base),
            "ordinal_similarity": ordinal_score(pred, gold, positions)}


@task_families.register("steerable_distribution")
class SteerableDistribution(TaskFamily):
    name = "steerable_distribution"
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

    def _category(self, task, group: str) -> tuple[str, dict, str]:
        attr, _, raw = group.partition("_")
        spec = task.params["categories"].get(attr)
        if spec is None or not raw:
            raise UserError(f"task {task.name}: group {group!r} is not ATTRIBUTE_value with an attribute in "
                            f"params.categories ({', '.join(task.params['categories'])})")
        return attr, spec, raw

    def steered_prompt(self, task, item: dict, style: str) -> str:
        _, spec, raw = self._category(task, item["group"])
        value = spec.get("values", {}).get(raw, raw.lower() if spec.get("lower") else raw)
        fields = {k: v.format(value=value, raw=raw) for k, v in spec.items() if isinstance(v, str)}
        return task.params["styles"][style].format(question=item["prompt"], **fields)

    def unsteered_prompt(self, task, item: dict) -> str:
        return task.params.get("unsteered", "{question}").format(question=item["prompt"])

    def requests(self, task, items):
        prefix = task.prompt.get("answer_prefix")
        out = []
        for it in items:
            prompts = [self.steered_prompt(task, it, s) for s in self._styles(task)] + [self.unsteered_prompt(task, it)]
            out.append([OptionQuery(p, tuple(it["options"]), prefix) for p in prompts])
        return out

    def metric_parameters(self, task) -> dict:
        p = task.params
        return {
            "styles": dict(p["styles"]),
            "unsteered": p.get("unsteered", "{question}"),
            "best_style_by": self._select_by(task),
            "headline": p.get("headline", "most_likely_match"),
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
        }


    def _select_by(self, task) -> str:
        return task.params.get("best_style_by", "ordinal_similarity")

    def _refusals(self, task) -> list[str]:
        return list(task.params.get("refusal_options", ["Refused"]))

    # predictions -----------------------------------------------------------------------------------
    def score(self, task, items, outputs, *, seed, judgements=None):
        styles = self._styles(task)
        preds = [{"styles": dict(zip(styles, outs[: len(styles)])), "unsteered": outs[len(styles)]} for outs in outputs]
        return self.score_predictions(task, items, preds, seed=seed)

    def prediction_from_row(self, task, row, *, path, index):
        dist = external_distribution(row.get("pred_distribution"), len(row.get("options") or []), path=path, row=index,
                                     item_id=row.get("id"), field="pred_distribution")
        return {"styles": {EXTERNAL: dist}, "unsteered": None}

    def prediction_from_sample(self, task, sample, *, path, index):
        n = len(sample.get("options") or []) or None
        styles = {s: from_sample_fields(b, n, path=path, row=index, item_id=sample.get("id"))
                  for s, b in (sample.get("styles") or {}).items()}
        unsteered = sample.get("unsteered")
        return {"styles": styles, "unsteered": from_sample_fields(unsteered, n, path=path, row=index,
                                                                  item_id=sample.get("id")) if unsteered else None}

    # scoring ---------------------------------------------------------------------------------------
    def score_predictions(self, task, items, predictions, *, seed):
        js_base = task.params.get("js_base", 2)
        boot = bootstrap_settings(task.params)
        select_by = self._select_by(task)
        refusals = set(self._refusals(task))
        declared = self._styles(task)
        seen = {s for p in predictions for s, d in p["styles"].items() if d and d["distribution"] is not None}
        styles = [s for s in declared if s in seen] + sorted(seen - set(declared))
        has_unsteered = any(p.get("unsteered") and p["unsteered"]["distribution"] is not None for p in predictions)
        n = len(items)

        # Per item: positions, baseline distribution, metrics per style / unsteered / baseline.
        golds_by_prompt = defaultdict(list)
        for i, it in enumerate(items):
            golds_by_prompt[it["prompt"]].append(i)
        values = {s: {m: np.full(n, np.nan) for m in METRICS} for s in styles + ["unsteered", BASELINE]}
        samples = []
        for i, (it, pred) in enumerate(zip(items, predictions)):
            positions = it.get("ordinal_positions") or [float(k + 1) for k in range(len(it["options"]))]
            positions = [None if o in refusals else x for o, x in zip(it["options"], positions)]
            gold = np.asarray(it["gold"])
            baseline = it.get("population")
            if baseline is None:
                others = [items[j]["gold"] for j in golds_by_prompt[it["prompt"]] if j != i]
                baseline = np.mean(others, axis=0).tolist() if others else None
            attr, spec, _ = self._category(task, it["group"])
            sample = {"id": it["id"], "group": it["group"], "category": spec["name"],
                      "prompt_sha256": sha256_text(it["prompt"]), "options": it["options"],
                      "human_distribution": it["gold"], "ordinal_positions": positions, "styles": {}}
            blocks = [(s, pred["styles"].get(s)) for s in styles] + [("unsteered", pred.get("unsteered"))]
            for s, d in blocks:
                if not d or d["distribution"] is None:
                    continue
                vals = item_metrics(d["distribution"], gold, positions, js_base)
                for m, v in vals.items():
                    values[s][m][i] = np.nan if v is None else v
                block = {"prompt_sha256": sha256_text(self.steered_prompt(task, it, s) if s in declared else
                                                      self.unsteered_prompt(task, it)) if s != EXTERNAL else None,
                         "model_distribution": list(d["distribution"])} | sample_output_fields(d) | {"metrics": vals}
                if block["prompt_sha256"] is None:
                    del block["prompt_sha256"]
                if s == "unsteered":
                    sample["unsteered"] = block
                else:
                    sample["styles"][s] = block
            if baseline is not None:
                for m, v in item_metrics(baseline, gold, positions, js_base).items():
                    values[BASELINE][m][i] = np.nan if v is None else v
                sample[BASELINE] = baseline
            samples.append(sample)

        # Groups and categories.
        group_names = sorted({it["group"] for it in items})
        gindex = {g: k for k, g in enumerate(group_names)}
        gi = np.asarray([gindex[it["group"]] for it in items], dtype=np.int64)
        cat_of_group = [self._category(task, g)[1]["name"] for g in group_names]
        categories = list(dict.fromkeys(self._category(task, g)[1]["name"] for g in
                                        sorted(group_names, key=lambda g: list(task.params["categories"]).index(
                                            g.partition("_")[0]))))
        G = len(group_names)
        clusters = [it["prompt"] for it in items]

        # Every (row kind, metric) as one matrix, so a bootstrap resample is two matrix products.
        kinds = styles + ["unsteered", BASELINE]
        rows_of = {(k, m): r for r, (k, m) in enumerate((k, m) for k in kinds for m in METRICS)}
        V = np.vstack([values[k][m] for k in kinds for m in METRICS])
        OK = ~np.isnan(V)
        V0 = np.where(OK, V, 0.0)
        onehot = np.zeros((n, G))
        onehot[np.arange(n), gi] = 1.0
        cat_names = categories
        cat_idx = np.asarray([cat_names.index(c) for c in cat_of_group], dtype=np.int64)

        def all_group_means(idx):
            w = np.bincount(idx, minlength=n).astype(np.float64)
            sums, cnt = (V0 * w) @ onehot, (OK * w) @ onehot
            with np.errstate(invalid="ignore", divide="ignore"):
                return np.where(cnt > 0, sums / np.maximum(cnt, 1e-300), np.nan)

        def best_of(gm):
            sel = np.vstack([gm[rows_of[(s, select_by)]] for s in styles])
            sign = 1.0 if direction_of(select_by) == "higher" else -1.0
            return np.argmax(np.where(np.isnan(sel), -np.inf, sign * sel), axis=0)

        def best_styles(idx):
            return best_of(all_group_means(idx))

        cat_onehot = np.zeros((G, len(cat_names)))
        cat_onehot[np.arange(G), cat_idx] = 1.0

        def category_average(rows, cat_filter=None):
            """Per row of group means: the mean over categories of the mean over the category's groups."""
            rows = np.atleast_2d(rows)
            ok = ~np.isnan(rows)
            sums, cnt = np.where(ok, rows, 0.0) @ cat_onehot, ok.astype(np.float64) @ cat_onehot
            if cat_filter is not None:
                cnt = cnt * np.asarray([c == cat_filter for c in cat_names], dtype=np.float64)
            with np.errstate(invalid="ignore", divide="ignore"):
                cat_means = np.where(cnt > 0, sums / np.maximum(cnt, 1e-300), np.nan)
                have = (cnt > 0).sum(axis=1)
                return np.where(have > 0, np.nansum(cat_means, axis=1) / np.maximum(have, 1), np.nan)

        names = ([m for m in METRICS] + ([f"unsteered_{m}" for m in METRICS] + [f"steering_gain_{m}" for m in METRICS]
                                         if has_unsteered else [])
                 + [f"{BASELINE}_{m}" for m in METRICS] + [f"{s}_{m}" for s in styles for m in METRICS])

        def statistic(idx, cat_filter=None):
            gm = all_group_means(idx)
            best = best_of(gm)
            steered = [np.vstack([gm[rows_of[(s, m)]] for s in styles])[best, np.arange(G)] for m in METRICS]
            rows = list(steered)
            if has_unsteered:
                rows += [gm[rows_of[("unsteered", m)]] for m in METRICS]
                rows += [steered[k] - gm[rows_of[("unsteered", m)]] for k, m in enumerate(METRICS)]
            rows += [gm[rows_of[(BASELINE, m)]] for m in METRICS]
            rows += [gm[rows_of[(s, m)]] for s in styles for m in METRICS]
            return category_average(np.vstack(rows), cat_filter)

        dirs = {nm: direction_of(next(m for m in METRICS if nm.endswith(m))) for nm in names}
        all_idx = np.arange(n)
        summary = statistics_with_ci(statistic, names, n, clusters=clusters, bootstrap=boot, seed=seed,
                                     directions=dirs) if n and styles else {}
        overall = {k: v for k, v in summary.items() if not any(k.startswith(f"{s}_") for s in styles)
                   and not k.startswith(f"{BASELINE}_")}
        style_block = {s: {m: summary[f"{s}_{m}"] for m in METRICS} for s in styles} if summary else {}
        baseline_block = {BASELINE: {m: summary[f"{BASELINE}_{m}"] for m in METRICS}} if summary else {}

        # Per category (groups averaged) and per group (items averaged, under the group's best style).
        best = best_styles(all_idx) if styles else np.zeros(G, dtype=int)
        cat_blocks = {}
        for c in categories:
            idx = np.flatnonzero(np.asarray([cat_of_group[g] == c for g in gi]))
            res = statistics_with_ci(lambda k, c=c: statistic(idx[k], c), names, len(idx),
                                     clusters=[clusters[i] for i in idx], bootstrap=boot, seed=seed, directions=dirs)
            cat_blocks[c] = {"n": int(len(idx)), "groups": sorted({group_names[g] for g in gi[idx]}),
                             "metrics": {k: v for k, v in res.items() if k in overall},
                             "baselines": {BASELINE: {m: res[f"{BASELINE}_{m}"] for m in METRICS}},
                             "styles": {s: {m: res[f"{s}_{m}"] for m in METRICS} for s in styles}}
        group_blocks = {}
        for k, g in enumerate(group_names):
            idx = np.flatnonzero(gi == k)
            chosen = styles[int(best[k])]

            def mean_of(arr, direction, idx=idx):
                vals = arr[idx][~np.isnan(arr[idx])]
                return mean_with_ci(vals, bootstrap=boot, seed=seed, direction=direction)

            block_metrics = {m: mean_of(values[chosen][m], direction_of(m)) for m in METRICS}
            if has_unsteered:
                block_metrics |= {f"unsteered_{m}": mean_of(values["unsteered"][m], direction_of(m)) for m in METRICS}
                block_metrics |= {f"steering_gain_{m}": mean_of(values[chosen][m] - values["unsteered"][m],
                                                                direction_of(m)) for m in METRICS}
            group_blocks[g] = {"n": int(len(idx)), "category": cat_of_group[k], "best_style": chosen,
                               "metrics": block_metrics,
                               "baselines": {BASELINE: {m: mean_of(values[BASELINE][m], direction_of(m)) for m in METRICS}},
                               "styles": {s: {m: mean_of(values[s][m], direction_of(m)) for m in METRICS} for s in styles}}
        for sample, k in zip(samples, gi):
            chosen = styles[int(best[k])] if styles else None
            block = sample["styles"].get(chosen, {}).get("metrics", {})
            sample["metrics"] = ({"best_style": chosen} | {m: block.get(m) for m in METRICS}
                                 | {f"unsteered_{m}": sample.get("unsteered", {}).get("metrics", {}).get(m)
                                    for m in METRICS}) if block else None

        masses = [d["covered_mass"] for s in samples for d in list(s["styles"].values()) + [s.get("unsteered") or {}]
                  if d]
        headline = task.params.get("headline", "most_likely_match")
        metrics = {
            "headline": headline,
            "overall": overall,
            "styles": style_block,
            "best_style_by": select_by,
            "best_styles": {g: group_blocks[g]["best_style"] for g in group_names},
            "baselines": baseline_block,
            "groups": {"category": cat_blocks, "group": group_blocks},
            "coverage": mass_summary(masses),
            "counts": {"items": n, "groups": G, "categories": len(categories), "styles": len(styles),
                       "questions": len(golds_by_prompt),
                       "ordinal_undefined": int(np.isnan(values[styles[0]]["ordinal_similarity"]).sum()) if styles else 0},
            "notes": ["overall averages categories, each the mean of its groups; a group's steered score uses its "
                      f"best style by {select_by} (styles lists each style on its own)."]
                     + ([] if has_unsteered else ["No unsteered answers: steering gain not computed."])
                     + list(task.params.get("notes", [])),
        }
        return Scored(samples, metrics)
