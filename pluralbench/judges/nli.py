"""NLI judge: the entailment probability of a Hugging Face sequence-classification NLI model.

The default is microsoft/deberta-v2-xlarge-mnli, the Modular Pluralism reference's judge. Which
output is "entailment" is read from the model's own `id2label`, never assumed (MNLI models order
their labels differently). Pairs are tokenised together as (premise, hypothesis) and run in batches.
"""
from __future__ import annotations

from pathlib import Path
from typing import Sequence

from pluralbench.errors import UserError
from pluralbench.hashing import sha256_files, sha256_text
from pluralbench.judges.base import OFFLINE_JUDGES, Judge
from pluralbench.judges.spec import JudgeSpec

DEFAULT_NLI_MODEL = "microsoft/deberta-v2-xlarge-mnli"


def entailment_index(id2label: dict) -> int:
    """The output index whose label names entailment ('ENTAILMENT', 'entailment', 'entails', ...)."""
    found = [int(i) for i, label in id2label.items() if str(label).strip().lower().startswith("entail")]
    if len(found) != 1:
        labels = ", ".join(f"{i}={label}" for i, label in sorted(id2label.items(), key=lambda kv: int(kv[0])))
        raise UserError(f"NLI judge: the model's id2label ({labels}) names {'no' if not found else 'several'} "
                        "entailment label(s); it needs exactly one label starting with 'entail'")
    return found[0]


class NLIJudge(Judge):
    name = "nli"
    score_rule = "softmax probability of the entailment label (premise entails hypothesis)"
    default_batch_size = 16

    def __init__(self, spec: str, model, tokenizer, *, weights: dict, batch_size: int, max_length: int):
        super().__init__(spec)
        self.model = model.eval()
        self.tokenizer = tokenizer
        self.batch_size = batch_size
        self.max_length = max_length
        self.entailment = entailment_index(model.config.id2label)
        self._weights = weights

    def fingerprint(self) -> dict:
        import transformers

        backend = getattr(self.tokenizer, "backend_tokenizer", None)
        tok = sha256_text(backend.to_str()) if backend is not None else sha256_text(
            repr(sorted(self.tokenizer.get_vocab().items())))
        return {"judge": self.name, "weights": self._weights, "tokenizer_sha256": tok,
                "id2label": {str(k): v for k, v in sorted(self.model.config.id2label.items())},
                "entailment_index": self.entailment, "max_length": self.max_length, "dtype": "float32",
                "engine": "transformers", "engine_version": transformers.__version__}

    def logits(self, pairs: Sequence[tuple[str, str]]):
        import torch

        with torch.inference_mode():
            enc = self.tokenizer([p for p, _ in pairs], [h for _, h in pairs], padding=True, truncation=True,
                                 max_length=self.max_length, return_tensors="pt")
            return self.model(**enc).logits.float()

    def score_pairs(self, pairs):
        import torch

        scores: list[float] = []
        for start in range(0, len(pairs), self.batch_size):
            chunk = list(pairs[start:start + self.batch_size])
            probs = torch.softmax(self.logits(chunk), dim=-1)
            scores.extend(float(p) for p in probs[:, self.entailment])
        return scores


def _offline_error(name: str, why: str) -> UserError:
    return UserError(f"NLI judge: could not load {name!r} ({why}); it needs the Hugging Face hub or a local "
                     f"directory. Offline judges: {OFFLINE_JUDGES}")


def _hub_reachable(timeout: float = 3.0) -> bool:
    """One quick name lookup instead of the hub client's minute of retries when there is no network."""
    import socket
    from urllib.parse import urlparse

    from huggingface_hub import constants

    host = urlparse(constants.ENDPOINT).hostname
    previous = socket.getdefaulttimeout()
    socket.setdefaulttimeout(timeout)
    try:
        socket.getaddrinfo(host, 443)
        return True
    except OSError:
        return False
    finally:
        socket.setdefaulttimeout(previous)


def _from_hub_cache(name: str, revision: str | None) -> bool:
    from huggingface_hub import try_to_load_from_cache

    found = try_to_load_from_cache(name, "config.json", revision=revision)
    return isinstance(found, str)


def load_nli_judge(spec: JudgeSpec) -> NLIJudge:
    import torch
    from transformers import AutoModelForSequenceClassification, AutoTokenizer
    from transformers.utils import logging as hf_logging

    hf_logging.disable_progress_bar()
    hf_logging.set_verbosity_error()
    spec.check_options({"batch_size", "revision", "max_length"})
    name = spec.argument or DEFAULT_NLI_MODEL
    path = Path(name).expanduser()
    revision = spec.options.get("revision")
    kwargs = {"revision": revision} if revision and not path.is_dir() else {}
    if not path.is_dir():
        if _from_hub_cache(name, revision):
            kwargs["local_files_only"] = True  # already downloaded: no network needed
        elif not _hub_reachable():
            raise _offline_error(name, "the hub is unreachable and the model is not in the local Hugging Face cache")
    try:
        tokenizer = AutoTokenizer.from_pretrained(str(path) if path.is_dir() else name, **kwargs)
        model = AutoModelForSequenceClassification.from_pretrained(str(path) if path.is_dir() else name,
                                                                   dtype=torch.float32, **kwargs)
    except Exception as exc:  # offline, gated, missing, no tokenizer backend: one line for the user
        first = (str(exc).strip().splitlines() or [type(exc).__name__])[0][:200]
        raise _offline_error(name, f"{type(exc).__name__}: {first}") from None
    if path.is_dir():
        files = [p for p in path.iterdir() if p.suffix in (".safetensors", ".bin") or p.name == "config.json"]
        weights = {"local_dir_sha256": sha256_files(files, path)}
    else:
        weights = {"hub_id": name, "revision": getattr(model.config, "_commit_hash", None) or revision}
    max_length = spec.int_option("max_length") or min(512, int(getattr(tokenizer, "model_max_length", 512) or 512))
    canonical = spec.canonical() if (spec.argument or spec.options) else "nli"
    return NLIJudge(canonical, model, tokenizer, weights=weights,
                    batch_size=spec.int_option("batch_size", NLIJudge.default_batch_size), max_length=max_length)
