"""Any OpenAI-compatible server (vLLM serve, llama.cpp, TGI, SGLang): `openai:MODEL,base_url=http://host:port/v1`.

Option distributions read the next-token top-K log-probabilities: `/completions` with `max_tokens=1,
logprobs=K` under completion elicitation, `/chat/completions` with `logprobs=true, top_logprobs=K`
under chat elicitation (the server applies its own chat template to `messages`). Labels outside the
top K get no mass; the top-K mass and a bound on what was missed are recorded (models/topk.py).

Prompt log-likelihoods are not offered: they would need echoed prompt logprobs, which some servers
get wrong (llama-cpp-python's are shifted by one token, its issue #1983).

A remote server's weights cannot be verified: the fingerprint holds what the server says about
itself (model name, address, its /models metadata), no more.
"""
from __future__ import annotations

import os
from typing import Sequence
from urllib.parse import urlsplit

from pluralbench.errors import UserError, partial_answers, with_answers
from pluralbench.models.base import (
    GenerationSettings,
    ModelAdapter,
    OptionOutput,
    Rendered,
    chat_turns,
)
from pluralbench.models.http_client import HTTPSettings, JSONClient
from pluralbench.models.seeds import prompt_seed
from pluralbench.models.spec import ModelSpec
from pluralbench.models.topk import label_of_text, topk_option_output

_OPTIONS = {"base_url", "top_logprobs", "concurrency", "timeout", "max_retries", "backoff", "api_key_env", "chat",
            "continue_final_message", "batch_size", "min_tokens"}
# /models fields that change without the model changing (timestamps) stay out of the fingerprint.
_VOLATILE_METADATA = {"created", "permission", "permissions"}


class OpenAIAdapter(ModelAdapter):
    kind = "openai"

    def __init__(self, model: str, client: JSONClient, *, top_logprobs: int = 20, chat: bool = True,
                 continue_final_message: bool = False, server_metadata: dict | None = None,
                 description: str | None = None, batch_size: int = 64, min_tokens: int = 1):
        self.model = model
        self.client = client
        self.top_logprobs = top_logprobs
        self.chat = chat
        self.continue_final_message = continue_final_message
        self.server_metadata = server_metadata or {}
        self._description = description or f"openai:{model}"
        self._batch_size = batch_size
        # When the most likely next token ends the text, servers stop before reporting any logprobs;
        # min_tokens=1 (vLLM, SGLang, llama-cpp-python) keeps it from being *sampled*, while the reported
        # logprobs stay the model's raw ones (end-of-text included). 0 leaves it out, for servers that reject it.
        self.min_tokens = min_tokens
        self.reported_generated_tokens: int | None = 0  # usage.completion_tokens over this adapter's generate calls

    # identity ---------------------------------------------------------------------------------
    def fingerprint(self) -> dict:
        address = urlsplit(self.client.settings.base_url)
        return {
            "engine": "openai-compatible server",
            "weights": {"served_model": self.model, "verified": False,
                        "note": "a remote server's weights cannot be verified; this is what it reports"},
            "server": f"{address.scheme}://{address.netloc}{address.path.rstrip('/')}",
            "server_metadata": self.server_metadata,
            "top_logprobs": self.top_logprobs,
            "chat_prefill": "continue_final_message" if self.continue_final_message else "primer in user turn",
            "min_tokens": self.min_tokens,
        }

    def describe(self) -> str:
        return self._description

    def has_chat_template(self) -> bool:
        return self.chat

    @property
    def default_batch_size(self) -> int:
        return self._batch_size  # requests handed over at once; the client keeps `concurrency` in flight

    # rendering -----------------------------------------------------------------------------------
    def render(self, prompt: str, elicitation: str, answer_prefix: str | None = None,
               system: str | None = None) -> Rendered:
        if elicitation == "chat" and self.chat and not self.continue_final_message:
            # Most servers cannot start the assistant turn for us, so the answer primer stays where the
            # task put it, at the end of the user message.
            return Rendered(messages=_message_pairs(prompt, system), add_special_tokens=False)
        return super().render(prompt, elicitation, answer_prefix, system)

    def render_chat(self, user_message: str, assistant_prefix: str | None, system: str | None = None) -> Rendered:
        messages = list(_message_pairs(user_message, system))
        if assistant_prefix:
            messages.append(("assistant", assistant_prefix))
        return Rendered(messages=tuple(messages), add_special_tokens=False, assistant_prefix=assistant_prefix)

    def _chat_payload(self, rendered: Rendered) -> dict:
        payload = {"model": self.model, "messages": [{"role": r, "content": c} for r, c in rendered.messages]}
        if rendered.assistant_prefix:
            # vLLM's and SGLang's extension: continue the last (assistant) message instead of closing it.
            payload.update(continue_final_message=True, add_generation_prompt=False)
        return payload

    # operations ----------------------------------------------------------------------------------
    def option_requests(self, prompts: Sequence[Rendered]) -> list[tuple[str, dict]]:
        """(path, payload) per prompt: one greedy token with its top-K alternatives."""
        extra = {"min_tokens": self.min_tokens} if self.min_tokens else {}
        out = []
        for p in prompts:
            if p.messages is not None:
                out.append(("chat/completions", self._chat_payload(p) | {
                    "max_tokens": 1, "temperature": 0.0, "logprobs": True, "top_logprobs": self.top_logprobs} | extra))
            else:
                out.append(("completions", {"model": self.model, "prompt": p.text, "max_tokens": 1,
                                            "temperature": 0.0, "logprobs": self.top_logprobs} | extra))
        return out

    def option_distributions(self, prompts: Sequence[Rendered], labels: Sequence[Sequence[str]]) -> list[OptionOutput]:
        return self._parsed(self.option_requests(prompts),
                            lambda i, answer: parse_option_answer(answer, labels[i], self.top_logprobs))

    def generate(self, prompts: Sequence[Rendered], settings: GenerationSettings) -> list:
        common = {"max_tokens": settings.max_new_tokens, "temperature": settings.temperature,
                  "top_p": settings.top_p, "seed": settings.seed}
        if settings.stop:
            common["stop"] = list(settings.stop)
        calls = []
        for p in prompts:
            # N samples: one request with n=N (the server encodes the prompt once), seeded per prompt.
            extra = {"n": settings.num_samples, "seed": prompt_seed(settings.seed, p)} if settings.num_samples > 1 else {}
            if p.messages is not None:
                calls.append(("chat/completions", self._chat_payload(p) | common | extra))
            else:
                calls.append(("completions", {"model": self.model, "prompt": p.text} | common | extra))
        return self._parsed(calls, lambda i, answer: self._counted(parse_generation(answer, settings.num_samples),
                                                                   answer))

    def _counted(self, texts, answer: dict):
        """The parsed answer, its usage.completion_tokens (all n samples) added to what the server reported;
        one answer without it and the count is unknown (None) for the rest of the adapter's life."""
        used = (answer.get("usage") or {}).get("completion_tokens")
        ok = isinstance(used, int) and not isinstance(used, bool) and self.reported_generated_tokens is not None
        self.reported_generated_tokens = self.reported_generated_tokens + used if ok else None
        return texts

    def loglikelihoods(self, contexts, continuations):
        raise UserError("model kind 'openai' does not score log-likelihoods: that needs echoed prompt logprobs, "
                        "which servers get wrong (llama-cpp-python's are shifted by one token, its issue #1983); "
                        "use a task that reads option distributions, or the hf/vllm/lmeval adapters")

    def _parsed(self, calls: list[tuple[str, dict]], parse) -> list:
        """parse(i, answer) for every call. If any request or parse failed, the parsed rest travel with the
        error (errors.with_answers), so the run keeps them and a rerun asks only for the failures."""
        answers, failure = self._send(calls)
        parsed = {}
        for i, answer in answers.items():
            try:
                parsed[i] = parse(i, answer)
            except UserError as exc:
                failure = failure or exc
        if failure is None:
            return [parsed[i] for i in range(len(calls))]
        raise with_answers(failure, parsed)

    def _send(self, calls: list[tuple[str, dict]]) -> tuple[dict[int, dict], UserError | None]:
        """-> (answers by position, the first failure or None). Each endpoint's group goes out concurrently."""
        answers: dict[int, dict] = {}
        failure = None
        for path in sorted({c[0] for c in calls}):
            idx = [i for i, c in enumerate(calls) if c[0] == path]
            try:
                got = dict(enumerate(self.client.post_many(path, [calls[i][1] for i in idx])))
            except UserError as exc:
                if partial_answers(exc) is None:
                    raise
                got, failure = partial_answers(exc), failure or exc
            answers.update((idx[j], answer) for j, answer in got.items())
        return answers, failure


# response parsing (pure) ------------------------------------------------------------------------------

def _message_pairs(user_message: str, system: str | None) -> tuple[tuple[str, str], ...]:
    """The (role, content) turns sent to the server: the system turn, if any, then the user's."""
    return tuple((turn["role"], turn["content"]) for turn in chat_turns(user_message, system))


def parse_option_answer(answer: dict, labels: Sequence[str], requested_k: int) -> OptionOutput:
    """The first generated position's top-K alternatives, from a completions or chat completions answer."""
    try:
        logprobs = answer["choices"][0]["logprobs"]
        if logprobs is None:
            raise KeyError("logprobs")
        if "content" in logprobs:  # chat completions
            positions = logprobs["content"] or []
            first = positions[0] if positions else {}
            entries = [(e["token"], e["logprob"]) for e in first.get("top_logprobs") or []]
            if not entries and first:
                entries = [(first["token"], first["logprob"])]
        else:  # completions: top_logprobs is a list (one per position) of {token: logprob}
            positions = logprobs["top_logprobs"] or []
            entries = list((positions[0] or {}).items()) if positions else []
        # No position at all: the server stopped at end-of-text before reporting anything (min_tokens=0, or
        # a server that ignores it). The options then have no known mass: recorded, not guessed.
    except (KeyError, IndexError, TypeError):
        raise UserError(f"the server's answer has no next-token logprobs (does it support logprobs?): "
                        f"{str(answer)[:300]}") from None
    return topk_option_output(entries, labels, label_of_text(labels), requested_k)


def parse_generation(answer: dict, num_samples: int = 1):
    """The generated text, or with num_samples > 1 the list of the answer's n choices, in index order."""
    try:
        choices = sorted(answer["choices"], key=lambda c: c.get("index", 0))
        texts = [c["message"].get("content") or "" if "message" in c else c["text"] for c in choices]
        if num_samples > 1 and len(texts) != num_samples:
            raise UserError(f"the server returned {len(texts)} choice(s) for n={num_samples}: sampled:N needs a server "
                            "that honours n (vLLM and SGLang do; llama-cpp-python's ignores it)")
        return texts if num_samples > 1 else texts[0]
    except (KeyError, IndexError, TypeError, AttributeError):
        raise UserError(f"the server's answer has no generated text: {str(answer)[:300]}") from None


# loading ---------------------------------------------------------------------------------------------

def load_openai(spec: ModelSpec) -> OpenAIAdapter:
    unknown = set(spec.options) - _OPTIONS
    if unknown:
        raise UserError(f"unknown option(s) {', '.join(sorted(unknown))} for model kind openai; "
                        f"known: {', '.join(sorted(_OPTIONS))}")
    base_url = spec.option("base_url")
    if not base_url:
        raise UserError("model kind openai needs base_url, as in openai:MODEL,base_url=http://127.0.0.1:8000/v1")
    parts = urlsplit(base_url)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise UserError(f"base_url {base_url!r} is not an http(s) URL such as http://127.0.0.1:8000/v1")
    key_env = spec.option("api_key_env", "OPENAI_API_KEY")
    headers = {"Authorization": f"Bearer {os.environ[key_env]}"} if os.environ.get(key_env) else {}
    settings = HTTPSettings(
        base_url=base_url.rstrip("/"), headers=headers,
        concurrency=_positive(spec, "concurrency", 8),
        timeout_s=_seconds(spec, "timeout", 120.0),
        max_retries=max(0, spec.int_option("max_retries", 5)),
        backoff_s=_seconds(spec, "backoff", 0.5),
    )
    client = JSONClient(settings)
    metadata = server_model_metadata(client, spec.name)
    return OpenAIAdapter(spec.name, client, top_logprobs=_positive(spec, "top_logprobs", 20),
                         chat=spec.bool_option("chat", True),
                         continue_final_message=spec.bool_option("continue_final_message", False),
                         server_metadata=metadata, description=spec.canonical(),
                         batch_size=_positive(spec, "batch_size", 64),
                         min_tokens=max(0, spec.int_option("min_tokens", 1)))


def _positive(spec: ModelSpec, key: str, default: int) -> int:
    value = spec.int_option(key, default)
    if value < 1:
        raise UserError(f"model spec option {key}={value} must be at least 1")
    return value


def _seconds(spec: ModelSpec, key: str, default: float) -> float:
    raw = spec.option(key)
    try:
        value = float(raw) if raw is not None else default
    except ValueError:
        raise UserError(f"model spec option {key}={raw!r} is not a number of seconds") from None
    if value <= 0:
        raise UserError(f"model spec option {key}={raw!r} must be positive")
    return value


def server_model_metadata(client: JSONClient, model: str) -> dict:
    """What the server says about the model (its /models entry): part of the fingerprint."""
    try:
        listing = client.get("models")
    except UserError as exc:
        raise UserError(f"cannot reach the server at {client.settings.base_url}: {exc}") from None
    entries = listing.get("data") if isinstance(listing, dict) else None
    if not isinstance(entries, list):
        raise UserError(f"{client.settings.base_url}/models did not list models: {str(listing)[:200]}")
    ids = [e.get("id") for e in entries if isinstance(e, dict)]
    for entry in entries:
        if isinstance(entry, dict) and entry.get("id") == model:
            return {k: v for k, v in sorted(entry.items()) if k not in _VOLATILE_METADATA}
    raise UserError(f"the server at {client.settings.base_url} does not serve model {model!r}; it serves: "
                    f"{', '.join(map(str, ids)) or 'nothing'}")
