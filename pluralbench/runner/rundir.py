"""Run directories: deterministic ids (so the same command resumes), their creation, a lock."""
from __future__ import annotations

import fcntl
import os
import re
from pathlib import Path

from pluralbench.core.files import safe_component
from pluralbench.errors import UserError
from pluralbench.hashing import sha256_json

_STALE_TEMP = re.compile(r"^\..+\.[A-Za-z0-9_]{8}$")  # atomic_write_text's temp names (mkstemp suffix)


def run_id(task_name: str, model_spec: str, identity: dict) -> str:
    return f"{safe_component(task_name)}__{safe_component(model_spec)}__{sha256_json(identity)[:10]}"


def run_dir_for(output: Path, rid: str) -> Path:
    path = (output / rid).resolve()
    if output.resolve() not in path.parents:
        raise UserError(f"run id {rid!r} would escape the output directory {output}")
    return path


def make_run_dir(output: Path, rid: str) -> Path:
    output.mkdir(parents=True, exist_ok=True)
    run_dir = run_dir_for(output, rid)
    run_dir.mkdir(parents=True, exist_ok=True)
    return run_dir


class RunLock:
    """An exclusive lock on a run directory: a second concurrent run gets a clear error."""

    def __init__(self, run_dir: Path):
        self.path = run_dir / ".lock"
        self._fh = None

    def __enter__(self):
        self._fh = open(self.path, "a+")
        try:
            fcntl.flock(self._fh.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            self._fh.seek(0)
            holder = self._fh.read().strip() or "another process"
            self._fh.close()
            raise UserError(f"{self.path.parent} is being written by another pluralbench run (pid {holder}); "
                            "wait for it or use another --output") from None
        self._fh.seek(0)
        self._fh.truncate()
        self._fh.write(str(os.getpid()))
        self._fh.flush()
        self._remove_stale_temp_files()
        return self

    def _remove_stale_temp_files(self) -> None:
        """A run killed inside atomic_write_text leaves its temp file; the lock says no one else is writing."""
        for path in self.path.parent.iterdir():
            if path.name != self.path.name and _STALE_TEMP.match(path.name) and path.is_file():
                path.unlink(missing_ok=True)

    def __exit__(self, *exc):
        if self._fh:
            fcntl.flock(self._fh.fileno(), fcntl.LOCK_UN)
            self._fh.close()
