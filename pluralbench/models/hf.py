"""Hugging Face transformers adapter: hub ids, local directories and GGUF files, on CPU or GPU.

Option scoring runs one forward pass per batch and keeps only the last position's logits
(`logits_to_keep=1`), so a 262k-token vocabulary costs one row per prompt, not one per token.
Float32 is the default: bfloat16 results move with batch size, which breaks batch-invariance.
Option texts scored as continuations and N sampled answers reuse the prompt's key/value cache
(models/hf_continue.py): a prompt is encoded once however many options or samples follow it.
"""
from __future__ import annotations

import os
import shutil
import sys
import tempfile
import time
from contextlib import contextmanager
from pathlib import Path
from typing import Sequence

import torch

from pluralbench.errors import UserError
from pluralbench.hashing import sha256_file, sha256_files, sha256_text
from pluralbench.models.base import (
    GenerationSettings,
    ModelAdapter,
    OptionOutput,
    Rendered,
    chat_turns,
    tokenizer_counts,
)
from pluralbench.models.hf_continue import (
    configured_end_ids,
    cut_at_stop,
    end_token_ids,
    plain_greedy,
    sample_continuations,
    score_continuations,
)
from pluralbench.models.option_tokens import OptionTokenIndex
from pluralbench.models.packed_prompts import packed_last_logits
from pluralbench.models.prefix_cache import PrefixCache, row_prefix_lengths, worth_sharing
from pluralbench.models.sample_groups import flat_decoding_supported
from pluralbench.models.spec import ModelSpec
from pluralbench.settings import models_cache_dir

DTYPES = {"float32": torch.float32, "bfloat16": torch.bfloat16, "float16": torch.float16}
_KNOWN_OPTIONS = {"gguf_file", "dtype", "revision", "trust_remote_code", "device", "max_length", "share_prefix", "threads"}


class PromptTooLong(UserError):
    def __init__(self, index: int, length: int, limit: int):
        self.index, self.length, self.limit = index, length, limit
        super().__init__(f"prompt {index} has {length} tokens, more than the model's context of {limit}")


class HFAdapter(ModelAdapter):
    kind = "hf"

    def __init__(self, model, tokenizer, *, weights: dict, dtype: str, description: str, max_length: int | None = None,
                 share_prefix: bool = True, config=None, device: str = "cpu"):
        """`model` is the loaded model, or a function that loads it (then `config` is given): its weights are
        read on the first forward pass, so a run whose answers are all journalled or cached never reads them."""
        loaded = isinstance(model, torch.nn.Module)
        self._model, self._load_model = (model.eval(), None) if loaded else (None, model)
        self.weights_load_seconds: float | None = None  # set when this adapter read the weights itself
        self.tokenizer = tokenizer
        self.tokenizer.padding_side = "left"
        if self.tokenizer.pad_token_id is None:
            self.tokenizer.pad_token = self.tokenizer.eos_token
        self.dtype = dtype
        self._weights = weights
        self._description = description
        self.max_length = max_length or _context_length(model.config if loaded else config, tokenizer)
        self._option_index: OptionTokenIndex | None = None
        self.device = next(model.parameters()).device if loaded else torch.device(device)
        # Reusing a shared prefix's key/value cache changes results only by float rounding (~1e-6).
        self.share_prefix = share_prefix
        self._prefix_cache: PrefixCache | None = None
        self._greedy_flat: bool | None = None

    @property
    def model(self):
        if self._model is None:
            t0 = time.perf_counter()
            self._model = self._load_model().eval()
            self.weights_load_seconds = time.perf_counter() - t0
            from tqdm import tqdm

            # tqdm.write: above any progress bar on screen, not through it
            tqdm.write(f"loaded the weights of {self._description} in {self.weights_load_seconds:.1f}s", file=sys.stderr)
        return self._model

    @property
    def prefix_cache(self) -> PrefixCache:
        if self._prefix_cache is None:
            self._prefix_cache = PrefixCache(self.model, self.device)
        return self._prefix_cache

    @prefix_cache.setter
    def prefix_cache(self, cache: PrefixCache) -> None:  # a fresh cache stands for a fresh process (tests, benchmarks)
        self._prefix_cache = cache

    # identity -------------------------------------------------------------------------------
    def fingerprint(self) -> dict:
        import transformers

        return {
            "engine": "transformers",
            "engine_version": transformers.__version__,
            "weights": self._weights,
            "tokenizer_sha256": _tokenizer_hash(self.tokenizer),
            "chat_template_sha256": sha256_text(self.tokenizer.chat_template) if self.tokenizer.chat_template else None,
            "dtype": self.dtype,
        }

    def describe(self) -> str:
        return self._description

    def has_chat_template(self) -> bool:
        return bool(self.tokenizer.chat_template)

    def render_chat(self, user_message: str, assistant_prefix: str | None, system: str | None = None) -> Rendered:
        text = self.tokenizer.apply_chat_template(chat_turns(user_message, system), tokenize=False,
                                                  add_generation_prompt=True)
        if assistant_prefix:
            text += assistant_prefix
        return Rendered(text=text, add_special_tokens=False)  # the template already placed special tokens

    def answer_tokens(self, texts: Sequence[str]) -> list[int]:
        return tokenizer_counts(self.tokenizer, texts)

    def prompt_tokens(self, rendered: Rendered) -> int | None:
        if rendered.text is None:
            return None
        return len(self.tokenizer(rendered.text, add_special_tokens=rendered.add_special_tokens)["input_ids"])

    def prompt_token_counts(self, rendered: Sequence[Rendered]) -> list[int | None]:
        counts: list[int | None] = [None] * len(rendered)
        for flag in (True, False):
            idx = [i for i, r in enumerate(rendered) if r.text is not None and r.add_special_tokens is flag]
            for start in range(0, len(idx), 2048):  # chunked: a whole task's token ids at once can be GBs
                part = idx[start:start + 2048]
                enc = self.tokenizer([rendered[i].text for i in part], add_special_tokens=flag)["input_ids"]
                for i, row in zip(part, enc):
                    counts[i] = len(row)
        return counts

    def context_length(self) -> int | None:
        return self.max_length

    @property
    def option_index(self) -> OptionTokenIndex:
        if self._option_index is None:
            self._option_index = OptionTokenIndex(self.tokenizer)
        return self._option_index

    # batching ---------------------------------------------------------------------------------
    def _encode(self, prompts: Sequence[Rendered]) -> list[list[int]]:
        ids: list[list[int] | None] = [None] * len(prompts)
        for flag in (True, False):
            idx = [i for i, p in enumerate(prompts) if p.add_special_tokens is flag]
            if idx:
                enc = self.tokenizer([prompts[i].text for i in idx], add_special_tokens=flag)["input_ids"]
                for i, row in zip(idx, enc):
                    ids[i] = row
        for i, row in enumerate(ids):
            if len(row) > self.max_length:
                raise PromptTooLong(i, len(row), self.max_length)
        return ids  # type: ignore[return-value]

    def _pad(self, rows: list[list[int]]):
        width = max(len(r) for r in rows)
        pad = self.tokenizer.pad_token_id
        input_ids = torch.full((len(rows), width), pad, dtype=torch.long)
        mask = torch.zeros((len(rows), width), dtype=torch.long)
        for i, row in enumerate(rows):
            input_ids[i, width - len(row):] = torch.tensor(row, dtype=torch.long)
            mask[i, width - len(row):] = 1
        # Left padding: positions count real tokens only, so a prompt scores the same alone or in a batch.
        positions = (mask.cumsum(-1) - 1).clamp(min=0)
        return input_ids.to(self.device), mask.to(self.device), positions.to(self.device)

    @property
    def decodes_greedy_flat(self) -> bool:
        """Greedy answers decode in one flat sequence (models/sample_groups.py: no padding, no cache growth)
        when that gives what transformers' generate gives: the model's attention can be swapped and its
        generation config adds nothing to plain argmax and ends answers where it does."""
        if self._greedy_flat is None:
            config = self.model.generation_config
            self._greedy_flat = (plain_greedy(config) and end_token_ids(self) == configured_end_ids(config)
                                 and flat_decoding_supported(self.model))
        return self._greedy_flat

    # operations -------------------------------------------------------------------------------
    def prompt_pass(self, rows: list[list[int]]):
        """One forward pass over encoded prompts, each row reusing the cached prefix it shares with another row
        of the batch when that pays. -> (model output: last-position logits and the key/value cache; the attention
        mask over that cache)."""
        prefixes = row_prefix_lengths(rows) if self.share_prefix and len(rows) > 1 else []
        if prefixes and worth_sharing(rows, prefixes):
            input_ids, mask, positions, past = self.prefix_cache.batch_inputs(rows, prefixes,
                                                                              self.tokenizer.pad_token_id)
            out = self.model(input_ids=input_ids, attention_mask=mask, position_ids=positions, past_key_values=past,
                             use_cache=True, logits_to_keep=1)
        else:
            input_ids, mask, positions = self._pad(rows)
            out = self.model(input_ids=input_ids, attention_mask=mask, position_ids=positions, use_cache=True,
                             logits_to_keep=1)
        return out, mask

    def next_token_logits(self, rows: list[list[int]]) -> torch.Tensor:
        """(rows, vocabulary) from one packed pass, else a padded one. The planner grows option batches that
        share most of their text past the batch size (they pack small); one that does not pack after all and
        holds more rows than the default batch size runs in halves, each packed if it can be."""
        last = packed_last_logits(self.model, rows, self.device) if self.share_prefix else None
        if last is not None:
            return last
        if self.share_prefix and len(rows) > self.default_batch_size:
            half = (len(rows) + 1) // 2
            return torch.cat([self.next_token_logits(rows[:half]), self.next_token_logits(rows[half:])])
        return self.prompt_pass(rows)[0].logits[:, -1, :]

    @torch.inference_mode()
    def option_distributions(self, prompts: Sequence[Rendered], labels: Sequence[Sequence[str]]) -> list[OptionOutput]:
        if not prompts:
            return []
        logprobs = torch.log_softmax(self.next_token_logits(self._encode(prompts)).float(), dim=-1)
        outputs = []
        for row, row_labels in enumerate(labels):
            per_label = [torch.logsumexp(logprobs[row, self.option_index.token_ids(lab)], dim=0) for lab in row_labels]
            stacked = torch.stack(per_label)
            covered = float(torch.exp(torch.logsumexp(stacked, dim=0)))
            outputs.append(OptionOutput(tuple(float(v) for v in stacked), covered))
        return outputs

    @torch.inference_mode()
    def loglikelihoods(self, contexts: Sequence[Rendered], continuations: Sequence[str]) -> list[float]:
        if not contexts:
            return []
        ctx_rows = self._encode(contexts)
        cont_rows = self.tokenizer(list(continuations), add_special_tokens=False)["input_ids"]
        rows = [c + k for c, k in zip(ctx_rows, cont_rows)]
        input_ids, mask, positions = self._pad(rows)
        keep = max(len(k) for k in cont_rows) + 1
        logits = self.model(input_ids=input_ids, attention_mask=mask, position_ids=positions, logits_to_keep=keep).logits
        logprobs = torch.log_softmax(logits.float(), dim=-1)
        results = []
        for i, cont in enumerate(cont_rows):
            n = len(cont)
            # logits at position t predict token t+1; the last n tokens are the continuation.
            preds = logprobs[i, keep - 1 - n: keep - 1, :]
            targets = torch.tensor(cont, dtype=torch.long, device=preds.device)
            results.append(float(preds.gather(1, targets[:, None]).sum()))
        return results

    def sequence_logprobs(self, contexts: Sequence[Rendered], continuations: Sequence[Sequence[str]]) -> list[list[dict]]:
        if not contexts:
            return []
        return score_continuations(self, self._encode(contexts), continuations)

    @torch.inference_mode()
    def generate(self, prompts: Sequence[Rendered], settings: GenerationSettings) -> list:
        if not prompts:
            return []
        rows = self._encode(prompts)
        if settings.num_samples > 1:
            return sample_continuations(self, rows, prompts, settings)
        if settings.temperature == 0 and self.decodes_greedy_flat:
            return [texts[0] for texts in sample_continuations(self, rows, prompts, settings)]
        # transformers' generate, on at most a default batch at a time (the planner grows generate batches)
        step = self.default_batch_size if self.share_prefix else len(rows)
        return [text for i in range(0, len(rows), step) for text in self._generate(rows[i:i + step], settings)]

    def _generate(self, rows: list[list[int]], settings: GenerationSettings) -> list[str]:
        input_ids, mask, _ = self._pad(rows)
        kwargs = dict(max_new_tokens=settings.max_new_tokens, pad_token_id=self.tokenizer.pad_token_id)
        if settings.temperature > 0:
            torch.manual_seed(settings.seed)
            kwargs.update(do_sample=True, temperature=settings.temperature, top_p=settings.top_p)
        else:
            kwargs.update(do_sample=False, temperature=None, top_p=None, top_k=None)
        out = self.model.generate(input_ids=input_ids, attention_mask=mask, **kwargs)
        texts = self.tokenizer.batch_decode(out[:, input_ids.shape[1]:], skip_special_tokens=True)
        return [cut_at_stop(t, settings.stop) for t in texts]


def _context_length(config, tokenizer) -> int:
    limit = getattr(config, "max_position_embeddings", None)
    tok_limit = getattr(tokenizer, "model_max_length", None)
    if tok_limit and tok_limit < 1_000_000 and (limit is None or tok_limit < limit):
        limit = tok_limit
    return int(limit or 2048)


def _tokenizer_hash(tokenizer) -> str:
    backend = getattr(tokenizer, "backend_tokenizer", None)
    if backend is not None:
        return sha256_text(backend.to_str())
    return sha256_text(repr(sorted(tokenizer.get_vocab().items())))


# loading ------------------------------------------------------------------------------------------

def load_hf(spec: ModelSpec) -> HFAdapter:
    unknown = set(spec.options) - _KNOWN_OPTIONS
    if unknown:
        raise UserError(f"unknown option(s) {', '.join(sorted(unknown))} for model kind hf; "
                        f"known: {', '.join(sorted(_KNOWN_OPTIONS))}")
    return load_transformers_model(
        spec.name,
        gguf_file=spec.option("gguf_file"),
        dtype=spec.option("dtype", "float32"),
        revision=spec.option("revision"),
        trust_remote_code=spec.bool_option("trust_remote_code", False),
        device=spec.option("device", "cpu"),
        max_length=spec.int_option("max_length"),
        description=spec.canonical(),
        share_prefix=spec.bool_option("share_prefix", True),
        threads=spec.int_option("threads"),
    )


def load_transformers_model(name: str, *, gguf_file: str | None = None, dtype: str = "float32",
                            revision: str | None = None, trust_remote_code: bool = False, device: str = "cpu",
                            max_length: int | None = None, description: str | None = None,
                            share_prefix: bool = True, threads: int | None = None) -> HFAdapter:
    from transformers.utils import logging as hf_logging

    hf_logging.disable_progress_bar()  # our own progress bar is the one that matters
    hf_logging.set_verbosity_error()
    _check_runtime(dtype, device, threads)
    weights, load_from, load_kwargs = _weights_source(name, gguf_file, revision)
    config, tokenizer, load = _load_pretrained(name, load_from, load_kwargs, DTYPES[dtype], trust_remote_code, device)
    if "hub_id" in weights:
        # Pin the exact commit so a moving branch never reuses stale cache entries. A hub model's weights
        # load now, as ever: its commit is read off the loaded model.
        model = load()
        weights["revision"] = getattr(model.config, "_commit_hash", None) or revision
        return HFAdapter(model, tokenizer, weights=weights, dtype=dtype, description=description or name,
                         max_length=max_length, share_prefix=share_prefix)
    return HFAdapter(load, tokenizer, weights=weights, dtype=dtype, description=description or name,
                     max_length=max_length, share_prefix=share_prefix, config=config, device=device)


def _check_runtime(dtype: str, device: str, threads: int | None) -> None:
    """Refuse what this machine cannot do, and set the thread count, before anything loads."""
    if dtype not in DTYPES:
        raise UserError(f"dtype {dtype!r} is not supported; choose one of {', '.join(DTYPES)}")
    if device.startswith("cuda") and not torch.cuda.is_available():
        raise UserError(f"device {device!r} requested but CUDA is not available on this machine")
    if threads is not None:
        # On a shared CPU, fewer threads than cores avoids OpenMP workers spinning against other
        # processes (small batched matmuls were measured 60x slower with 2 threads under contention).
        if threads < 1:
            raise UserError(f"threads must be at least 1, got {threads}")
        torch.set_num_threads(threads)


def _weights_source(name: str, gguf_file: str | None, revision: str | None) -> tuple[dict, str, dict]:
    """-> (what identifies the weights, where transformers loads them from, extra loading arguments)."""
    path = Path(name).expanduser()
    if _names_a_path(name) and not path.is_dir():
        what = "is a file, not a model directory" if path.exists() else "no such directory"
        raise UserError(f"model hf:{name}: {what} (a local model is a directory holding config.json and weights, "
                        "or a GGUF file named with gguf_file=)")
    if gguf_file:
        gguf_path = _gguf_in_dir(path, gguf_file) if path.is_dir() else _download_gguf(name, gguf_file, revision)
        check_gguf_header(gguf_path)
        source = converted_gguf_dir(gguf_path)
        return {"gguf_sha256": sha256_file(gguf_path), "gguf_file": gguf_path.name}, str(source), {}
    if path.is_dir():
        files = [p for p in path.iterdir() if p.suffix in (".safetensors", ".bin") or p.name == "config.json"]
        if not files:
            raise UserError(f"{path} holds no model weights (*.safetensors or *.bin) or config.json")
        return {"local_dir_sha256": sha256_files(files, path)}, str(path), {}
    return {"hub_id": name, "revision": revision}, name, ({"revision": revision} if revision else {})


def _names_a_path(name: str) -> bool:
    """A local path, never a hub id: absolute, or starting with ./, ../ or ~ (hub ids are "org/name")."""
    return name.startswith(("/", "./", "../", "~")) or name in (".", "..")


def _gguf_in_dir(directory: Path, gguf_file: str) -> Path:
    """gguf_file inside the model directory; a name that leads out of it (../, an absolute path) is refused.
    Checked on the name, not the resolved path: a hub snapshot's files are links into its blob store."""
    relative = os.path.normpath(gguf_file)
    path = directory / relative
    if os.path.isabs(relative) or relative == ".." or relative.startswith(".." + os.sep):
        raise UserError(f"gguf_file {gguf_file!r} leads outside the model directory {directory}; name a file inside it")
    if not path.is_file():
        raise UserError(f"GGUF file {gguf_file!r} not found in {directory}")
    return path


def check_gguf_header(path: Path) -> None:
    """Refuse an empty or non-GGUF file by name before any loader sees it."""
    with path.open("rb") as fh:
        magic = fh.read(4)
    if not magic:
        raise UserError(f"{path}: the GGUF file is empty")
    if magic != b"GGUF":
        raise UserError(f"{path}: not a GGUF file (it starts with {magic!r}, not b'GGUF')")


def _load_pretrained(name: str, load_from: str, load_kwargs: dict, torch_dtype, trust_remote_code: bool, device: str):
    """-> (config, tokenizer, a function that loads the model's weights onto `device`). A load failure becomes a
    one-line UserError; an unexpected exception without trust_remote_code (a bug here or in transformers)
    keeps its traceback."""
    from transformers import AutoConfig, AutoModelForCausalLM, AutoTokenizer

    with _load_errors(name, trust_remote_code):
        # The config first: a repository that ships its own code says so here, before anything else loads.
        config = AutoConfig.from_pretrained(load_from, trust_remote_code=trust_remote_code, **load_kwargs)
        tokenizer = AutoTokenizer.from_pretrained(load_from, trust_remote_code=trust_remote_code, **load_kwargs)

    def load():
        with _load_errors(name, trust_remote_code):
            model = AutoModelForCausalLM.from_pretrained(load_from, config=config, dtype=torch_dtype,
                                                         trust_remote_code=trust_remote_code, **load_kwargs)
        return model.to(device)

    return config, tokenizer, load


@contextmanager
def _load_errors(name: str, trust_remote_code: bool):
    try:
        yield
    except Exception as exc:  # noqa: BLE001  (a trusted repository's own code can raise anything)
        from_custom_code = not isinstance(exc, (OSError, ValueError))
        if from_custom_code and not trust_remote_code:
            raise  # a bug here or in transformers: keep its traceback
        if "trust_remote_code" in str(exc) and not trust_remote_code:
            raise UserError(f"model {name!r} needs custom code from its repository to load; pluralbench does not run "
                            "it unless the model spec says trust_remote_code=true (read that code first)") from None
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        where = f" (its own code, run under trust_remote_code=true, raised {type(exc).__name__})" if from_custom_code \
            else ""
        raise UserError(f"could not load model {name!r}{where}: {first}") from None


def _download_gguf(repo_id: str, filename: str, revision: str | None) -> Path:
    from huggingface_hub import hf_hub_download

    try:
        return Path(hf_hub_download(repo_id, filename, revision=revision))
    except Exception as exc:  # offline, gated, missing: all end the same way for the user
        raise UserError(f"could not fetch {filename!r} from hub repo {repo_id!r} ({type(exc).__name__}); "
                        "for a local file give its directory: hf:/path/to/dir,gguf_file=NAME") from None


def converted_gguf_dir(gguf_path: Path) -> Path:
    """Dequantise a GGUF once and keep it as safetensors: later loads take seconds, not tens of seconds."""
    import transformers
    from transformers import AutoModelForCausalLM, AutoTokenizer

    digest = sha256_file(gguf_path)
    target = models_cache_dir() / f"gguf-{digest[:24]}-tf{transformers.__version__}"
    if (target / "config.json").is_file():  # written last by an atomic rename, so its presence means complete
        return target
    target.parent.mkdir(parents=True, exist_ok=True)
    print(f"converting {gguf_path.name} to safetensors once (kept in {target.parent}) ...", file=sys.stderr)
    try:
        tokenizer = AutoTokenizer.from_pretrained(str(gguf_path.parent), gguf_file=gguf_path.name)
        model = AutoModelForCausalLM.from_pretrained(str(gguf_path.parent), gguf_file=gguf_path.name,
                                                     dtype=torch.float32)
    except (ValueError, OSError, KeyError, IndexError) as exc:  # a truncated file: "cannot reshape array ..."
        first = (str(exc).strip().splitlines() or [type(exc).__name__])[0]
        raise UserError(f"{gguf_path}: not a readable GGUF file (truncated or damaged?): {first[:200]}") from None
    # save_pretrained refuses a GGUF-quantised model until the quantizer is detached.
    model.hf_quantizer = None
    if hasattr(model.config, "quantization_config"):
        del model.config.quantization_config
    tmp = Path(tempfile.mkdtemp(prefix=".convert-", dir=target.parent))
    try:
        model.save_pretrained(tmp)
        tokenizer.save_pretrained(tmp)
        try:
            os.rename(tmp, target)  # atomic: a concurrent or killed conversion never leaves half a model
        except OSError:
            if not (target / "config.json").is_file():
                raise
    finally:
        if tmp.exists():
            shutil.rmtree(tmp, ignore_errors=True)
    return target
