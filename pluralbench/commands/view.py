"""pluralbench view: one self-contained HTML page to browse finished runs item by item (opens from file://)."""
from __future__ import annotations

from pathlib import Path


def register(sub) -> None:
    p = sub.add_parser("view", help="write an HTML page to browse runs: headline numbers, groups, every item's answers",
                       description=__doc__)
    p.add_argument("paths", nargs="+", type=Path, metavar="RUN_OR_RESULTS_DIR",
                   help="run directories, or results directories holding them")
    p.add_argument("--out", type=Path, default=Path("pluralbench-view"), metavar="DIR",
                   help="directory for view.html (default ./pluralbench-view)")
    p.add_argument("--data-dir", type=Path, default=None, metavar="DIR",
                   help="data directory to read question texts from (default: where each run read its data, "
                        "else $PLURALBENCH_DATA)")
    p.set_defaults(handler=handle)


def handle(args) -> int:
    from pluralbench.core.output_set import refuse_foreign_files, write_output_set
    from pluralbench.report.results import discover_runs
    from pluralbench.report.view_data import browser_data
    from pluralbench.report.view_page import render_view
    from pluralbench.report.view_summary import run_summary

    refuse_foreign_files(args.out, "--out")
    runs, notes = discover_runs(args.paths)
    browser, question_notes = browser_data(runs, args.data_dir)
    page = render_view([run_summary(run, i) for i, run in enumerate(runs)], browser, notes + question_notes,
                       [str(p) for p in args.paths])

    def write(staging: Path) -> dict[str, Path]:
        (staging / "view.html").write_text(page, encoding="utf-8")
        return {"view.html": staging / "view.html"}

    written = write_output_set(args.out, write)
    for note in notes + question_notes:
        print(f"note: {note}")
    print(f"view of {len(runs)} run(s), {len(browser['items'])} items: {written['view.html']}")
    return 0
