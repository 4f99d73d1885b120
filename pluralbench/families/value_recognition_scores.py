"""metrics.json of value recognition, from its (dialogue, value type) pairs.

Accuracy, balanced accuracy and macro F1 (sklearn's definitions, over the labels present) overall,
per value type and per response source, with percentile bootstrap CIs that resample dialogues: the
value types of one dialogue share its text, so its pairs are not independent. Baselines: always the
most frequent gold label (`majority_class`) and each type's own most frequent label (`type_majority`,
which knows each type's prior). Value profiles set the annotated labels of each response source
(the LLM that wrote the reply) beside the model's judgement of the same replies.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import NamedTuple

import numpy as np

from pluralbench.core.items import DialogueItem
from pluralbench.elicitation.diagnostics import mass_summary
from pluralbench.metrics.classification import confusion_matrix, scores_from_codes
from pluralbench.metrics.summary import index_by, known_mean_with_ci, means_with_ci, statistics_with_ci

SIGNS = (1, -1, 0)  # label code i (option A, B, C) is the sign SIGNS[i]
SIGN_NAMES = ("promotes", "opposes", "not expressed")
CODE = {sign: code for code, sign in enumerate(SIGNS)}
SCORES = ("accuracy", "balanced_accuracy", "macro_f1")


class Pair(NamedTuple):
    """One (dialogue, value type) question and its answer."""
    dialogue: int  # position of the dialogue among the items
    value_type: int  # position of the type among the task's value types
    gold: int | None  # +1 / -1 / 0; None: annotated with both signs ("mixed")
    predicted: int | None  # the model's sign; None: no option mass
    covered_mass: float | None


@dataclass(frozen=True)
class _Table:
    """The scored pairs as arrays, and how to bootstrap them."""
    gold: np.ndarray  # label codes
    pred: np.ndarray
    value_type: np.ndarray
    source: list[str]
    clusters: np.ndarray  # dialogue id per pair
    masses: list
    boot: dict
    seed: int

    def scores(self, idx, pred=None) -> dict:
        """Accuracy, balanced accuracy, macro F1 over the pairs `idx` (predictions `pred`, default the model's)."""
        idx = np.asarray(idx, dtype=np.int64)
        gold, pred = self.gold[idx], (self.pred if pred is None else pred)[idx]
        return statistics_with_ci(lambda k: scores_from_codes(pred[k], gold[k], len(SIGNS))[:len(SCORES)],
                                  list(SCORES), len(idx), clusters=self.clusters[idx], bootstrap=self.boot,
                                  seed=self.seed, directions=dict.fromkeys(SCORES, "higher"))

    def majority(self, idx) -> np.ndarray:
        """Predictions of the most frequent gold label among `idx`, for every pair."""
        code = int(np.bincount(self.gold[idx], minlength=len(SIGNS)).argmax())
        return np.full(self.gold.size, code, dtype=np.int64)

    def confusion(self, idx) -> dict:
        matrix = confusion_matrix(self.pred[idx].tolist(), self.gold[idx].tolist(), list(range(len(SIGNS))))
        return {"labels": [f"{s:+d}" if s else "0" for s in SIGNS], "label_names": list(SIGN_NAMES),
                "rows": "gold", "columns": "predicted", "matrix": matrix.tolist()}


def _table(scored: list[Pair], items: list[DialogueItem], boot: dict, seed: int) -> _Table:
    return _Table(gold=np.asarray([CODE[p.gold] for p in scored], dtype=np.int64),
                  pred=np.asarray([CODE[p.predicted] for p in scored], dtype=np.int64),
                  value_type=np.asarray([p.value_type for p in scored], dtype=np.int64),
                  source=[items[p.dialogue].response_source for p in scored],
                  clusters=np.asarray([items[p.dialogue].id for p in scored], dtype=object),
                  masses=[p.covered_mass for p in scored], boot=boot, seed=seed)


def _overall(table: _Table) -> dict:
    every = np.arange(table.gold.size)
    overall = table.scores(every)
    mass = known_mean_with_ci(table.masses, clusters=list(table.clusters), bootstrap=table.boot, seed=table.seed,
                              direction="higher")
    if mass is not None:
        overall["covered_mass"] = mass
    return overall


def _baselines(table: _Table) -> dict:
    every = np.arange(table.gold.size)
    by_type = np.zeros(table.gold.size, dtype=np.int64)
    for ix in index_by(table.value_type.tolist()).values():
        by_type[ix] = table.majority(ix)[ix]
    return {"majority_class": table.scores(every, table.majority(every)),
            "type_majority": table.scores(every, by_type)}


def _type_groups(table: _Table, types: list[str]) -> tuple[dict, dict]:
    """-> (per value type: scores, own-majority baseline, gold counts; per value type: confusion matrix)."""
    groups, matrices = {}, {}
    for k, ix in index_by(table.value_type.tolist()).items():
        counts = np.bincount(table.gold[ix], minlength=len(SIGNS))
        groups[types[k]] = {"n": len(ix), "metrics": table.scores(ix),
                            "baselines": {"majority_class": table.scores(ix, table.majority(ix))},
                            "gold_counts": dict(zip(SIGN_NAMES, map(int, counts)))}
        matrices[types[k]] = table.confusion(ix)
    return groups, matrices


def _value_profiles(table: _Table, types: list[str]) -> dict:
    """Per response source and value type: shares promoted / opposed and the mean sign, as annotated
    and as the model judged the same replies (CIs resample the source's dialogues)."""
    signs = np.asarray(SIGNS, dtype=np.float64)
    profiles = {}
    for source, ix in index_by(table.source).items():
        ix = np.asarray(ix)
        per_type = {}
        for k, sub in index_by(table.value_type[ix].tolist()).items():
            rows = ix[sub]
            columns = {(side, name): values for side, codes in (("annotated", table.gold[rows]),
                                                                 ("model", table.pred[rows]))
                       for name, values in (("promote", codes == CODE[1]), ("oppose", codes == CODE[-1]),
                                            ("mean_sign", signs[codes]))}
            block = means_with_ci(columns, bootstrap=table.boot, seed=table.seed)
            per_type[types[k]] = {"n": len(rows)} | {side: {name: block[(side, name)] for name in
                                                            ("promote", "oppose", "mean_sign")}
                                                     for side in ("annotated", "model")}
        profiles[source] = {"dialogues": len(set(table.clusters[ix])), "value_types": per_type}
    return profiles


def metrics_document(pairs: list[Pair], items: list[DialogueItem], types: list[str], boot: dict, seed: int, *,
                     notes: list[str]) -> dict:
    scored = [p for p in pairs if p.gold is not None and p.predicted is not None]
    table = _table(scored, items, boot, seed)
    type_groups, type_matrices = _type_groups(table, types)
    answered = [p for p in pairs if p.predicted is not None]
    return {
        "headline": "macro_f1",
        "overall": _overall(table) if scored else {},
        "baselines": _baselines(table) if scored else {},
        "groups": {"value_type": type_groups,
                   "response_source": {s: {"n": len(ix), "metrics": table.scores(ix)}
                                       for s, ix in index_by(table.source).items()}},
        "confusion_matrix": table.confusion(np.arange(len(scored))),
        "confusion_matrices": {"value_type": type_matrices},
        "value_profiles": _value_profiles(table, types),
        "coverage": mass_summary([p.covered_mass for p in answered]),
        "counts": _counts(pairs, scored, items),
        "notes": ["Chance levels: balanced accuracy 1/3; majority_class always answers the most frequent gold "
                  "label (not expressed), type_majority each value type's most frequent label.",
                  "Pairs are (dialogue, value type); CIs resample dialogues. Mixed-sign pairs (a type the "
                  "annotators marked both +1 and -1) are left out and counted."] + notes,
    }


def _counts(pairs: list[Pair], scored: list[Pair], items: list[DialogueItem]) -> dict:
    golds = [p.gold for p in pairs if p.gold is not None]
    return {"items": len(items), "dialogues_scored": len({p.dialogue for p in scored}), "pairs": len(pairs),
            "scored_pairs": len(scored), "excluded_mixed_sign": sum(p.gold is None for p in pairs),
            "excluded_no_option_mass": sum(p.predicted is None and p.gold is not None for p in pairs),
            "gold_promotes": golds.count(1), "gold_opposes": golds.count(-1), "gold_not_expressed": golds.count(0)}
