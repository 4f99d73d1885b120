"""Loading a judge's Hugging Face model (a hub id or a local directory) with one-line errors, and the
identity of what was loaded. Shared by the NLI and Kaleido judges."""
from __future__ import annotations

from pathlib import Path

from pluralbench.errors import UserError
from pluralbench.hashing import sha256_files, sha256_text
from pluralbench.judges.base import OFFLINE_JUDGES


def offline_error(label: str, name: str, why: str) -> UserError:
    return UserError(f"{label}: could not load {name!r} ({why}); it needs the Hugging Face hub or a local "
                     f"directory. Offline judges: {OFFLINE_JUDGES}")


def hub_reachable(timeout: float = 3.0) -> bool:
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


def in_hub_cache(name: str, revision: str | None) -> bool:
    from huggingface_hub import try_to_load_from_cache

    found = try_to_load_from_cache(name, "config.json", revision=revision)
    return isinstance(found, str)


def load_pretrained(label: str, name: str, revision: str | None, model_class):
    """-> (model in float32, tokenizer, weights identity) from a local directory or the hub; `label`
    (e.g. "NLI judge") starts every error. A gated or unreachable model fails at once, in one line."""
    import torch
    from transformers import AutoTokenizer
    from transformers.utils import logging as hf_logging

    hf_logging.disable_progress_bar()
    hf_logging.set_verbosity_error()
    path = Path(name).expanduser()
    kwargs = {"revision": revision} if revision and not path.is_dir() else {}
    if not path.is_dir() and (path.exists() or name.startswith(("/", ".", "~"))):
        # A path, not a hub id: the hub client would fail with a validation traceback.
        raise offline_error(label, name, "no such model directory" if not path.exists() else "not a directory")
    if not path.is_dir():
        if in_hub_cache(name, revision):
            kwargs["local_files_only"] = True  # already downloaded: no network needed
        elif not hub_reachable():
            raise offline_error(label, name, "the hub is unreachable and the model is not in the local Hugging Face "
                                             "cache")
    source = str(path) if path.is_dir() else name
    try:
        tokenizer = AutoTokenizer.from_pretrained(source, **kwargs)
        model = model_class.from_pretrained(source, dtype=torch.float32, **kwargs)
    except Exception as exc:  # offline, gated, missing, no tokenizer backend: one line for the user
        first = (str(exc).strip().splitlines() or [type(exc).__name__])[0][:200]
        raise offline_error(label, name, f"{type(exc).__name__}: {first}") from None
    if path.is_dir():
        files = [p for p in path.iterdir() if p.suffix in (".safetensors", ".bin") or p.name == "config.json"]
        weights = {"local_dir_sha256": sha256_files(files, path)}
    else:
        weights = {"hub_id": name, "revision": getattr(model.config, "_commit_hash", None) or revision}
    return model, tokenizer, weights


def tokenizer_sha256(tokenizer) -> str:
    """The tokenizer's identity: its serialised fast tokenizer, or its vocabulary."""
    backend = getattr(tokenizer, "backend_tokenizer", None)
    return sha256_text(backend.to_str()) if backend is not None else sha256_text(
        repr(sorted(tokenizer.get_vocab().items())))
