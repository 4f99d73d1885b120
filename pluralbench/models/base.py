"""The adapter protocol every model backend implements.

Three operations, each over a batch: the next-token distribution over option labels, the
log-likelihood of a continuation, and generation. Prompts reach an adapter already rendered for an
elicitation mode, so the cache can key on exactly what the model saw.
"""
from __future__ import annotations

import math
from abc import ABC, abstractmethod
from dataclasses import asdict, dataclass
from typing import Sequence

from pluralbench.errors import UserError
from pluralbench.hashing import sha256_json

ELICITATIONS = ("completion", "chat")


@dataclass(frozen=True)
class Rendered:
    """A prompt as the model receives it: raw text, or chat messages for servers that template themselves."""

    text: str | None = None
    messages: tuple[tuple[str, str], ...] | None = None
    add_special_tokens: bool = True
    # For server-side chat: text the assistant turn starts with (the answer primer).
    assistant_prefix: str | None = None

    def key(self) -> dict:
        return asdict(self)


@dataclass(frozen=True)
class OptionOutput:
    """Log-probabilities of each option label (all spellings of a label summed) and the mass they cover."""

    label_logprobs: tuple[float | None, ...]  # None: the engine reported nothing for that label
    covered_mass: float
    # Engines that report only the top-K tokens (servers, vLLM): how much the top K covered and bounds on
    # what it missed (see models/topk.py). None for engines that see the whole vocabulary.
    topk: dict | None = None

    def to_json(self) -> dict:
        logps = [v if v is not None and math.isfinite(v) else None for v in self.label_logprobs]
        out = {"label_logprobs": logps, "covered_mass": self.covered_mass}
        if self.topk is not None:
            out["topk"] = self.topk
        return out

    @classmethod
    def from_json(cls, obj: dict) -> "OptionOutput":
        return cls(tuple(obj["label_logprobs"]), obj["covered_mass"], obj.get("topk"))


@dataclass(frozen=True)
class GenerationSettings:
    max_new_tokens: int = 256
    temperature: float = 0.0  # 0 = greedy
    top_p: float = 1.0
    seed: int = 0
    stop: tuple[str, ...] = ()

    def key(self) -> dict:
        return asdict(self)


class ModelAdapter(ABC):
    """A loaded model. Subclasses are thin: they translate these calls into their engine's API."""

    kind: str = "?"

    @abstractmethod
    def fingerprint(self) -> dict:
        """Everything that changes the model's outputs: weights identity, tokenizer, template, dtype, engine."""

    def fingerprint_id(self) -> str:
        return sha256_json(self.fingerprint())[:24]

    @abstractmethod
    def has_chat_template(self) -> bool: ...

    def render(self, prompt: str, elicitation: str, answer_prefix: str | None = None) -> Rendered:
        """Completion sends the prompt as is; chat moves a trailing answer prefix into the assistant turn."""
        if elicitation == "completion":
            return Rendered(text=prompt, add_special_tokens=True)
        if elicitation != "chat":
            raise UserError(f"unknown elicitation {elicitation!r}; choose one of {', '.join(ELICITATIONS)}")
        if not self.has_chat_template():
            raise UserError(f"model {self.describe()} has no chat template (a base model?); use --elicitation completion")
        body, prefix = split_answer_prefix(prompt, answer_prefix)
        return self.render_chat(body, prefix)

    @abstractmethod
    def render_chat(self, user_message: str, assistant_prefix: str | None) -> Rendered: ...

    @abstractmethod
    def option_distributions(self, prompts: Sequence[Rendered], labels: Sequence[Sequence[str]]) -> list[OptionOutput]:
        """For each prompt, the next-token log-probability of each label (spellings summed)."""

    def loglikelihoods(self, contexts: Sequence[Rendered], continuations: Sequence[str]) -> list[float]:
        raise UserError(f"model kind {self.kind!r} does not support log-likelihood scoring")

    def generate(self, prompts: Sequence[Rendered], settings: GenerationSettings) -> list[str]:
        raise UserError(f"model kind {self.kind!r} does not support generation")

    def describe(self) -> str:
        return self.kind

    # Optional: what the long-prompt policy (runner/long_prompts.py) needs. None means unknown, and
    # the policy then reports that prompts were not measured.
    def prompt_tokens(self, rendered: Rendered) -> int | None:
        """How many tokens the model sees for this rendered prompt."""
        return None

    def context_length(self) -> int | None:
        """The most tokens the model accepts in one sequence."""
        return None

    @property
    def default_batch_size(self) -> int:
        return 8


def split_answer_prefix(prompt: str, answer_prefix: str | None) -> tuple[str, str | None]:
    """'...Options: A. x B. y\\nAnswer:' -> ('...Options: A. x B. y', 'Answer:')."""
    if answer_prefix and prompt.rstrip().endswith(answer_prefix):
        return prompt.rstrip()[: -len(answer_prefix)].rstrip(), answer_prefix
    return prompt, answer_prefix
