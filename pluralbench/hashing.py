"""Stable hashes for cache keys, fingerprints and data identity."""
from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path


def canonical_json(obj) -> str:
    return json.dumps(obj, sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False)


def sha256_text(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def sha256_json(obj) -> str:
    return sha256_text(canonical_json(obj))


_file_hash_memo: dict[tuple[str, int, int], str] = {}


def sha256_file(path: str | Path) -> str:
    """sha256 of a file's bytes, memoised on (path, size, mtime) for large weight files."""
    path = Path(path)
    st = path.stat()
    memo_key = (str(path.resolve()), st.st_size, st.st_mtime_ns)
    if memo_key in _file_hash_memo:
        return _file_hash_memo[memo_key]
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    _file_hash_memo[memo_key] = digest.hexdigest()
    return _file_hash_memo[memo_key]


def sha256_files(paths: list[Path], root: Path) -> str:
    """One hash over several files, names included, so renames and additions count."""
    digest = hashlib.sha256()
    for path in sorted(paths):
        digest.update(os.fsencode(str(path.relative_to(root))))
        digest.update(bytes.fromhex(sha256_file(path)))
    return digest.hexdigest()


# A run's result files, hashed into its manifest at completion so `validate` can tell an edit afterwards.
RESULT_FILES = ("samples.jsonl", "metrics.json", "journal.jsonl", "requests.jsonl", "judgements.jsonl")


def result_file_hashes(run_dir: Path) -> dict[str, str]:
    """{name: sha256} of each result file the run directory holds, read afresh (no memo: edits must show)."""
    hashes = {}
    for name in RESULT_FILES:
        path = Path(run_dir) / name
        if path.is_file():
            hashes[name] = hashlib.sha256(path.read_bytes()).hexdigest()
    return hashes
