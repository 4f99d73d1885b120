"""The elicitation seam: how a distribution over a question's options is read out of a model.

A family states what it wants as an `OptionQuery` (a prompt and its options); an elicitation method
turns the query into model requests and the model's answers back into a prediction, the dict every
family scores: {"distribution": [...] | None, "covered_mass": float | None, "label_logprobs": [...] |
None, and diagnostics such as "topk"}. A None distribution means the model gave no readable answer:
the item is excluded and counted, never replaced by a uniform guess. No family knows which method
is in use, so a new read-out (issue: calibrated, sequence, verbalized, sampled) touches no family.
"""
from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass
from typing import Sequence

from pluralbench.core.options import LETTERS
from pluralbench.core.records import ModelRequest


@dataclass(frozen=True)
class OptionQuery:
    prompt: str  # the prompt as the task renders it (options listed, answer primer at the end)
    options: tuple[str, ...]  # the option texts, in the order the prompt lists them
    answer_prefix: str | None = None  # e.g. "Answer:"; under chat it opens the assistant turn
    labels: tuple[str, ...] | None = None  # how the prompt labels the options (default A, B, C, ...)
    system: str | None = None  # a system message sent with the prompt (e.g. a steering instruction)

    def option_labels(self) -> tuple[str, ...]:
        return self.labels if self.labels is not None else tuple(LETTERS[: len(self.options)])


class Elicitation(ABC):
    name: str = "?"

    @abstractmethod
    def requests(self, query: OptionQuery) -> list[ModelRequest]:
        """The model requests that answer one query (identical requests across items are sent once)."""

    @abstractmethod
    def read(self, query: OptionQuery, outputs: Sequence) -> dict:
        """The prediction, from the answers to requests(query), in order."""

    def settings(self) -> dict:
        """What defines the read-out, recorded with every result."""
        return {"method": self.name}
