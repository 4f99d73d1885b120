"""Jury welfare of a choice: the model picks, from a seeded set of candidate statements, the one that best
represents everyone; real jurors' ratings of those statements say how well it did.

Per item: utilities U (jurors x candidates, NaN where a juror did not rate a candidate) are mapped from
the jury's scale onto [utility_floor, 1]; each welfare function W gives one welfare per candidate, over
individual jurors and (where jurors have opinion groups) over group means, so that egalitarian welfare
across groups is a bridging score. The model's option distribution pi is a randomised choice: its
expected welfare is pi . W, compared with a uniform random pick (mean W) and the best candidate (max W):
normalised = (model - random) / (best - random).
"""
from __future__ import annotations

from collections import Counter, defaultdict
from typing import NamedTuple

import numpy as np

from pluralbench.core.items import CandidateItem
from pluralbench.core.prompts import fill, lettered
from pluralbench.elicitation import OptionQuery
from pluralbench.elicitation.diagnostics import mass_summary
from pluralbench.elicitation.predictions import exclude_sample
from pluralbench.families.base import Scored, TaskFamily
from pluralbench.families.common import BOOTSTRAP_SCHEMA, NOTES_SCHEMA, bootstrap_settings
from pluralbench.families.jury_common import (
    WELFARE_SCHEMA,
    WELFARE_SLOTS,
    option_sample,
    predicted_distribution,
    split_scored,
    truncate,
    welfare_functions,
    welfare_means,
    welfare_parameters,
)
from pluralbench.metrics.bootstrap import bootstrap_ratio_ci
from pluralbench.metrics.summary import defined_mean_with_ci, excluded_count, group_blocks, index_by, mean_with_ci
from pluralbench.metrics.welfare import choice_welfare, rescale_to_unit
from pluralbench.registry import task_families

LEVELS = ("jurors", "groups")
STATS = ("model", "random", "best", "worst")


class ChoiceItem(NamedTuple):
    """One scored candidate set: per level (jurors, groups) and welfare function, each candidate's welfare
    and the report on the model's randomised choice among them (metrics.welfare.choice_welfare)."""
    jury: str
    candidates: list[dict]
    distribution: np.ndarray  # the model's choice probabilities
    jurors: int
    results: dict[str, dict[str, dict]]  # level -> welfare function -> choice report
    candidate_welfare: dict[str, dict[str, list[float]]]  # level -> welfare function -> welfare per candidate


def group_means(utilities: np.ndarray, groups: list) -> tuple[np.ndarray, list[str]]:
    """groups x candidates: each opinion group's mean utility per candidate over its members who rated it
    (NaN where none did). Jurors without a group are left out."""
    names = sorted({g for g in groups if g is not None})
    rows = []
    for g in names:
        members = utilities[[i for i, x in enumerate(groups) if x == g]]
        rated = ~np.isnan(members)
        counts = rated.sum(axis=0)
        sums = np.where(rated, members, 0.0).sum(axis=0)
        rows.append(np.where(counts > 0, sums / np.maximum(counts, 1), np.nan))
    return np.asarray(rows).reshape(len(names), utilities.shape[1]), names


def utility_matrices(item: CandidateItem, floor: float) -> dict[str, np.ndarray]:
    """level -> rows x candidates utilities on [floor, 1]: every juror, and the opinion groups' means where
    jurors have groups."""
    raw = np.array([[np.nan if v is None else v for v in row] for row in item.utilities], dtype=np.float64)
    utilities = rescale_to_unit(raw.reshape(-1, len(item.candidates)), item.scale["low"], item.scale["high"], floor)
    matrices = {"jurors": utilities}
    if any(g is not None for g in item.juror_groups):
        matrices["groups"], _ = group_means(utilities, item.juror_groups)
    return matrices


def candidate_welfare(matrix: np.ndarray, fns: dict) -> dict[str, np.ndarray]:
    """welfare function -> each candidate's welfare over the matrix's rows. A function under which some
    candidate has no value (no row rated it) is left out: this level says nothing about the item."""
    out = {}
    for fname, fn in fns.items():
        welfare = fn(matrix) if matrix.shape[0] else np.full(matrix.shape[1], np.nan)
        if not np.isnan(welfare).any():
            out[fname] = welfare
    return out


def scored_choice(item: CandidateItem, pi: np.ndarray, fns: dict, floor: float) -> ChoiceItem:
    """The candidates' welfare at each level and the report on the model's choice among them."""
    matrices = utility_matrices(item, floor)
    results, welfare_lists = {}, {}
    for level, matrix in matrices.items():
        welfare = candidate_welfare(matrix, fns)
        results[level] = {f: choice_welfare(pi, w) for f, w in welfare.items()}
        welfare_lists[level] = {f: w.tolist() for f, w in welfare.items()}
    return ChoiceItem(item.jury, item.candidates, pi, int(matrices["jurors"].shape[0]), results, welfare_lists)


def sample_metrics(results: dict) -> dict:
    """A sample's metrics: `<level>_<welfare>_<statistic>` for every choice report of the item."""
    return {f"{level}_{fname}_{stat}": rep[stat] for level, by_f in results.items() for fname, rep in by_f.items()
            for stat in (*STATS, "normalised")}


def pooled_normalised(reports: list[dict], bootstrap: dict, seed: int) -> dict:
    """(sum model - sum random) / (sum best - sum random) over the items, with a paired bootstrap CI;
    no value where the candidates never differ."""
    num = np.array([r["model"] - r["random"] for r in reports])
    den = np.array([r["best"] - r["random"] for r in reports])
    low, high = bootstrap_ratio_ci(num, den, resamples=bootstrap["resamples"], level=bootstrap["level"], seed=seed)
    value = float(num.sum() / den.sum()) if den.sum() > 1e-12 else None
    return {"value": value, "ci_low": None if value is None else low, "ci_high": None if value is None else high,
            "n": len(reports), "direction": "higher"}


def choice_statistics(reports: list[dict], bootstrap: dict, seed: int) -> dict:
    """Means of the model's, a random and the best and worst choice's welfare, and the normalised score."""
    stats = welfare_means({s: [r[s] for r in reports] for s in STATS}, bootstrap=bootstrap, seed=seed)
    stats["normalised_item_mean"] = defined_mean_with_ci([r["normalised"] for r in reports], bootstrap=bootstrap,
                                                         seed=seed, direction="higher")
    stats["normalised_pooled"] = pooled_normalised(reports, bootstrap, seed)
    return stats


def welfare_block(rows: list[ChoiceItem], fnames: list[str], bootstrap: dict, seed: int) -> dict:
    """level -> welfare function -> choice statistics over the rows that have a report for it."""
    out = {}
    for level in LEVELS:
        reports = {f: [r.results[level][f] for r in rows if f in r.results.get(level, {})] for f in fnames}
        block = {f: choice_statistics(reps, bootstrap, seed) for f, reps in reports.items() if reps}
        if block:
            out[level] = block
    return out


def normalised_metrics(block: dict) -> dict:
    """`<level>_<welfare>_normalised` -> the pooled normalised score, from a welfare block."""
    return {f"{level}_{fname}_normalised": stats["normalised_pooled"]
            for level, by_f in block.items() for fname, stats in by_f.items()}


def jury_groups(rows: list[ChoiceItem], fnames: list[str], bootstrap: dict, seed: int) -> dict:
    """Per jury: the pooled normalised scores over its candidate sets."""
    return group_blocks(index_by([r.jury for r in rows]), metrics=lambda positions: normalised_metrics(
        welfare_block([rows[i] for i in positions], fnames, bootstrap, seed)))


def choice_probability_by_position(rows: list[ChoiceItem]) -> list[float]:
    """The model's mean probability for each option position (A, B, ...): a position bias shows here."""
    positions = max((len(r.distribution) for r in rows), default=0)
    return [float(np.mean([float(r.distribution[k]) for r in rows if len(r.distribution) > k]))
            for k in range(positions)]


def jury_candidates(rows: list[ChoiceItem]) -> dict[str, dict]:
    """jury -> candidate id -> {text, welfare: {"level/function": welfare}} over the scored items (a
    candidate seen in several items keeps the latest)."""
    out: dict[str, dict] = defaultdict(dict)
    for row in rows:
        for level, by_f in row.candidate_welfare.items():
            for fname, values in by_f.items():
                for c, w in zip(row.candidates, values):
                    entry = out[row.jury].setdefault(c["id"], {"text": c["text"], "welfare": {}})
                    entry["welfare"][f"{level}/{fname}"] = w
    return out


def extreme_candidate(cands: dict, key: str, pick) -> dict:
    """The best (pick=max) or worst (min) candidate under `key`, with how many others tie with it."""
    scored = [(c["welfare"][key], cid) for cid, c in cands.items() if key in c["welfare"]]
    value = pick(w for w, _ in scored)
    tied = sorted(cid for w, cid in scored if abs(w - value) <= 1e-12)
    # A tie is reported as such: naming one of many equal candidates would mislead.
    return {"id": tied[0], "text": cands[tied[0]]["text"], "welfare": value, "tied_with": len(tied) - 1}


def jury_summaries(rows: list[ChoiceItem], items: list[CandidateItem]) -> dict:
    """Per jury, the best and worst candidates seen in this run's candidate sets under each welfare."""
    topics = {it.jury: it.topic for it in items}
    scored_items = Counter(row.jury for row in rows)
    out = {}
    for jury, cands in sorted(jury_candidates(rows).items()):
        keys = sorted({k for c in cands.values() for k in c["welfare"]})
        out[jury] = {"topic": topics.get(jury), "items": scored_items[jury], "candidates_seen": len(cands),
                     "best_candidates": {k: extreme_candidate(cands, k, max) for k in keys},
                     "worst_candidates": {k: extreme_candidate(cands, k, min) for k in keys}}
    return out


@task_families.register("jury_choice")
class JuryChoice(TaskFamily):
    name = "jury_choice"
    item_type = CandidateItem
    metric_slots = WELFARE_SLOTS
    params_schema = {
        "type": "object",
        "additionalProperties": False,
        "required": ["welfare"],
        "properties": {
            "welfare": WELFARE_SCHEMA,
            "utility_floor": {"type": "number", "minimum": 0, "exclusiveMaximum": 1},
            "headline": {"type": "string"},
            "max_candidate_chars": {"type": "integer", "minimum": 20},
            "max_description_chars": {"type": "integer", "minimum": 0},
            "bootstrap": BOOTSTRAP_SCHEMA,
            "notes": NOTES_SCHEMA,
        },
    }

    # requests -------------------------------------------------------------------------------------
    @staticmethod
    def headline(task) -> str:
        return task.params.get("headline", f"jurors_{task.params['welfare'][0]['name']}_normalised")

    def headline_metric(self, task) -> tuple[str | None, str | None]:
        return self.headline(task), "higher"  # every welfare is higher-is-better

    def prompt(self, task, item: CandidateItem) -> str:
        p = task.params
        options = [truncate(c["text"], p.get("max_candidate_chars")) for c in item.candidates]
        description = truncate(item.description or "", p.get("max_description_chars", 400))
        return fill(task.prompt["template"], f"{task.path}: prompt.template", topic=item.topic,
                    description=description, options=lettered(options, "\n"), n=len(options))

    def requests(self, task, items: list[CandidateItem]):
        prefix = task.prompt.get("answer_prefix")
        return [[OptionQuery(self.prompt(task, it), tuple(c["text"] for c in it.candidates), prefix)]
                for it in items]

    def metric_parameters(self, task) -> dict:
        p, sampling = task.params, task.data_options  # the loader's candidate-set options live in data.options
        return {
            "welfare": welfare_parameters(p["welfare"]),
            "utility": "the juror's rating of the candidate, mapped linearly from the jury's scale onto "
                       f"[{p.get('utility_floor', 0.0)}, 1]; unrated candidates are left out for that juror",
            "utility_floor": p.get("utility_floor", 0.0),
            "levels": {"jurors": "every juror, equal weights",
                       "groups": "opinion-group means (jurors without a group left out), each group weighted equally; "
                                 "egalitarian across groups = bridging score"},
            "normalised": "(model - random) / (best - random) per item (mean over items where the candidates differ); "
                          "pooled: (sum model - sum random) / (sum best - sum random)",
            "candidate_sampling": {k: sampling[k] for k in ("items_per_jury", "candidates_per_item", "sample_seed",
                                                            "min_votes_per_candidate") if k in sampling},
            "headline": self.headline(task),
            "bootstrap": bootstrap_settings(p) | {"unit": "item (candidate set)"},
        }

    # scoring ----------------------------------------------------------------------------------------
    def score(self, task, items: list[CandidateItem], outputs, *, seed, judgements=None):
        fns = welfare_functions(task.params["welfare"])
        samples, kept = split_scored(self._score_item(task, fns, item, prediction)
                                     for item, (prediction,) in zip(items, outputs))
        return Scored(samples, self._metrics(task, items, samples, kept, list(fns), seed))

    def _score_item(self, task, fns: dict, item: CandidateItem, prediction: dict) -> tuple[dict, ChoiceItem | None]:
        """The item's sample and, unless the model gave its options no mass, the welfare of its choice."""
        ids = [c["id"] for c in item.candidates]
        sample = option_sample(item.id, item.jury, self.prompt(task, item), prediction, candidate_ids=ids,
                               options=[c["text"] for c in item.candidates])
        pi = predicted_distribution(prediction)
        if pi is None:
            exclude_sample(sample)
            return sample, None
        scored = scored_choice(item, pi, fns, float(task.params.get("utility_floor", 0.0)))
        best = {lvl: {f: ids[r["best_index"]] for f, r in res.items()} for lvl, res in scored.results.items()}
        worst = {lvl: {f: ids[r["worst_index"]] for f, r in res.items()} for lvl, res in scored.results.items()}
        sample.update(model_distribution=pi.tolist(), metrics=sample_metrics(scored.results),
                      candidate_welfare=scored.candidate_welfare, best_candidate=best, worst_candidate=worst,
                      model_top_choice=ids[int(np.argmax(pi))], jurors=scored.jurors)
        return sample, scored

    def _metrics(self, task, items: list[CandidateItem], samples, kept: list[ChoiceItem], fnames: list[str],
                 seed: int) -> dict:
        p = task.params
        boot = bootstrap_settings(p)
        welfare = welfare_block(kept, fnames, boot, seed)
        masses = [s["covered_mass"] for s in samples]
        overall = normalised_metrics(welfare)
        overall["covered_mass"] = mean_with_ci(masses, bootstrap=boot, seed=seed, direction="higher")
        groups = jury_groups(kept, fnames, boot, seed)
        return {
            "headline": self.headline(task),
            "overall": overall,
            "welfare": welfare,
            "groups": {"jury": groups} if groups else {},
            "juries": jury_summaries(kept, items),
            "coverage": mass_summary(masses) | {
                "mean_choice_probability_by_position": choice_probability_by_position(kept)},
            "counts": {"items": len(items), "scored": len(kept), "excluded_no_option_mass": excluded_count(samples),
                       "juries": len(groups)},
            "notes": list(p.get("notes", [])),
        }
