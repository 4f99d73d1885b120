"""Model fingerprints remembered by the files they were computed from, so the run id of a finished run is
known without loading the model (runner/finished.py).

An entry is keyed by the model spec, each file's resolved path, size and mtime_ns, and the versions of the
packages that read the files: a replaced or touched file, or an upgraded engine, misses and the model is
loaded as before. It lives in the response cache directory (fingerprints.json), so --cache-dir moves it and
--no-cache neither reads nor writes it."""
from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

from pluralbench.core.files import write_json
from pluralbench.hashing import sha256_json
from pluralbench.models import ModelSpec, local_files
from pluralbench.provenance import versions_of

FILE = "fingerprints.json"
MAX_ENTRIES = 200  # oldest dropped first: a cache of hashes, not a record
_READERS = ("transformers", "tokenizers", "gguf", "torch")


@dataclass(frozen=True)
class KnownModel:
    """What planning a run asks of a model before it needs answers (fingerprint, chat template, name),
    read from the cache instead of a loaded adapter."""

    fingerprint_value: dict
    chat_template: bool
    description: str

    def fingerprint(self) -> dict:
        return self.fingerprint_value

    def fingerprint_id(self) -> str:
        return sha256_json(self.fingerprint_value)[:24]

    def has_chat_template(self) -> bool:
        return self.chat_template

    def describe(self) -> str:
        return self.description


def model_key(cache_dir: Path | None, spec: ModelSpec) -> str | None:
    """The cache key of the model's files as they are now (taken before a load, so a file replaced during
    it is not remembered under the old fingerprint); None when there is nothing to cache."""
    files = local_files(spec) if cache_dir is not None else None
    if files is None:
        return None
    stats = []
    for path in files:
        st = path.stat()
        stats.append([str(path.resolve()), st.st_size, st.st_mtime_ns])
    return sha256_json({"spec": spec.identity(), "files": stats, "readers": versions_of(_READERS)})


def _entries(cache_dir: Path) -> dict:
    try:
        data = json.loads((cache_dir / FILE).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}  # absent or damaged: a cache miss, never an error
    return data if isinstance(data, dict) else {}


def lookup(cache_dir: Path | None, key: str | None) -> KnownModel | None:
    entry = _entries(cache_dir).get(key) if key is not None else None
    try:
        return KnownModel(dict(entry["fingerprint"]), bool(entry["has_chat_template"]), str(entry["describe"]))
    except (TypeError, KeyError, ValueError):
        return None


def remember(cache_dir: Path | None, key: str | None, spec: ModelSpec, adapter) -> None:
    """Keep a loaded adapter's fingerprint under the key its files had before the load; a cache that cannot
    be written costs only the next run's speed."""
    if key is None:
        return
    entries = _entries(cache_dir)
    entries.pop(key, None)
    entries[key] = {"spec": spec.canonical(), "fingerprint": adapter.fingerprint(),
                    "has_chat_template": adapter.has_chat_template(), "describe": adapter.describe()}
    try:
        cache_dir.mkdir(parents=True, exist_ok=True)
        write_json(cache_dir / FILE, dict(list(entries.items())[-MAX_ENTRIES:]))
    except OSError:
        pass
