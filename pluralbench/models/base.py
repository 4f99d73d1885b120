"""The adapter protocol every model backend implements.

Four operations, each over a batch: the next-token distribution over option labels, the
log-likelihood of a continuation, the log-likelihoods of several continuations of one prompt (the
options' full texts), and generation (one answer, or N samples). Prompts reach an adapter already
rendered for an elicitation mode, so the cache can key on exactly what the model saw.
"""
from __future__ import annotations

from abc import ABC, abstractmethod
from typing import Sequence

from pluralbench.core.records import (  # the protocol's record types
    GenerationSettings,
    ModelRequest,
    OptionOutput,
    Rendered,
)
from pluralbench.errors import UserError
from pluralbench.hashing import sha256_json

ELICITATIONS = ("completion", "chat")


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

    def render(self, prompt: str, elicitation: str, answer_prefix: str | None = None,
               system: str | None = None) -> Rendered:
        """Completion sends the prompt as is (after the system message, if any); chat moves a trailing
        answer prefix into the assistant turn and the system message into a system turn."""
        if elicitation == "completion":
            return Rendered(text=with_system(prompt, system), add_special_tokens=True)
        if elicitation != "chat":
            raise UserError(f"unknown elicitation {elicitation!r}; choose one of {', '.join(ELICITATIONS)}")
        if not self.has_chat_template():
            raise UserError(f"model {self.describe()} has no chat template (a base model?); use --elicitation completion")
        body, prefix = split_answer_prefix(prompt, answer_prefix)
        # Without a system message, adapters written before it existed (plugins) keep working.
        return self.render_chat(body, prefix, system) if system else self.render_chat(body, prefix)

    def render_request(self, request: ModelRequest, elicitation: str) -> Rendered:
        """What the model receives for a request: its prompt, its system message (if any), and its answer
        prefix (which chat moves into the assistant turn). Every read-out of an option query carries the
        task's prefix (logprob, sequence, sampled), so all of them continue the same assistant turn; the
        generate requests families build themselves carry none."""
        return self.render(request.prompt, elicitation, request.answer_prefix, request.system)

    @abstractmethod
    def render_chat(self, user_message: str, assistant_prefix: str | None, system: str | None = None) -> Rendered: ...

    @abstractmethod
    def option_distributions(self, prompts: Sequence[Rendered], labels: Sequence[Sequence[str]]) -> list[OptionOutput]:
        """For each prompt, the next-token log-probability of each label (spellings summed)."""

    def loglikelihoods(self, contexts: Sequence[Rendered], continuations: Sequence[str]) -> list[float]:
        raise UserError(f"model kind {self.kind!r} does not support log-likelihood scoring")

    def sequence_logprobs(self, contexts: Sequence[Rendered], continuations: Sequence[Sequence[str]]) -> list[list[dict]]:
        """For each context, each of its continuations scored: {"logprob": summed log-probability,
        "tokens": how many tokens it took (None when the engine does not say), and "token_logprobs":
        [...] where the engine reports them}. Plain JSON, as the journal stores it."""
        raise UserError(f"model kind {self.kind!r} does not score option sequences")

    def generate(self, prompts: Sequence[Rendered], settings: GenerationSettings) -> list:
        """One text per prompt; with settings.num_samples > 1, a list of that many independent samples per
        prompt, drawn from one encoding of it and seeded per prompt and sample (models/seeds.py)."""
        raise UserError(f"model kind {self.kind!r} does not support generation")

    def answer_tokens(self, texts: Sequence[str]) -> list[int] | None:
        """How many tokens the model's own tokenizer makes of each generated answer text (no special tokens):
        how a run counts the tokens its answers took, journalled and cached ones too. None when the adapter
        has no tokenizer at hand (a remote server: see `reported_generated_tokens`)."""
        return None

    # A remote engine that reports what it generated (an OpenAI-compatible server's usage.completion_tokens)
    # sums it here over its generate calls; None: the engine reports nothing.
    reported_generated_tokens: int | None = None

    def describe(self) -> str:
        return self.kind

    # Optional: what the long-prompt policy (runner/long_prompts.py) needs. None means unknown, and
    # the policy then reports that prompts were not measured.
    def prompt_tokens(self, rendered: Rendered) -> int | None:
        """How many tokens the model sees for this rendered prompt."""
        return None

    def prompt_token_counts(self, rendered: Sequence[Rendered]) -> list[int | None]:
        """prompt_tokens for many prompts (an adapter with a batch tokenizer counts them in one call)."""
        return [self.prompt_tokens(r) for r in rendered]

    def context_length(self) -> int | None:
        """The most tokens the model accepts in one sequence."""
        return None

    @property
    def default_batch_size(self) -> int:
        return 8


class FixedIdentityAdapter(ModelAdapter):
    """An adapter whose fingerprint and description are worked out before it is built (vLLM, lm-eval: from the
    engine's settings and files) and handed back as given."""

    def __init__(self, fingerprint: dict, description: str):
        self._fingerprint = fingerprint
        self._description = description

    def fingerprint(self) -> dict:
        return self._fingerprint

    def describe(self) -> str:
        return self._description


def with_system(prompt: str, system: str | None) -> str:
    """A completion prompt with the system message as its first paragraph (none: the prompt unchanged)."""
    return f"{system}\n\n{prompt}" if system else prompt


def chat_turns(user_message: str, system: str | None = None) -> list[dict]:
    """The messages a chat template receives: the system turn, when there is a system message, then the user's."""
    return ([{"role": "system", "content": system}] if system else []) + [{"role": "user", "content": user_message}]


def split_answer_prefix(prompt: str, answer_prefix: str | None) -> tuple[str, str | None]:
    """'...Options: A. x B. y\\nAnswer:' -> ('...Options: A. x B. y', 'Answer:')."""
    if answer_prefix and prompt.rstrip().endswith(answer_prefix):
        return prompt.rstrip()[: -len(answer_prefix)].rstrip(), answer_prefix
    return prompt, answer_prefix


def tokenizer_counts(tokenizer, texts: Sequence[str]) -> list[int]:
    """Tokens per text under a Hugging Face tokenizer, without the special tokens a prompt would get."""
    return [len(ids) for ids in tokenizer(list(texts), add_special_tokens=False)["input_ids"]] if texts else []
