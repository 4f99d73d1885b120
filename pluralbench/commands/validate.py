"""pluralbench validate: check a run directory, a task file or a leaderboard spec against the shipped schemas."""
from __future__ import annotations

import sys
from pathlib import Path

from pluralbench import settings
from pluralbench.errors import UserError


def register(sub) -> None:
    p = sub.add_parser("validate", help="check a run directory, task file or leaderboard spec")
    p.add_argument("paths", nargs="+", type=Path, metavar="PATH")
    p.add_argument("--data-dir", default=None, metavar="DIR",
                   help=f"local data directory (env {settings.ENV_DATA}): a run's metrics are then recomputed from "
                        "its samples and compared")
    p.set_defaults(handler=handle)


def handle(args) -> int:
    from pluralbench.taskfile import load_task_file
    from pluralbench.validation import detect, validate_run_dir

    failed = False
    for path in args.paths:
        if not path.exists():
            raise UserError(f"{path}: no such file or directory")
        kind = detect(path)
        if kind == "leaderboard":
            from pluralbench.report.spec import load_spec

            spec = load_spec(str(path))
            print(f"{path}: valid leaderboard spec ({spec.name}, {len(spec.objectives)} objectives)")
            continue
        if kind == "task":
            task = load_task_file(path)
            print(f"{path}: valid task file ({task.name} v{task.version}, family {task.family})")
            continue
        problems, facts = validate_run_dir(path, settings.data_dir(args.data_dir))
        if problems:
            failed = True
            for problem in problems:
                print(f"{path}: invalid run directory: {problem}", file=sys.stderr)
        else:
            print(f"{path}: valid run directory {path.resolve().name} ({facts['task']}, {facts['model']}, "
                  f"{facts['samples']} samples)")
            for note in facts["notes"]:
                print(f"{path}: note: {note}")
    return 2 if failed else 0
