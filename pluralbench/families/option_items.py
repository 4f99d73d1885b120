"""Families whose every item asks one OptionQuery over the item's own options (`prompt`, `options`)
and is scored from its prediction dict alone: a model run and a predictions file take the same path."""
from __future__ import annotations

from pluralbench.core.items import ABSENT, OptionItem, ScaleItem
from pluralbench.elicitation import OptionQuery
from pluralbench.families.base import TaskFamily


class OneQueryPerItem(TaskFamily):
    reference_field: str | None = None  # the item field holding the human distribution its prediction is compared with

    def requests(self, task, items: list[OptionItem | ScaleItem]):
        prefix = task.prompt.get("answer_prefix")
        return [[OptionQuery(it.prompt, tuple(it.options), prefix)] for it in items]

    def references(self, task, items: list[OptionItem | ScaleItem]):
        return [[self.reference(it)] for it in items]

    def reference(self, item: OptionItem | ScaleItem) -> list[float] | None:
        """The item's human distribution, None when the family compares with none or the item has none."""
        value = getattr(item, self.reference_field) if self.reference_field else None
        return None if value is ABSENT else value

    def score(self, task, items, outputs, *, seed, judgements=None):
        return self.score_predictions(task, items, [pred for (pred,) in outputs], seed=seed)
