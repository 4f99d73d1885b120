"""A task family is the code behind a kind of task file: how items become model requests, and how
model outputs become per-item samples and aggregated metrics. Scoring is a pure function of
(items, outputs), so predictions made elsewhere can be scored the same way."""
from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass

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
