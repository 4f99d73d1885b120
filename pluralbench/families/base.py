"""A task family is the code behind a kind of task file: how items become model requests, and how
model outputs become per-item samples and aggregated metrics. Scoring is a pure function of
(items, outputs), so predictions made elsewhere can be scored the same way."""
from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass

from pluralbench.errors import UserError
from pluralbench.runner.requests import ModelRequest


@dataclass
class Scored:
    samples: list[dict]
    metrics: dict


class TaskFamily(ABC):
    name: str = "?"
    # JSON Schema for the task file's `params` block; checked when the task file loads.
    params_schema: dict = {"type": "object"}

    @abstractmethod
    def requests(self, task, items: list[dict]) -> list[list[ModelRequest]]:
        """For each item, the model requests it needs (identical requests are sent once)."""

    @abstractmethod
    def score(self, task, items: list[dict], outputs: list[list], *, seed: int) -> Scored:
        """outputs[i][j] answers requests(task, items)[i][j]."""

    def metric_parameters(self, task) -> dict:
        """Parameters that define the numbers (log bases, bootstrap), recorded in the manifest."""
        return {}

    # Predictions made elsewhere (`pluralbench score`). A prediction is a family-specific dict per item
    # (e.g. {"distribution": [...], "covered_mass": None}); families that support external scoring
    # route `score` through `score_predictions`, so a model run and a predictions file are scored by
    # the same code.
    def score_predictions(self, task, items: list[dict], predictions: list[dict], *, seed: int) -> Scored:
        raise UserError(f"task family {self.name!r} cannot score predictions made elsewhere")

    def prediction_from_row(self, task, row: dict, *, path, index: int) -> dict:
        """A Modular-Pluralism-format row (`pred_distribution` / `output`) -> a prediction."""
        raise UserError(f"task family {self.name!r} cannot read Modular-Pluralism-format predictions")

    def prediction_from_sample(self, task, sample: dict, *, path, index: int) -> dict:
        """One line of this family's own samples.jsonl -> the prediction it was scored from."""
        raise UserError(f"task family {self.name!r} cannot re-score its samples.jsonl")
