"""Append-only record of finished requests in a run directory: what lets a killed run resume.

Each batch is appended as whole lines and fsynced. A kill mid-write can leave one torn last line;
loading drops it (and truncates the file there), so the next append starts on a clean line.
"""
from __future__ import annotations

import json
import os
from pathlib import Path


class Journal:
    def __init__(self, path: Path):
        self.path = path
        self.entries: dict[str, object] = {}
        self.dropped_torn_line = False
        self._load()

    def _load(self) -> None:
        if not self.path.exists():
            return
        data = self.path.read_bytes()
        good_end = 0
        offset = 0
        for line in data.splitlines(keepends=True):
            offset += len(line)
            if not line.endswith(b"\n"):
                break
            try:
                record = json.loads(line)
                self.entries[record["key"]] = record["output"]
            except (ValueError, KeyError, TypeError):
                break
            good_end = offset
        if good_end < len(data):
            self.dropped_torn_line = True
            with self.path.open("r+b") as fh:
                fh.truncate(good_end)

    def append(self, outputs: dict[str, object]) -> None:
        if not outputs:
            return
        payload = "".join(json.dumps({"key": k, "output": v}, allow_nan=False) + "\n" for k, v in outputs.items())
        with self.path.open("a", encoding="utf-8") as fh:
            fh.write(payload)
            fh.flush()
            os.fsync(fh.fileno())
        self.entries.update(outputs)
