"""Regenerate the golden outputs from the code as it stands: run only when a change of a number is
intended, in a commit of its own that says which numbers changed and why.

    .venv/bin/python -m tests.golden.make_golden --data-dir ../shared/data [--from-stored]

--from-stored starts from the stored answers and refuses to write if any model or judge call was needed:
the way to record an intended change of metrics (new keys, a fixed formula) with the same model answers.
--add also starts from the stored answers but may call the model, for tasks new to the plan; it refuses to
write unless every output already stored comes out identical, so adding a task cannot move an old number.
"""
from __future__ import annotations

import argparse
import shutil
import tempfile
from pathlib import Path

from . import plan
from .golden import ANSWERS, STORE, compare_text, dump_answers, execute, load_answers


def _changed_outputs(texts: dict[str, dict[str, str]]) -> list[str]:
    """Stored outputs that the new texts do not reproduce (or no longer make)."""
    problems = []
    for path in sorted(STORE.glob("*/*")):
        made = texts.get(path.parent.name, {}).get(path.name)
        if made is None:
            problems.append(f"{path.parent.name}/{path.name}: no longer made")
            continue
        problems += [f"{path.parent.name}/{path.name}: {d}" for d in compare_text(path.name, path.read_text("utf-8"), made)]
    return problems


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--data-dir", type=Path, required=True)
    ap.add_argument("--work", type=Path, default=None,
                    help="working directory (kept; its response cache makes a second attempt cheap)")
    ap.add_argument("--from-stored", action="store_true",
                    help="reuse the stored answers and fail if any model or judge call is needed")
    ap.add_argument("--add", action="store_true",
                    help="reuse the stored answers, call the model for new tasks, fail if any stored output changes")
    args = ap.parse_args()
    work = args.work or Path(tempfile.mkdtemp(prefix="pluralbench-golden-"))
    out, cache = work / "out", work / "cache"
    if out.exists():
        shutil.rmtree(out)  # outputs are remade; the cache is kept
    if args.from_stored or args.add:
        load_answers(ANSWERS, cache)
    texts, counts = execute(out, cache, args.data_dir.resolve())
    calls = sum((c.get("model_calls") or 0) + (c.get("judge_calls") or 0) for c in counts.values())
    if args.from_stored and calls:
        raise SystemExit(f"golden: {calls} model/judge calls were needed: the prompts or request keys changed")
    added = {task for _, tasks in plan.ADDED_RUNS for task in tasks}
    old_calls = [n for n, c in counts.items() if n not in added and (c.get("model_calls") or c.get("judge_calls"))]
    changed = _changed_outputs(texts) + [f"{n}: called the model" for n in old_calls] if args.add else []
    if changed:
        raise SystemExit("golden: stored outputs changed, nothing written:\n" + "\n".join(changed[:40]))
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
