"""Regenerate the golden outputs from the code as it stands: run only when a change of a number is
intended, in a commit of its own that says which numbers changed and why.

    .venv/bin/python -m tests.golden.make_golden --data-dir ../shared/data
"""
from __future__ import annotations

import argparse
import shutil
import tempfile
from pathlib import Path

from .golden import ANSWERS, STORE, dump_answers, execute


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--data-dir", type=Path, required=True)
    ap.add_argument("--work", type=Path, default=None,
                    help="working directory (kept; its response cache makes a second attempt cheap)")
    args = ap.parse_args()
    work = args.work or Path(tempfile.mkdtemp(prefix="pluralbench-golden-"))
    out, cache = work / "out", work / "cache"
    if out.exists():
        shutil.rmtree(out)  # outputs are remade; the cache is kept
    texts, counts = execute(out, cache, args.data_dir.resolve())
    if STORE.exists():
        shutil.rmtree(STORE)
    for name, files in texts.items():
        (STORE / name).mkdir(parents=True)
        for fname, text in files.items():
            (STORE / name / fname).write_text(text, encoding="utf-8")
    n = dump_answers(cache, ANSWERS)
    calls = sum(c.get("model_calls", 0) for c in counts.values())
    print(f"golden: {len(texts)} outputs, {n} stored answers, {calls} model calls")


if __name__ == "__main__":
    main()
