"""vLLM's objects made here, for tests of the vLLM adapter: vLLM is CUDA-only and cannot run on this
CPU-only machine, so its tests check request building and response parsing against objects of vLLM's
shape (vllm.outputs.RequestOutput -> CompletionOutput -> {token_id: vllm.sequence.Logprob}) and an LLM
that hands back prepared outputs (docs/scale-out.md). The one stand-in in the suite: every other engine
runs for real."""
from __future__ import annotations

from dataclasses import dataclass, field


@dataclass
class Logprob:
    logprob: float
    rank: int | None = None
    decoded_token: str | None = None


@dataclass
class CompletionOutput:
    index: int
    text: str
    token_ids: list = field(default_factory=list)
    cumulative_logprob: float | None = None
    logprobs: list | None = None
    finish_reason: str | None = "length"


@dataclass
class RequestOutput:
    request_id: str
    prompt: str | None
    prompt_token_ids: list
    prompt_logprobs: list | None
    outputs: list = field(default_factory=list)
    finished: bool = True


class SamplingParams:
    """Records its arguments, as vllm.SamplingParams would hold them."""

    def __init__(self, **kwargs):
        self.kwargs = kwargs


class RecordedLLM:
    """Answers each prompt of a generate() call with answers(prompt) and records every call
    (prompts, params, use_tqdm), as vllm.LLM would be called."""

    def __init__(self, tokenizer, answers):
        self._tokenizer, self._answers, self.calls = tokenizer, answers, []

    def get_tokenizer(self):
        return self._tokenizer

    def generate(self, prompts, params, use_tqdm=True):
        self.calls.append((prompts, params, use_tqdm))
        return [self._answers(p) for p in prompts]
