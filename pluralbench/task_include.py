"""`include:` in task files. A task file may name a base, `include: other.yaml` (a path relative to the
including file) or `include: task_name` (an installed task); the base's mapping is merged under the
file's own keys: mappings merge key by key, recursively; lists and scalars replace. A base may include
another. Only the merged mapping is checked against the schemas, so a base can be partial.
"""
from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from pluralbench.errors import UnknownName, UserError
from pluralbench.hashing import sha256_json, sha256_text

FILE_SUFFIXES = (".yaml", ".yml")  # an include ending so names a file; anything else names a task


def merge(base: dict, override: dict) -> dict:
    """`override` on top of `base`; the base's key order is kept, the override's new keys follow."""
    merged = dict(base)
    for key, value in override.items():
        both_mappings = isinstance(value, dict) and isinstance(merged.get(key), dict)
        merged[key] = merge(merged[key], value) if both_mappings else value
    return merged


def compose(path: Path, read_yaml: Callable, task_path: Callable[[str], Path]) -> tuple[dict, list[str]]:
    """(the task file merged over its includes, the texts of the file and of each file it includes, in
    include order). `read_yaml(path)` -> (data, text); `task_path(name)` -> an installed task's file."""
    layers, texts, chain = [], [], []
    current: Path | None = path
    while current is not None:
        if current.resolve() in chain:
            files = " -> ".join(str(p) for p in [*chain, current.resolve()])
            raise UserError(f"{path}: include cycle: {files}")
        chain.append(current.resolve())
        raw, text = read_yaml(current)
        if not isinstance(raw, dict):
            raise UserError(f"{current}: a task file must be a YAML mapping")
        layers.append(raw)
        texts.append(text)
        current = _included(raw, current, task_path)
    merged: dict = {}
    for layer in reversed(layers):
        merged = merge(merged, layer)
    return merged, texts


def _included(raw: dict, path: Path, task_path: Callable[[str], Path]) -> Path | None:
    name = raw.get("include")
    if name is None:
        return None
    if not isinstance(name, str) or not name:
        raise UserError(f"{path} $.include: expected a file name (relative to this file) or a task name, got {name!r}")
    if not name.endswith(FILE_SUFFIXES):
        try:
            return task_path(name)
        except UnknownName as exc:
            raise UserError(f"{path} $.include: {exc}") from None
    target = path.parent / name
    if not target.is_file():
        raise UserError(f"{path} $.include: no task file {target}")
    return target


def composed_sha256(texts: list[str]) -> str:
    """The hash a run's identity records: of everything the task was built from. A file without
    includes keeps the hash of its own text, so runs made before includes existed keep their ids."""
    return sha256_text(texts[0]) if len(texts) == 1 else sha256_json(texts)
