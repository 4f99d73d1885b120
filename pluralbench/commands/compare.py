"""pluralbench compare: a pre/post study of two runs of one task, paired item by item (differences are B - A)."""
from __future__ import annotations

from pathlib import Path

from pluralbench.commands._arguments import non_negative_int


def register(sub) -> None:
    p = sub.add_parser("compare", help="compare two runs of one task item by item (e.g. before/after RLHF)",
                       description=__doc__)
    p.add_argument("run_a", type=Path, metavar="RUN_A", help="run directory of the first model (e.g. the base model)")
    p.add_argument("run_b", type=Path, metavar="RUN_B", help="run directory of the second model (e.g. after tuning)")
    p.add_argument("--out", type=Path, default=None, metavar="DIR",
                   help="directory for compare.md, compare.json and figures (default: print the summary only)")
    p.add_argument("--test", choices=["wilcoxon", "permutation"], default="wilcoxon",
                   help="paired test for the p-values (default wilcoxon signed-rank)")
    p.add_argument("--resamples", type=int, default=1000, metavar="N", help="bootstrap resamples (default 1000)")
    p.add_argument("--seed", type=non_negative_int, default=0, help="seed for the bootstrap and permutation test (default 0)")
    p.add_argument("--label-a", default=None, metavar="TEXT", help="how to call A in the report (default its model spec)")
    p.add_argument("--label-b", default=None, metavar="TEXT", help="how to call B in the report (default its model spec)")
    p.set_defaults(handler=handle)


def default_labels(result: dict) -> tuple[str, str]:
    """Each run's model spec, and its read-out method where the two differ (one model read out two ways)."""
    a, b = result["a"], result["b"]
    if a["elicitation_method"] == b["elicitation_method"]:
        return a["model"], b["model"]
    return f"{a['model']} [{a['elicitation_method']}]", f"{b['model']} [{b['elicitation_method']}]"


def handle(args) -> int:
    from pluralbench.core.output_set import refuse_foreign_files, write_output_set
    from pluralbench.errors import UserError
    from pluralbench.report.compare import compare_runs
    from pluralbench.report.write_compare import summary_lines, write_outputs

    if args.out is not None:
        refuse_foreign_files(args.out, "--out")
    if args.resamples < 0:
        raise UserError(f"--resamples must be 0 or more, got {args.resamples}")
    result = compare_runs(args.run_a, args.run_b, test=args.test, seed=args.seed, resamples=args.resamples)
    label_a, label_b = default_labels(result)
    label_a, label_b = args.label_a or label_a, args.label_b or label_b
    for line in summary_lines(result, label_a, label_b):
        print(line)
    for warning in result["warnings"]:
        print(f"note: {warning}")
    if args.out is not None:
        written = write_output_set(args.out, lambda staging: write_outputs(result, staging, label_a, label_b))
        print(f"wrote {written['compare.md']}, {written['compare.json']} and "
              f"{sum(1 for k in written if not k.startswith('compare'))} figures")
    return 0
