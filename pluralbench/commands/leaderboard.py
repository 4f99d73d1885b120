"""pluralbench leaderboard: models x objectives with CIs, Pareto layers and re-rankings, from finished runs."""
from __future__ import annotations

from pathlib import Path


def register(sub) -> None:
    p = sub.add_parser("leaderboard", help="build a leaderboard (CSV, Markdown, HTML, figures) from runs",
                       description=__doc__)
    p.add_argument("paths", nargs="+", type=Path, metavar="RUN_OR_RESULTS_DIR",
                   help="run directories, or results directories holding them")
    p.add_argument("--spec", default=None, metavar="FILE_OR_NAME",
                   help="leaderboard spec: a YAML file or the name of a shipped spec (default: the shipped 'default')")
    p.add_argument("--out", type=Path, required=True, metavar="DIR", help="directory for the outputs")
    p.set_defaults(handler=handle)


def handle(args) -> int:
    from pluralbench.core.output_set import refuse_foreign_files, write_output_set
    from pluralbench.report.leaderboard import build_board
    from pluralbench.report.results import discover_runs
    from pluralbench.report.spec import load_spec
    from pluralbench.report.write_leaderboard import write_outputs

    refuse_foreign_files(args.out, "--out")
    spec = load_spec(args.spec)  # a bad spec fails before any run is read
    runs, notes = discover_runs(args.paths)
    board = build_board(spec, runs, notes)
    written = write_output_set(args.out, lambda staging: write_outputs(board, staging))
    for note in board.notes:
        print(f"note: {note}")
    print(f"leaderboard {spec.name!r}: {len(board.rows)} models x {len(board.columns)} objectives; "
          f"Pareto layer 1: {', '.join(r.label for r in board.rows if r.layer == 1)}")
    for name in ("leaderboard.csv", "leaderboard.md", "leaderboard.html", "leaderboard.json"):
        print(f"  {written[name]}")
    n_figs = sum(1 for k in written if k.startswith(("pareto_", "groups_")) and not k.endswith("_csv"))
    print(f"  {n_figs} figures in {args.out / 'figures'}")
    return 0
