"""Regenerate the golden outputs from the code as it stands: run only when a change of a number is
intended, in a commit of its own that says which numbers changed and why.

    .venv/bin/python -m tests.golden.make_golden --data-dir ../shared/data [--from-stored]

--from-stored starts from the stored answers and refuses to write if any model or judge call was needed:
the way to record an intended change of metrics (new keys, a fixed formula) with the same model answers.
"""
from __future__ import annotations

import argparse
import shutil
import tempfile
from pathlib import Path

from .golden import ANSWERS, STORE, dump_answers, execute, load_answers


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--data-dir", type=Path, required=True)
    ap.add_argument("--work", type=Path, default=None,
                    help="working directory (kept; its response cache makes a second attempt cheap)")
    ap.add_argument("--from-stored", action="store_true",
                    help="reuse the stored answers and fail if any model or judge call is needed")
    args = ap.parse_args()
    work = args.work or Path(tempfile.mkdtemp(prefix="pluralbench-golden-"))
    out, cache = work / "out", work / "cache"
    if out.exists():
        shutil.rmtree(out)  # outputs are remade; the cache is kept
    if args.from_stored:
        load_answers(ANSWERS, cache)
    texts, counts = execute(out, cache, args.data_dir.resolve())
    calls = sum((c.get("model_calls") or 0) + (c.get("judge_calls") or 0) for c in counts.values())
    if args.from_stored and calls:
        raise SystemExit(f"golden: {calls} model/judge calls were needed: the prompts or request keys changed")
    if STORE.exists():
        shutil.rmtree(STORE)
    for name, files in texts.items():
        (STORE / name).mkdir(parents=True)
        for fname, text in files.items():
            (STORE / name / fname).write_text(text, encoding="utf-8")
    n = dump_answers(cache, ANSWERS)
    print(f"golden: {len(texts)} outputs, {n} stored answers, {calls} model calls")


if __name__ == "__main__":
    main()
