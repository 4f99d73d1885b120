"""Families whose every item asks one OptionQuery over the item's own options (`prompt`, `options`)
and is scored from its prediction dict alone: a model run and a predictions file take the same path."""
from __future__ import annotations

from pluralbench.elicitation import OptionQuery
from pluralbench.families.base import TaskFamily


class OneQueryPerItem(TaskFamily):
    reference_field: str | None = None  # the item field holding the human distribution its prediction is compared with

    def requests(self, task, items):
        prefix = task.prompt.get("answer_prefix")
        return [[OptionQuery(it["prompt"], tuple(it["options"]), prefix)] for it in items]

    def references(self, task, items):
        return [[it.get(self.reference_field) if self.reference_field else None] for it in items]

    def score(self, task, items, outputs, *, seed, judgements=None):
        return self.score_predictions(task, items, [pred for (pred,) in outputs], seed=seed)
