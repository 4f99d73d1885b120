"""What a task asks of a model, before rendering for an elicitation mode."""
from __future__ import annotations

from dataclasses import dataclass

from pluralbench.models.base import GenerationSettings

OPS = ("options", "generate", "loglikelihood")


@dataclass(frozen=True)
class ModelRequest:
    op: str  # one of OPS
    prompt: str
    labels: tuple[str, ...] = ()  # for "options"
    answer_prefix: str | None = None  # moved into the assistant turn under chat elicitation
    continuation: str | None = None  # for "loglikelihood"
    generation: GenerationSettings | None = None  # for "generate"

    def params_key(self) -> dict:
        """Everything besides the rendered prompt that changes the answer."""
        return {
            "op": self.op,
            "labels": list(self.labels),
            "continuation": self.continuation,
            "generation": self.generation.key() if self.generation else None,
        }
