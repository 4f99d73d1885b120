"""pluralbench elicitation-report: read-out methods side by side, from finished runs of one model on one
task that differ in their elicitation method (`pluralbench run --elicit A,B,...` writes it too)."""
from __future__ import annotations

from pathlib import Path

from pluralbench.commands._arguments import non_negative_int


def register(sub) -> None:
    p = sub.add_parser("elicitation-report", help="compare elicitation methods (read-outs) over finished runs",
                       description=__doc__)
    p.add_argument("runs", nargs="+", type=Path, metavar="RUN",
                   help="run directories or results directories (their run directories are read)")
    p.add_argument("--out", type=Path, required=True, metavar="DIR",
                   help="directory for elicitation.md, elicitation.json and elicitation.png")
    p.add_argument("--seed", type=non_negative_int, default=0, help="seed for the bootstrap (default 0)")
    p.set_defaults(handler=handle)


def handle(args) -> int:
    from pluralbench.report.write_elicitation import write_elicitation_report

    written, report = write_elicitation_report(args.runs, args.out, seed=args.seed)
    for note in report["notes"]:
        print(f"note: {note}")
    sections = report["sections"]
    print(f"{len(sections)} task/model sections, "
          f"{sum(len(s['methods']) for s in sections)} method runs -> {written['elicitation.md']}")
    return 0
