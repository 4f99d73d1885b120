"""Multi-file outputs replaced as a set: a reader (or a kill) sees all of the old files or all of the new.

The files are written into a fresh staging directory next to the target, which is then swapped in:
on Linux one renameat2(RENAME_EXCHANGE) exchanges the two directories atomically; elsewhere two renames
leave, at worst, the target missing for an instant (never a mix of old and new files). A marker file
lists what pluralbench wrote, so an existing directory holding anything else is refused, not replaced.
"""
from __future__ import annotations

import ctypes
import ctypes.util
import fcntl
import os
import shutil
import tempfile
from collections.abc import Callable
from contextlib import contextmanager
from pathlib import Path

from pluralbench.core.files import current_umask
from pluralbench.errors import UserError

MARKER = ".pluralbench-output"
_RENAME_EXCHANGE = 2
_AT_FDCWD = -100
# Left in a run directory by RunLock; never user data.
_OURS_ANYWAY = {".lock"}


def write_output_set(target: Path, write: Callable[[Path], dict[str, Path]]) -> dict[str, Path]:
    """Call write(staging_dir) and swap its files in as `target`; -> the written paths, as under `target`.
    Callers check refuse_foreign_files(target) first, before their costly work."""
    target.parent.mkdir(parents=True, exist_ok=True)
    with _sibling_lock(target):
        for stale in target.parent.iterdir():  # left by a writer that was killed
            if stale.is_dir() and stale.name.startswith((f".{target.name}.staging-", f".{target.name}.old-")):
                shutil.rmtree(stale, ignore_errors=True)
        staging = Path(tempfile.mkdtemp(prefix=f".{target.name}.staging-", dir=target.parent))
        try:
            written = write(staging)
            files = sorted(str(p.relative_to(staging)) for p in staging.rglob("*") if p.is_file())
            (staging / MARKER).write_text("".join(f"{name}\n" for name in files), encoding="utf-8")
            os.chmod(staging, 0o777 & ~current_umask())  # mkdtemp makes 0700; outputs are readable like any other
            _swap_in(staging, target)
        finally:
            shutil.rmtree(staging, ignore_errors=True)  # the old set after a swap, or a failed new one
    return {name: target / path.relative_to(staging) for name, path in written.items()}


@contextmanager
def _sibling_lock(target: Path):
    """One writer per target at a time, so the stale staging directories removed are nobody's work in progress."""
    with open(target.parent / f".{target.name}.lock", "a") as fh:
        fcntl.flock(fh.fileno(), fcntl.LOCK_EX)
        yield


def refuse_foreign_files(target: Path, what: str) -> None:
    """One line, before any work, if `target` holds files no earlier pluralbench output put there."""
    if not target.exists():
        return
    if not target.is_dir():
        raise UserError(f"{what} {target}: exists and is not a directory")
    listed = set()
    if (target / MARKER).is_file():
        listed = set((target / MARKER).read_text(encoding="utf-8", errors="replace").splitlines()) | {MARKER}
    foreign = [str(p.relative_to(target)) for p in sorted(target.rglob("*"))
               if p.is_file() and str(p.relative_to(target)) not in listed | _OURS_ANYWAY]
    if foreign:
        raise UserError(f"{what} {target}: holds files pluralbench did not write there ({foreign[0]}"
                        f"{f' and {len(foreign) - 1} more' if len(foreign) > 1 else ''}); "
                        "it is replaced as a whole, so name a new or empty directory")


def _swap_in(staging: Path, target: Path) -> None:
    """Afterwards `target` holds the staged files and `staging` whatever `target` held (or nothing)."""
    if not target.exists():
        os.rename(staging, target)
        return
    if _exchange(staging, target):
        return
    aside = Path(tempfile.mkdtemp(prefix=f".{target.name}.old-", dir=target.parent))
    os.rename(target, aside / "old")
    os.rename(staging, target)
    os.rename(aside, staging)


def _exchange(a: Path, b: Path) -> bool:
    """Atomically exchange two directories (Linux renameat2); False where the call does not exist."""
    libc_name = ctypes.util.find_library("c")
    renameat2 = getattr(ctypes.CDLL(libc_name, use_errno=True), "renameat2", None) if libc_name else None
    if renameat2 is None:
        return False
    if renameat2(_AT_FDCWD, os.fsencode(a), _AT_FDCWD, os.fsencode(b), _RENAME_EXCHANGE) == 0:
        return True
    errno = ctypes.get_errno()
    if errno in (38, 22, 95):  # ENOSYS, EINVAL, EOPNOTSUPP: the kernel or file system cannot exchange
        return False
    raise OSError(errno, os.strerror(errno), str(b))
