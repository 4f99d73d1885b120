"""pluralbench judge-eval: how well does a judge tell a value's own explanation from another
situation's? AUROC and score gap on ValuePrism matched vs mismatched pairs, per judge. With
--benchmark fulcra: whether a Value FULCRA reply expresses a Schwartz value (_judge_eval_fulcra.py)."""
from __future__ import annotations

import sys
import time
from pathlib import Path

from pluralbench import settings
from pluralbench.commands._arguments import positive_int
from pluralbench.commands._judge_eval_common import cached_judge_scores, eval_items, print_results, write_record
from pluralbench.judges.base import DIRECTIONS

DATA_FILE = "modular_pluralism/overton_test_valuekaleidoscope_small.json"


def register(sub) -> None:
    p = sub.add_parser("judge-eval", help="measure a judge: AUROC on ValuePrism (matched vs mismatched) or Value FULCRA",
                       description=__doc__)
    p.add_argument("--judge", action="append", required=True, metavar="SPEC",
                   help="judge spec (repeatable): embedding, nli[:MODEL], llm:MODEL_SPEC, kaleido:MODEL")
    p.add_argument("--benchmark", choices=["valueprism", "fulcra"], default="valueprism",
                   help="valueprism (default): matched vs mismatched explanations; fulcra: Value FULCRA value "
                        "recognition, expressed (+1/-1) vs not expressed (0) (value_fulcra/trustworthy_data.jsonl; "
                        "--limit counts dialogues, --mismatch does not apply)")
    p.add_argument("--limit", type=positive_int, default=None, metavar="N", help="first N situations")
    p.add_argument("--direction", choices=list(DIRECTIONS), default=next(iter(DIRECTIONS)),
                   help="which text is the premise (default: the reference's, explanation entails sentence)")
    p.add_argument("--mismatch", choices=["other_situation", "same_situation"], default="other_situation",
                   help="where mismatched explanations come from: another situation (default, as in the issue) or "
                        "another value of the same situation (harder: can the judge tell a situation's values apart?)")
    p.add_argument("--data-dir", default=None, metavar="DIR",
                   help=f"local data directory holding {DATA_FILE} (env {settings.ENV_DATA})")
    p.add_argument("--output", type=Path, default=Path("results"), metavar="DIR",
                   help="writes DIR/judge-eval/<judge>__<id>.json (default results/)")
    p.add_argument("--cache-dir", default=None, metavar="DIR", help="response cache (judge scores are cached too)")
    p.add_argument("--no-cache", action="store_true", help="do not read or write the response cache")
    p.add_argument("--seed", type=int, default=0, help="seed for the mismatched pairs and the bootstrap")
    p.add_argument("--resamples", type=int, default=1000, help="bootstrap resamples (default 1000)")
    p.add_argument("--no-progress", action="store_true", help="hide the progress bar")
    p.set_defaults(handler=dispatch)


def dispatch(args) -> int:
    """--benchmark fulcra has its own module; valueprism is `handle`."""
    if args.benchmark == "fulcra":
        from pluralbench.commands._judge_eval_fulcra import handle_fulcra

        return handle_fulcra(args)
    return handle(args)


def handle(args) -> int:
    from pluralbench.data.valueprism import load_valueprism_overton
    from pluralbench.judges.evaluation import build_pairs

    path, dataset, items = eval_items(args, DATA_FILE, load_valueprism_overton)
    pairs = build_pairs(items, args.seed, args.mismatch)
    print(f"{len(pairs)} matched + {len(pairs)} mismatched pairs from {len(items)} situations ({args.direction}; "
          f"mismatched from {args.mismatch.replace('_', ' ')})",
          file=sys.stderr)
    data = {"path": str(path), "sha256": dataset.sha256, "situations": len(items), "limit": args.limit}
    rows = [_evaluate(spec, args, pairs, data) for spec in args.judge]
    print_results(rows, (("matched", "matched_mean", 8), ("mismatch", "mismatched_mean", 8)),
                  f"direction {args.direction}, mismatched pairs from {args.mismatch.replace('_', ' ')}")
    return 0


def _evaluate(spec: str, args, pairs: list[dict], data: dict) -> tuple:
    """Score one judge on the pairs and write its record -> (judge, summary, warning, record path)."""
    from pluralbench.core.files import safe_component
    from pluralbench.judges import load_judge
    from pluralbench.judges.evaluation import summarise, verdict

    t0 = time.perf_counter()
    judge = load_judge(spec)
    matched, mismatched, counts = _pair_scores(judge, pairs, args)
    summary = summarise(pairs, matched, mismatched, resamples=args.resamples, level=0.95, seed=args.seed)
    warning = verdict(summary)
    record = _record(judge, args, pairs, data, summary, warning, counts, time.perf_counter() - t0)
    out = write_record(args, judge, safe_component(judge.spec), {"mismatch": args.mismatch, "data": data["sha256"]},
                       record)
    return judge, summary, warning, out


def _pair_scores(judge, pairs: list[dict], args) -> tuple[list[float], list[float], dict]:
    """-> (matched pairs' scores, mismatched pairs' scores, the judge's counts), through the response cache."""
    from pluralbench.judges.evaluation import orient

    matched = [orient(args.direction, p["matched"], p["sentence"]) for p in pairs]
    mismatched = [orient(args.direction, p["mismatched"], p["sentence"]) for p in pairs]
    scores, counts = cached_judge_scores(judge, matched + mismatched, args, f"judge-eval {judge.spec}")
    return [scores[p] for p in matched], [scores[p] for p in mismatched], counts


def _record(judge, args, pairs: list[dict], data: dict, summary: dict, warning: str | None, counts: dict,
            seconds: float) -> dict:
    from pluralbench.judges.evaluation import MISMATCHES

    record = {
        "judge": judge.info() | {"direction": args.direction, "fingerprint": judge.fingerprint()},
        "data": data,
        "pairs": {"matched": "a VRD's own explanation vs a sentence stating that VRD for the same situation",
                  "mismatch": args.mismatch, "mismatched": MISMATCHES[args.mismatch],
                  "n": len(pairs), "seed": args.seed},
        "bootstrap": {"resamples": args.resamples, "level": 0.95, "unit": "situation"},
        **summary,
        "warning": warning,
        "counts": counts,
        "seconds": round(seconds, 3),
    }
    if hasattr(judge, "covered_masses") and judge.covered_masses:
        record["yes_no_mass_mean"] = sum(judge.covered_masses) / len(judge.covered_masses)
    return record
