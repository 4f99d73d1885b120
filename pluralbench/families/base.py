"""A task family is the code behind a kind of task file: what each item asks of the model, and how
the answers become per-item samples and aggregated metrics. Scoring is a pure function of (items,
outputs), so predictions made elsewhere can be scored the same way.

What an item asks is either an `OptionQuery` (a distribution over its options; the run's elicitation
method decides how it is read out, and the family receives the prediction dict) or a `ModelRequest`
(generation or a log-likelihood; the family receives the raw answer). A judged family (Overton
coverage) also names the (premise, hypothesis) pairs a judge must score; the runner runs the judge
and passes its scores to `score`.
"""
from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass, replace

from pluralbench.core.items import Item
from pluralbench.core.records import ModelRequest
from pluralbench.elicitation import OptionQuery
from pluralbench.errors import UserError
from pluralbench.judges.base import DIRECTIONS


@dataclass
class Scored:
    samples: list[dict]
    metrics: dict


class TaskFamily(ABC):
    name: str = "?"
    # JSON Schema for the task file's `params` block; checked when the task file loads.
    params_schema: dict = {"type": "object"}
    # Where its task files name metrics and what each place needs: JSON path into `params` ([*] for any list
    # index) -> metrics.declared.MetricSlot; a metric of another kind is refused when the task file loads.
    metric_slots: dict = {}
    # A judged family scores model outputs with a judge (--judge); its task files carry `judge` and
    # `direction` params (judges/base.py DIRECTIONS).
    uses_judge: bool = False
    # The metrics.json `headline` of a task file that names none, and which way is better (None: a
    # descriptive number); families whose headline depends on the task file override headline_metric.
    default_headline: str | None = None
    headline_direction: str | None = "higher"
    # The typed item (core/items.py) its requests and score read; loaded items are checked against it
    # (data/loading.py typed). None: items of any shape (a plugin family that predates typed items).
    item_type: type[Item] | None = None

    def headline_metric(self, task) -> tuple[str | None, str | None]:
        """(headline metric, direction) as the task's metrics.json states them; listed in docs/tasks.md."""
        return task.params.get("headline", self.default_headline), self.headline_direction

    @abstractmethod
    def requests(self, task, items: list[Item]) -> list[list[OptionQuery | ModelRequest]]:
        """For each item, what it asks of the model (identical requests are sent once)."""

    @abstractmethod
    def score(self, task, items: list[Item], outputs: list[list], *, seed: int, judgements=None) -> Scored:
        """outputs[i][j] answers requests(task, items)[i][j]; `judgements` holds a judged family's judge scores.

        A family that reports the read-out's resolution floor also takes `resolution: int | None = None`
        (Elicitation.resolution); the runner passes it only to a score() that names it."""

    def metric_parameters(self, task) -> dict:
        """Parameters that define the numbers (log bases, bootstrap), recorded in the manifest."""
        return {}

    def references(self, task, items: list[Item]) -> list[list]:
        """For each item, aligned with requests(task, items): the human distribution an option query's
        prediction is compared with, or None (no such distribution, or not an option query). What a
        read-out fitted to the humans (logprob_calibrated) fits on; the default gives none."""
        return [[None] * len(asks) for asks in self.requests(task, items)]

    # Judged families -------------------------------------------------------------------------------
    def judge_pairs(self, task, items: list[Item], outputs: list[list]) -> list[list[tuple[str, str]]]:
        """For each item, the (premise, hypothesis) pairs the judge scores."""
        raise UserError(f"task family {self.name!r} is not scored by a judge")

    @staticmethod
    def direction(task) -> str | None:
        """Which text is the judge's premise, for a judged task."""
        return task.params.get("direction")

    def with_direction(self, task, direction: str | None):
        """The task with its judge direction overridden (--judge-direction), checked."""
        if direction is None or not self.uses_judge:
            return task
        if direction not in DIRECTIONS:
            raise UserError(f"unknown judge direction {direction!r}; choose one of {', '.join(DIRECTIONS)}")
        return replace(task, params={**task.params, "direction": direction})

    # Predictions made elsewhere (`pluralbench score`). A prediction is a family-specific dict per item
    # (e.g. {"distribution": [...], "covered_mass": None}); families that support external scoring
    # route `score` through `score_predictions`, so a model run and a predictions file are scored by
    # the same code.
    def score_predictions(self, task, items: list[Item], predictions: list[dict], *, seed: int) -> Scored:
        raise UserError(f"task family {self.name!r} cannot score predictions made elsewhere")

    def prediction_from_row(self, task, row: dict, *, path, index: int) -> dict:
        """A Modular-Pluralism-format row (`pred_distribution` / `output`) -> a prediction."""
        raise UserError(f"task family {self.name!r} cannot read Modular-Pluralism-format predictions")

    def prediction_from_sample(self, task, sample: dict, *, path, index: int, item: dict) -> dict:
        """One line of this family's own samples.jsonl -> the prediction it was scored from, its numbers
        range-checked against `item` (the task's item of the same id) by elicitation.predictions.from_sample_fields."""
        raise UserError(f"task family {self.name!r} cannot re-score its samples.jsonl")
