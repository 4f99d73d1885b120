"""vLLM in-process: `vllm:MODEL[,tensor_parallel_size=N,pipeline_parallel_size=N,dtype=..,max_model_len=..,
gpu_memory_utilization=..]`. Needs a CUDA GPU and the optional extra: `pip install 'pluralbench[vllm]'`.

Each batch the runner hands over goes to `LLM.generate` in one call, so vLLM schedules it as it likes;
prefix caching is on (a task's prompts share long prefixes). Option distributions come from one
greedy token with `SamplingParams(max_tokens=1, logprobs=K)`: the top-K token ids are mapped to labels
through the tokenizer's vocabulary scan (every spelling of a label), and labels outside the top K get
no mass, with the missed mass bounded (models/topk.py). Prompts are tokenized here, with the same
special-token rule as the transformers adapter, and passed as token ids so both see the same input.

Option texts (the `sequence` read-out) are scored from vLLM's prompt log-probabilities of context +
continuation; N samples (`sampled:N`) are one request with n=N, seeded per prompt.

Multi-GPU: tensor_parallel_size / pipeline_parallel_size pass straight to vLLM; across nodes, start a
Ray cluster and add distributed_executor_backend=ray.
"""
from __future__ import annotations

from pathlib import Path
from typing import Any, Sequence

from pluralbench.errors import UserError
from pluralbench.hashing import sha256_files, sha256_text
from pluralbench.models.base import (
    FixedIdentityAdapter,
    GenerationSettings,
    OptionOutput,
    Rendered,
    chat_turns,
    tokenizer_counts,
)
from pluralbench.models.seeds import prompt_seed
from pluralbench.models.spec import ModelSpec
from pluralbench.models.topk import topk_option_output

INSTALL_HINT = "pip install 'pluralbench[vllm]' (Linux with a CUDA GPU)"
_INT_OPTIONS = {"tensor_parallel_size", "pipeline_parallel_size", "max_model_len", "seed", "max_num_seqs"}
_FLOAT_OPTIONS = {"gpu_memory_utilization"}
_STR_OPTIONS = {"dtype", "revision", "quantization", "distributed_executor_backend", "tokenizer"}
_BOOL_OPTIONS = {"trust_remote_code", "enforce_eager"}
_OWN_OPTIONS = {"logprobs", "batch_size"}
_OPTIONS = _INT_OPTIONS | _FLOAT_OPTIONS | _STR_OPTIONS | _BOOL_OPTIONS | _OWN_OPTIONS


# request building (pure) ------------------------------------------------------------------------------

def engine_kwargs(spec: ModelSpec) -> dict:
    """Keyword arguments for vllm.LLM from a model spec."""
    unknown = set(spec.options) - _OPTIONS
    if unknown:
        raise UserError(f"unknown option(s) {', '.join(sorted(unknown))} for model kind vllm; "
                        f"known: {', '.join(sorted(_OPTIONS))}")
    kwargs: dict[str, Any] = {"model": spec.name, "enable_prefix_caching": True, "seed": 0,
                              "max_logprobs": max(20, logprobs_k(spec))}
    for key in _INT_OPTIONS:
        if key in spec.options:
            kwargs[key] = spec.int_option(key)
    for key in _FLOAT_OPTIONS:
        if key in spec.options:
            try:
                kwargs[key] = float(spec.options[key])
            except ValueError:
                raise UserError(f"model spec option {key}={spec.options[key]!r} is not a number") from None
    for key in _STR_OPTIONS:
        if key in spec.options:
            kwargs[key] = spec.options[key]
    for key in _BOOL_OPTIONS:
        if key in spec.options:
            kwargs[key] = spec.bool_option(key)
    return kwargs


def logprobs_k(spec: ModelSpec) -> int:
    k = spec.int_option("logprobs", 20)
    if k < 1:
        raise UserError(f"model spec option logprobs={k} must be at least 1")
    return k


def option_sampling_kwargs(k: int) -> dict:
    """One greedy token and its top-K alternatives (raw, before any sampling transform)."""
    return {"max_tokens": 1, "temperature": 0.0, "logprobs": k}


def generation_sampling_kwargs(settings: GenerationSettings, seed: int | None = None) -> dict:
    """`seed`: the prompt's own seed when N samples are drawn (models/seeds.py); vLLM draws the N
    samples of one request (n=N) from one prefill of its prompt."""
    kwargs = {"max_tokens": settings.max_new_tokens, "temperature": settings.temperature, "top_p": settings.top_p,
              "seed": settings.seed if seed is None else seed}
    if settings.stop:
        kwargs["stop"] = list(settings.stop)
    if settings.num_samples > 1:
        kwargs["n"] = settings.num_samples
    return kwargs


def sequence_inputs(tokenizer, contexts: Sequence[Rendered], continuations: Sequence[Sequence[str]]):
    """-> (token-id prompts, one per context and continuation; the context's length in each). A
    continuation is tokenized on its own, as the transformers adapter does; vLLM's prefix cache
    computes a context shared by its continuations once."""
    inputs, starts = [], []
    for context, texts in zip(prompt_inputs(tokenizer, contexts), continuations):
        ids = context["prompt_token_ids"]
        for cont in tokenizer(list(texts), add_special_tokens=False)["input_ids"]:
            inputs.append({"prompt_token_ids": ids + cont})
            starts.append(len(ids))
    return inputs, starts


def sequence_sampling_kwargs() -> dict:
    """Nothing to generate: one token, and the log-probability of every prompt token (the actual token's
    is always reported, whatever the top-K)."""
    return {"max_tokens": 1, "temperature": 0.0, "prompt_logprobs": 0}


def prompt_inputs(tokenizer, prompts: Sequence[Rendered]) -> list[dict]:
    """Token-id prompts: BOS and friends added only where the rendered prompt asks for them."""
    return [{"prompt_token_ids": tokenizer(p.text, add_special_tokens=p.add_special_tokens)["input_ids"]}
            for p in prompts]


def label_token_map(option_index, labels: Sequence[str]) -> dict[int, str]:
    return {tid: lab for lab in labels for tid in option_index.token_ids(lab)}


# response parsing (pure) ------------------------------------------------------------------------------

def parse_option_output(request_output, labels: Sequence[str], id_to_label: dict[int, str], k: int) -> OptionOutput:
    """A vLLM RequestOutput: outputs[0].logprobs[0] maps token id -> Logprob(logprob, rank, decoded_token)."""
    completion = request_output.outputs[0]
    if not completion.logprobs:
        raise UserError("vLLM returned no logprobs; was the engine started with max_logprobs below the K asked for?")
    first = completion.logprobs[0]
    entries = [(int(tid), float(lp.logprob)) for tid, lp in first.items()]
    return topk_option_output(entries, labels, id_to_label.get, k)


def parse_generation(request_output, num_samples: int = 1):
    """The text, or with num_samples > 1 the list of the request's n sampled texts."""
    if num_samples > 1:
        return [completion.text for completion in request_output.outputs]
    return request_output.outputs[0].text


def parse_sequence_output(request_output, start: int) -> dict:
    """The continuation's tokens (prompt positions from `start`) and their log-probabilities."""
    ids, logprobs = request_output.prompt_token_ids, request_output.prompt_logprobs
    if logprobs is None:
        raise UserError("vLLM returned no prompt logprobs; sequence scoring needs prompt_logprobs")
    token_logprobs = [float(logprobs[pos][ids[pos]].logprob) for pos in range(start, len(ids))]
    return {"logprob": sum(token_logprobs), "tokens": len(token_logprobs), "token_logprobs": token_logprobs}


# the adapter -----------------------------------------------------------------------------------------------

class VLLMAdapter(FixedIdentityAdapter):
    kind = "vllm"

    def __init__(self, llm, sampling_params_cls, *, k: int, fingerprint: dict, description: str,
                 batch_size: int = 1024):
        super().__init__(fingerprint, description)
        self.llm = llm
        self.tokenizer = llm.get_tokenizer()
        self._sampling_params = sampling_params_cls
        self.k = k
        self._batch_size = batch_size
        self._option_index = None

    @property
    def default_batch_size(self) -> int:
        return self._batch_size

    def has_chat_template(self) -> bool:
        return bool(getattr(self.tokenizer, "chat_template", None))

    def answer_tokens(self, texts: Sequence[str]) -> list[int]:
        return tokenizer_counts(self.tokenizer, texts)

    def render_chat(self, user_message: str, assistant_prefix: str | None, system: str | None = None) -> Rendered:
        text = self.tokenizer.apply_chat_template(chat_turns(user_message, system), tokenize=False,
                                                  add_generation_prompt=True)
        return Rendered(text=text + (assistant_prefix or ""), add_special_tokens=False)

    @property
    def option_index(self):
        if self._option_index is None:
            from pluralbench.models.option_tokens import OptionTokenIndex

            self._option_index = OptionTokenIndex(self.tokenizer)
        return self._option_index

    def option_distributions(self, prompts: Sequence[Rendered], labels: Sequence[Sequence[str]]) -> list[OptionOutput]:
        if not prompts:
            return []
        params = self._sampling_params(**option_sampling_kwargs(self.k))
        results = self.llm.generate(prompt_inputs(self.tokenizer, prompts), params, use_tqdm=False)
        return [parse_option_output(r, labs, label_token_map(self.option_index, labs), self.k)
                for r, labs in zip(results, labels)]

    def sequence_logprobs(self, contexts: Sequence[Rendered], continuations: Sequence[Sequence[str]]) -> list[list[dict]]:
        if not contexts:
            return []
        inputs, starts = sequence_inputs(self.tokenizer, contexts, continuations)
        results = self.llm.generate(inputs, self._sampling_params(**sequence_sampling_kwargs()), use_tqdm=False)
        scored = iter(parse_sequence_output(r, start) for r, start in zip(results, starts))
        return [[next(scored) for _ in texts] for texts in continuations]

    def generate(self, prompts: Sequence[Rendered], settings: GenerationSettings) -> list:
        if not prompts:
            return []
        if settings.num_samples > 1:  # each prompt its own seed: one SamplingParams per prompt
            params = [self._sampling_params(**generation_sampling_kwargs(settings, prompt_seed(settings.seed, p)))
                      for p in prompts]
        else:
            params = self._sampling_params(**generation_sampling_kwargs(settings))
        results = self.llm.generate(prompt_inputs(self.tokenizer, prompts), params, use_tqdm=False)
        return [parse_generation(r, settings.num_samples) for r in results]


def vllm_fingerprint(spec: ModelSpec, kwargs: dict, tokenizer, vllm_version: str) -> dict:
    path = Path(spec.name).expanduser()
    if path.is_dir():
        files = [p for p in path.iterdir() if p.suffix in (".safetensors", ".bin", ".gguf") or p.name == "config.json"]
        weights = {"local_dir_sha256": sha256_files(files, path)}
    else:
        weights = {"hub_id": spec.name, "revision": _hub_commit(spec.name, kwargs.get("revision"))}
    template = getattr(tokenizer, "chat_template", None)
    backend = getattr(tokenizer, "backend_tokenizer", None)
    return {
        "engine": "vllm",
        "engine_version": vllm_version,
        "weights": weights,
        "tokenizer_sha256": sha256_text(backend.to_str()) if backend is not None else None,
        "chat_template_sha256": sha256_text(template) if template else None,
        "dtype": kwargs.get("dtype", "auto"),
        "quantization": kwargs.get("quantization"),
        # Parallel layouts change reduction order, hence the last digits: different fingerprint.
        "tensor_parallel_size": kwargs.get("tensor_parallel_size", 1),
        "pipeline_parallel_size": kwargs.get("pipeline_parallel_size", 1),
    }


def _hub_commit(repo_id: str, revision: str | None) -> str | None:
    """Pin a moving hub branch to its commit, so the cache never serves another revision's answers."""
    try:
        from huggingface_hub import model_info

        return model_info(repo_id, revision=revision).sha
    except Exception:  # offline or private: the named revision is all we know
        return revision


def load_vllm(spec: ModelSpec) -> VLLMAdapter:
    kwargs = engine_kwargs(spec)  # option errors before the (slow, possibly missing) import
    try:
        import vllm
    except ImportError:
        raise UserError(f"model kind vllm needs vLLM, which is not installed: {INSTALL_HINT}") from None
    llm = vllm.LLM(**kwargs)
    k = logprobs_k(spec)
    fingerprint = vllm_fingerprint(spec, kwargs, llm.get_tokenizer(), vllm.__version__) | {"logprobs_k": k}
    return VLLMAdapter(llm, vllm.SamplingParams, k=k, fingerprint=fingerprint, description=spec.canonical(),
                       batch_size=spec.int_option("batch_size", 1024))
