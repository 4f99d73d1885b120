"""pluralbench kaleido-valence: Kaleido's valence (supports / opposes / either) for every item of a
ValuePrism valence task, written as a Modular-Pluralism predictions file, so that
`pluralbench score --task steerable_valueprism --predictions FILE` scores Kaleido as a reference
model with the task's own metrics."""
from __future__ import annotations

import sys
from pathlib import Path

from pluralbench import settings
from pluralbench.commands._arguments import positive_int


def register(sub) -> None:
    p = sub.add_parser("kaleido-valence", help="Kaleido's valence on a ValuePrism valence task, as a predictions file",
                       description=__doc__)
    p.add_argument("--judge", required=True, metavar="SPEC", help="a Kaleido checkpoint: kaleido:HUB_ID_OR_DIR")
    p.add_argument("--task", default="steerable_valueprism", metavar="NAME",
                   help="a steerable_valence task (default steerable_valueprism)")
    p.add_argument("--limit", type=positive_int, default=None, metavar="N", help="first N items")
    p.add_argument("--data-dir", default=None, metavar="DIR", help=f"local data directory (env {settings.ENV_DATA})")
    p.add_argument("--output", type=Path, required=True, metavar="FILE", help="the predictions file to write (JSON)")
    p.set_defaults(handler=handle)


def handle(args) -> int:
    from pluralbench.core.files import write_json
    from pluralbench.data.files import read_json_rows, resolve_local
    from pluralbench.errors import UserError
    from pluralbench.judges import load_judge
    from pluralbench.judges.spec import parse_judge_spec
    from pluralbench.data.loading import call_loader
    from pluralbench.runner.execute import loader_context
    from pluralbench.taskfile import get_task

    if parse_judge_spec(args.judge).kind != "kaleido":
        raise UserError(f"--judge {args.judge!r}: kaleido-valence needs a Kaleido checkpoint (kaleido:HUB_ID_OR_DIR)")
    task = get_task(args.task)
    local = task.data.get("local") or {}
    if task.family != "steerable_valence" or not local:
        raise UserError(f"task {task.name} is not a ValuePrism valence task with a local file (family steerable_valence)")
    path = resolve_local(local["path"], settings.data_dir(args.data_dir))
    items = call_loader(local["format"], path, task.data.get("options", {}), loader_context(task, None)).items[: args.limit]
    rows = read_json_rows(path)[: len(items)]  # the loader reads one item per row, in order
    judge = load_judge(args.judge)
    valence = judge.valence([(it.situation, it.vrd_type, it.vrd) for it in items])
    out = [{**row, "pred_distribution": [float(p) for p in dist], "predicted_by": judge.spec}
           for row, dist in zip(rows, valence)]
    args.output.parent.mkdir(parents=True, exist_ok=True)
    write_json(args.output, out)
    print(f"{len(out)} Kaleido valence predictions ({judge.spec}, fingerprint {judge.fingerprint_id()}) -> "
          f"{args.output}; score them with: pluralbench score --task {task.name} --predictions {args.output}",
          file=sys.stderr)
    return 0
