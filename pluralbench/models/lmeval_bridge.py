"""Any lm-eval 0.4.x model as a pluralbench model: `lmeval:MODEL_TYPE,MODEL_ARGS`, e.g.
`lmeval:hf,pretrained=/models/x,dtype=float32` or `lmeval:local-completions,model=m,base_url=...`.

Option distributions come from lm-eval's `loglikelihood` of each option label as a continuation of
the prompt (" A" after a prompt that ends in a non-space, "A" otherwise), renormalised over the
options. That scores one spelling per label, where the hf adapter sums every spelling; the mass the
labels cover is recorded as usual. Chat elicitation uses the LM's own `apply_chat_template`. Option
texts (the `sequence` read-out) are lm-eval `loglikelihood` requests too, with their token counts.
"""
from __future__ import annotations

import math
from pathlib import Path
from typing import Sequence

from pluralbench.core.options import continuation_after as label_continuation
from pluralbench.errors import UserError
from pluralbench.hashing import sha256_file, sha256_files
from pluralbench.models.base import (
    FixedIdentityAdapter,
    GenerationSettings,
    OptionOutput,
    Rendered,
    chat_turns,
)
from pluralbench.models.spec import ModelSpec

LMEVAL_VERSION = "0.4.13"  # the version tested; other 0.4.x releases keep the same LM interface
_HF_TYPES = {"hf", "hf-auto", "huggingface"}


class LMEvalAdapter(FixedIdentityAdapter):
    kind = "lmeval"

    def __init__(self, lm, *, model_type: str, model_args: str, fingerprint: dict, description: str):
        super().__init__(fingerprint, description)
        self.lm = lm
        self.model_type = model_type
        self.model_args = model_args
        self._has_chat = None

    @property
    def default_batch_size(self) -> int:
        return 32  # lm-eval batches inside loglikelihood itself

    def has_chat_template(self) -> bool:
        if self._has_chat is None:
            try:
                self._has_chat = isinstance(self._apply_chat_template("probe", None), str)
            except Exception:  # NotImplementedError for API models, or a tokenizer without a template
                self._has_chat = False
        return self._has_chat

    def _apply_chat_template(self, user_message: str, assistant_prefix: str | None, system: str | None = None) -> str:
        text = self.lm.apply_chat_template(chat_turns(user_message, system), add_generation_prompt=True)
        return text + (assistant_prefix or "")

    def render_chat(self, user_message: str, assistant_prefix: str | None, system: str | None = None) -> Rendered:
        return Rendered(text=self._apply_chat_template(user_message, assistant_prefix, system), add_special_tokens=False)

    # operations -------------------------------------------------------------------------------------
    def _loglikelihood(self, pairs: list[tuple[str, str]]) -> list[float]:
        from lm_eval.api.instance import Instance

        instances = [Instance(request_type="loglikelihood", doc={}, arguments=pair, idx=i)
                     for i, pair in enumerate(pairs)]
        return [float(result[0]) for result in self.lm.loglikelihood(instances, disable_tqdm=True)]

    def option_distributions(self, prompts: Sequence[Rendered], labels: Sequence[Sequence[str]]) -> list[OptionOutput]:
        pairs = [(p.text, label_continuation(p.text, lab)) for p, labs in zip(prompts, labels) for lab in labs]
        scores = iter(self._loglikelihood(pairs))
        outputs = []
        for labs in labels:
            logps = tuple(next(scores) for _ in labs)
            outputs.append(OptionOutput(logps, min(1.0, sum(math.exp(v) for v in logps))))
        return outputs

    def loglikelihoods(self, contexts: Sequence[Rendered], continuations: Sequence[str]) -> list[float]:
        return self._loglikelihood([(c.text, k) for c, k in zip(contexts, continuations)])

    def sequence_logprobs(self, contexts: Sequence[Rendered], continuations: Sequence[Sequence[str]]) -> list[list[dict]]:
        pairs = [(c.text, k) for c, texts in zip(contexts, continuations) for k in texts]
        scored = iter(zip(self._loglikelihood(pairs), self._token_counts(pairs)))
        return [[dict(zip(("logprob", "tokens"), next(scored))) for _ in texts] for texts in continuations]

    def _token_counts(self, pairs: list[tuple[str, str]]) -> list[int | None]:
        """How many tokens lm-eval scores for each continuation (its own split of context and continuation);
        None for an LM that does not expose it (lm-eval reports only the summed log-likelihood)."""
        encode = getattr(self.lm, "_encode_pair", None)
        return [len(encode(c, k)[1]) if encode is not None and c else None for c, k in pairs]

    def generate(self, prompts: Sequence[Rendered], settings: GenerationSettings) -> list[str]:
        from lm_eval.api.instance import Instance

        gen_kwargs = {"until": list(settings.stop), "max_gen_toks": settings.max_new_tokens,
                      "do_sample": settings.temperature > 0}
        if settings.temperature > 0:
            gen_kwargs.update(temperature=settings.temperature, top_p=settings.top_p)
        else:
            gen_kwargs.update(temperature=0.0)
        instances = [Instance(request_type="generate_until", doc={}, arguments=(p.text, dict(gen_kwargs)), idx=i)
                     for i, p in enumerate(prompts)]
        return list(self.lm.generate_until(instances, disable_tqdm=True))


def model_args_string(options: dict[str, str]) -> str:
    return ",".join(f"{k}={v}" for k, v in options.items())


def lmeval_fingerprint(model_type: str, options: dict[str, str], version: str) -> dict:
    """Weights identity where it can be read locally (a directory or a GGUF file); the arguments otherwise."""
    pretrained = options.get("pretrained") or options.get("model")
    weights: dict = {"model_args": model_args_string(dict(sorted(options.items())))}
    if pretrained:
        path = Path(pretrained).expanduser()
        gguf = options.get("gguf_file")
        if gguf and (path / gguf).is_file():
            weights = {"gguf_sha256": sha256_file(path / gguf), "gguf_file": gguf}
        elif path.is_dir():
            files = [p for p in path.iterdir() if p.suffix in (".safetensors", ".bin") or p.name == "config.json"]
            weights = {"local_dir_sha256": sha256_files(files, path)}
        else:
            weights = {"name": pretrained, "revision": options.get("revision"), "verified": False}
    return {"engine": "lm-eval", "engine_version": version, "model_type": model_type,
            "model_args": dict(sorted(options.items())), "weights": weights}


def load_lmeval(spec: ModelSpec) -> LMEvalAdapter:
    try:
        import lm_eval
        from lm_eval.api.registry import get_model
    except ImportError:
        raise UserError(f"model kind lmeval needs lm-eval: pip install 'lm-eval=={LMEVAL_VERSION}'") from None
    try:
        import lm_eval.models  # noqa: F401  (registers the built-in model types in older 0.4 releases)
    except ImportError:
        pass
    options = dict(spec.options)
    if spec.name in _HF_TYPES and "device" not in options:
        import torch

        if not torch.cuda.is_available():
            options["device"] = "cpu"  # HFLM asserts on CUDA otherwise
    try:
        lm_cls = get_model(spec.name)
    except (ValueError, KeyError) as exc:
        raise UserError(f"lm-eval has no model type {spec.name!r} ({exc})") from None
    args = model_args_string(options)
    try:
        lm = lm_cls.create_from_arg_string(args, {})
    except (OSError, TypeError, ValueError) as exc:
        if "trust_remote_code" in str(exc) and "trust_remote_code" not in options:
            raise UserError(f"lm-eval model {spec.name}({args}) needs custom code from its repository to load; it is "
                            "not run unless the model spec says trust_remote_code=True (read that code first)") from None
        first = (str(exc).strip().splitlines() or [type(exc).__name__])[0]
        raise UserError(f"lm-eval could not build {spec.name}({args}): {first}") from None
    version = getattr(lm_eval, "__version__", None) or _dist_version("lm-eval")
    return LMEvalAdapter(lm, model_type=spec.name, model_args=args,
                         fingerprint=lmeval_fingerprint(spec.name, options, version), description=spec.canonical())


def _dist_version(name: str) -> str | None:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version(name)
    except PackageNotFoundError:
        return None
