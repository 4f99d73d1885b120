"""Model adapters. Loaders import their engines lazily so listing tasks never imports torch."""
from __future__ import annotations

from pathlib import Path

from pluralbench.models.base import ModelAdapter
from pluralbench.models.spec import ModelSpec, parse_model_spec
from pluralbench.registry import model_kinds


@model_kinds.register("hf")
def _load_hf(spec: ModelSpec) -> ModelAdapter:
    """Any transformers causal LM: hub id, local directory, or GGUF file (hf:DIR,gguf_file=NAME)."""
    from pluralbench.models.hf import load_hf

    return load_hf(spec)


@model_kinds.register("embedded")
def _load_embedded(spec: ModelSpec) -> ModelAdapter:
    """Small real models shipped inside PyPI packages (see `pluralbench models`)."""
    from pluralbench.models.embedded import load_embedded

    return load_embedded(spec)


@model_kinds.register("openai")
def _load_openai(spec: ModelSpec) -> ModelAdapter:
    """Any OpenAI-compatible server (vLLM serve, llama.cpp, TGI, SGLang): openai:MODEL,base_url=http://HOST:PORT/v1"""
    from pluralbench.models.openai_server import load_openai

    return load_openai(spec)


@model_kinds.register("vllm")
def _load_vllm(spec: ModelSpec) -> ModelAdapter:
    """vLLM in-process on CUDA GPUs (extra pluralbench[vllm]): vllm:MODEL[,tensor_parallel_size=N,...]"""
    from pluralbench.models.vllm_engine import load_vllm

    return load_vllm(spec)


@model_kinds.register("lmeval")
def _load_lmeval(spec: ModelSpec) -> ModelAdapter:
    """Any lm-eval 0.4 model type: lmeval:MODEL_TYPE,MODEL_ARGS (e.g. lmeval:hf,pretrained=DIR)"""
    from pluralbench.models.lmeval_bridge import load_lmeval

    return load_lmeval(spec)


def load_model(spec_text: str) -> ModelAdapter:
    spec = parse_model_spec(spec_text)
    loader = model_kinds.get(spec.kind)
    return loader(spec)


def local_files(spec: ModelSpec) -> list[Path] | None:
    """The files whose bytes decide the model's fingerprint, when they all lie on this machine (embedded
    models, hf:DIR, hf:DIR,gguf_file=F); None when the fingerprint needs the hub or a server, or a file is missing."""
    if spec.kind == "embedded":
        from pluralbench.models.embedded import EMBEDDED_MODELS

        model = EMBEDDED_MODELS.get(spec.name)
        path = model.existing_file() if model else None
        return [path] if path else None
    if spec.kind != "hf" or not Path(spec.name).expanduser().is_dir():
        return None
    directory = Path(spec.name).expanduser()
    gguf = spec.option("gguf_file")
    if gguf:
        return [directory / gguf] if (directory / gguf).is_file() else None
    # Weights, config, tokenizer and any code of the model: everything at the top of its directory.
    return sorted(p for p in directory.iterdir() if p.is_file())


__all__ = ["ModelAdapter", "ModelSpec", "load_model", "local_files", "parse_model_spec"]
