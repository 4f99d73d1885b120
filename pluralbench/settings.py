"""Where things live: data, the response cache, converted model weights. Flags beat env vars beat defaults."""
from __future__ import annotations

import os
from pathlib import Path

ENV_DATA = "PLURALBENCH_DATA"
ENV_CACHE = "PLURALBENCH_CACHE"
ENV_MODELS_CACHE = "PLURALBENCH_MODELS_CACHE"


def _user_cache_root() -> Path:
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "pluralbench"


def data_dir(flag: str | None) -> Path | None:
    """The local data directory, or None to load from the Hugging Face hub."""
    value = flag or os.environ.get(ENV_DATA)
    return Path(value).expanduser() if value else None


def response_cache_dir(flag: str | None) -> Path:
    value = flag or os.environ.get(ENV_CACHE)
    return Path(value).expanduser() if value else _user_cache_root() / "responses"


def models_cache_dir() -> Path:
    """Converted (dequantised) weights: kept apart from responses so clearing one keeps the other."""
    value = os.environ.get(ENV_MODELS_CACHE)
    return Path(value).expanduser() if value else _user_cache_root() / "models"
