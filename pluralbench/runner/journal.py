"""Append-only record of finished requests in a run directory: what lets a killed run resume.

Each batch is appended as whole lines and fsynced, so the only damage a crash can leave is a torn
*last* line (no newline): loading drops it, and truncates the file there so the next append starts on
a clean line. Any other unreadable line (garbage, or JSON that is not a {"key", "output"} record) is
damage from elsewhere: it is reported by file and line on stderr and every valid line around it is
kept. A writable journal moves the damaged file aside (`<name>.damaged-<n>`, nothing is lost) and
rewrites itself from the valid lines; a read-only journal (commands that read runs) never writes.
"""
from __future__ import annotations

import json
import os
import sys
from pathlib import Path

from pluralbench.core.files import atomic_write_text


class Journal:
    def __init__(self, path: Path, *, writable: bool = True):
        self.path = path
        self.writable = writable
        self.entries: dict[str, object] = {}
        self.dropped_torn_line = False
        self.damaged_lines: list[int] = []  # 1-based line numbers of unreadable records (not the torn last line)
        self.kept_aside: Path | None = None
        if path.exists():
            self._load(path.read_bytes())

    def _load(self, data: bytes) -> None:
        lines = data.splitlines(keepends=True)
        good_end = 0
        for number, line in enumerate(lines, start=1):
            if not line.endswith(b"\n"):  # only ever the last line: a write cut short by a crash
                self.dropped_torn_line = True
                break
            record = _record(line)
            if record is None:
                self.damaged_lines.append(number)
            else:
                self.entries[record[0]] = record[1]
            good_end += len(line)
        if self.damaged_lines:
            self._report_damage()
        elif self.dropped_torn_line and self.writable:
            with self.path.open("r+b") as fh:
                fh.truncate(good_end)

    def _report_damage(self) -> None:
        where = ", ".join(map(str, self.damaged_lines[:10])) + (" ..." if len(self.damaged_lines) > 10 else "")
        action = "left as it is (read only)"
        if self.writable:
            self.kept_aside = _aside_name(self.path)
            os.replace(self.path, self.kept_aside)
            atomic_write_text(self.path, _lines(self.entries))
            action = f"the file was kept as {self.kept_aside.name} and rewritten from its {len(self.entries)} valid records"
        print(f"pluralbench: warning: {self.path}: line {where} not a journal record (damaged, not a crash); "
              f"every valid record was kept; {action}", file=sys.stderr)

    def append(self, outputs: dict[str, object]) -> None:
        if not outputs:
            return
        if not self.writable:
            raise RuntimeError(f"{self.path}: journal opened read-only")
        with self.path.open("a", encoding="utf-8") as fh:
            fh.write(_lines(outputs))
            fh.flush()
            os.fsync(fh.fileno())
        self.entries.update(outputs)


def _record(line: bytes) -> tuple[str, object] | None:
    """(key, output) of one journal line, or None when it is not a record."""
    try:
        record = json.loads(line)
    except ValueError:
        return None
    if not isinstance(record, dict) or not isinstance(record.get("key"), str) or "output" not in record:
        return None
    return record["key"], record["output"]


def _lines(outputs: dict[str, object]) -> str:
    return "".join(json.dumps({"key": k, "output": v}, allow_nan=False) + "\n" for k, v in outputs.items())


def _aside_name(path: Path) -> Path:
    n = 1
    while path.with_name(f"{path.name}.damaged-{n}").exists():
        n += 1
    return path.with_name(f"{path.name}.damaged-{n}")
