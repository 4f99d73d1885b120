"""The records that pass between the layers: a rendered prompt, what a task asks of a model, and
what the model answers. They sit at the bottom so that data, models, families and the runner can
all use them without importing one another."""
from __future__ import annotations

import math
from dataclasses import asdict, dataclass


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
    # Above 1, the answer to a prompt is a list of this many independent samples, drawn from one
    # encoding of the prompt; each sample's seed comes from `seed`, the prompt and its index (models/seeds.py).
    num_samples: int = 1

    def key(self) -> dict:
        key = asdict(self)
        if self.num_samples == 1:  # keys made before num_samples existed stay valid
            del key["num_samples"]
        return key


# "sequences": the log-likelihood of each of several continuations of one prompt (the options' full texts).
OPS = ("options", "generate", "loglikelihood", "sequences")


@dataclass(frozen=True)
class ModelRequest:
    op: str  # one of OPS
    prompt: str
    labels: tuple[str, ...] = ()  # for "options"
    answer_prefix: str | None = None  # moved into the assistant turn under chat elicitation
    continuation: str | None = None  # for "loglikelihood"
    generation: GenerationSettings | None = None  # for "generate"
    # A system message: chat rendering gives it a system turn, completion rendering puts it first. It
    # reaches the cache key through the rendered prompt, so a request without one keeps its key.
    system: str | None = None
    continuations: tuple[str, ...] = ()  # for "sequences"

    def params_key(self) -> dict:
        """Everything besides the rendered prompt that changes the answer."""
        key = {
            "op": self.op,
            "labels": list(self.labels),
            "continuation": self.continuation,
            "generation": self.generation.key() if self.generation else None,
        }
        if self.continuations:  # absent from the ops that existed before it, so their keys are unchanged
            key["continuations"] = list(self.continuations)
        return key
