"""pluralbench score: score predictions made elsewhere (Modular-Pluralism-format rows with
`pred_distribution` or `output`, or a pluralbench samples.jsonl) with a task's own metrics."""
from __future__ import annotations

import json
import sys
from pathlib import Path

from pluralbench import settings
from pluralbench.commands._arguments import non_negative_int
from pluralbench.commands._summary import reference_line


def register(sub) -> None:
    p = sub.add_parser("score", help="score predictions made elsewhere", description=__doc__)
    p.add_argument("--task", required=True, metavar="NAME", help="task name or task file (see `pluralbench tasks`)")
    p.add_argument("--predictions", required=True, type=Path, metavar="FILE",
                   help="a Modular-Pluralism-format JSON list (pred_distribution / output per row) or a samples.jsonl")
    p.add_argument("--output", type=Path, default=Path("results"), metavar="DIR", help="results root (default results/)")
    p.add_argument("--data-dir", default=None, metavar="DIR",
                   help=f"local data directory (env {settings.ENV_DATA}); needed unless the predictions file "
                        "holds the items (Modular-Pluralism task files do)")
    p.add_argument("--seed", type=non_negative_int, default=0, help="seed for bootstrap CIs and baselines (default 0)")
    p.set_defaults(handler=handle)


def handle(args) -> int:
    from pluralbench.runner.score_external import score_file
    from pluralbench.taskfile import get_task

    task = get_task(args.task)
    summary = score_file(task, args.predictions, output=args.output, data_dir=settings.data_dir(args.data_dir),
                         seed=args.seed, argv=args.argv)
    m = summary.metrics
    head = m.get("headline")
    value = m.get("overall", {}).get(head, {})
    shown = "n/a"
    if value.get("value") is not None:
        shown = f"{value['value']:.4f} [{value['ci_low']:.4f}, {value['ci_high']:.4f}]"
    print(f"{task.name}: {head} = {shown}  ({summary.counts['items']} items scored from {args.predictions}) "
          f"-> {summary.run_dir}")
    reference = reference_line(m)
    if reference:
        print(reference)
    checks = json.loads((summary.run_dir / "manifest.json").read_text(encoding="utf-8"))["data"].get("checks") or {}
    if checks.get("renormalised_rows"):  # said out loud, as `run` does
        print(f"{task.name}: note: {checks['renormalised_rows']} reference distributions did not sum to 1 and were "
              "renormalised (manifest.json data.checks.renormalised_rows)", file=sys.stderr)
    return 0
