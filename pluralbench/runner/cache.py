"""On-disk response cache shared by all runs.

Keyed by a hash of the model fingerprint (weights, tokenizer, chat template, dtype, engine), the
exact rendered prompt, the elicitation mode and every decoding setting, so a change to any of
them misses (lm-eval's cache ignored the model: its issues #2715, #4063). SQLite commits are
atomic, so a killed process never leaves a half-written entry.
"""
from __future__ import annotations

import json
import sqlite3
import time
from contextlib import contextmanager
from pathlib import Path

from pluralbench.errors import UserError
from pluralbench.hashing import sha256_json

CACHE_FILE = "responses.sqlite3"


def cache_key(model_fingerprint: dict, elicitation: str, rendered_key: dict, request_key: dict) -> str:
    return sha256_json({"model": model_fingerprint, "elicitation": elicitation, "prompt": rendered_key,
                        "request": request_key})


class ResponseCache:
    def __init__(self, directory: Path):
        directory.mkdir(parents=True, exist_ok=True)
        self.path = directory / CACHE_FILE
        with self._errors():
            self._db = sqlite3.connect(self.path, timeout=60, isolation_level=None)
            self._db.execute("PRAGMA journal_mode=WAL")
            self._db.execute("PRAGMA synchronous=NORMAL")
            self._db.execute("CREATE TABLE IF NOT EXISTS responses (key TEXT PRIMARY KEY, value TEXT NOT NULL, "
                             "created REAL NOT NULL)")

    @contextmanager
    def _errors(self):
        """SQLite's failures (not a database, malformed, read-only, locked past the timeout) as one line."""
        try:
            yield
        except sqlite3.Error as exc:
            raise UserError(f"response cache {self.path}: {exc}; run with --no-cache or point --cache-dir at "
                            "another directory (the run's own journal keeps finished answers)") from None

    def get_many(self, keys: list[str]) -> dict[str, object]:
        found: dict[str, object] = {}
        with self._errors():
            for start in range(0, len(keys), 500):  # stay under SQLite's bound-parameter limit
                chunk = keys[start:start + 500]
                marks = ",".join("?" * len(chunk))
                for key, value in self._db.execute(f"SELECT key, value FROM responses WHERE key IN ({marks})", chunk):
                    found[key] = json.loads(value)
        return found

    def put_many(self, entries: dict[str, object]) -> None:
        if not entries:
            return
        now = time.time()
        with self._errors(), self._db:
            self._db.execute("BEGIN")
            self._db.executemany("INSERT OR REPLACE INTO responses (key, value, created) VALUES (?, ?, ?)",
                                 [(k, json.dumps(v, allow_nan=False), now) for k, v in entries.items()])

    def close(self) -> None:
        self._db.close()


def check_cache(directory: Path) -> None:
    """Open the cache and read one row before any model loads: a damaged cache fails in one line."""
    cache = ResponseCache(directory)
    try:
        cache.get_many(["-"])
    finally:
        cache.close()
