"""Files written whole or not at all, and file-name components that cannot climb out of their directory."""
from __future__ import annotations

import json
import os
import re
import tempfile
from pathlib import Path

from pluralbench.errors import UserError

_UNSAFE = re.compile(r"[^A-Za-z0-9._-]+")


def safe_component(text: str, max_len: int = 60) -> str:
    """A file-name component that cannot climb out of its directory ('../x', '/abs', '.hidden')."""
    cleaned = _UNSAFE.sub("_", text).strip("._-") or "x"
    return cleaned[:max_len]


def current_umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def atomic_write_text(path: Path, text: str) -> None:
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    try:
        os.fchmod(fd, 0o666 & ~current_umask())  # mkstemp makes 0600; results are readable like any file the user writes
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(text)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise


def write_json(path: Path, obj) -> None:
    atomic_write_text(path, json.dumps(obj, indent=2, sort_keys=False, allow_nan=False) + "\n")


def write_jsonl(path: Path, rows) -> None:
    atomic_write_text(path, "".join(json.dumps(r, allow_nan=False, sort_keys=False) + "\n" for r in rows))


def ensure_writable_dir(path: Path, what: str) -> None:
    """Prove that `path` is, or can become, a directory we can write in, before any costly work starts,
    without creating it (bad data found later must leave no trace): a read-only, full or mistyped location
    fails in one line, not after the model has run."""
    if path.exists() and not path.is_dir():
        raise UserError(f"{what} {path}: exists and is not a directory")
    existing = path
    while not existing.exists():
        existing = existing.parent
    if not existing.is_dir():
        raise UserError(f"{what} {path}: {existing} is a file, not a directory")
    try:
        fd, probe = tempfile.mkstemp(prefix=".write-probe.", dir=existing)
        os.close(fd)
        os.unlink(probe)
    except OSError as exc:
        raise UserError(f"{what} {path}: cannot write there ({exc.strerror or exc})") from None


def _refuse_constant(name: str):
    raise ValueError(f"{name} is not a JSON number (results never hold NaN or Infinity)")


def strict_json_loads(text: str):
    """json.loads for results files: NaN and Infinity, which Python writes and reads by default, are refused."""
    return json.loads(text, parse_constant=_refuse_constant)
