"""`pluralbench judge-eval --benchmark fulcra`: AUROC of a judge's scores separating (value, dialogue)
pairs whose reply expresses the value from those where it does not (Value FULCRA annotations)."""
from __future__ import annotations

import sys
import time

from pluralbench.commands._judge_eval_common import cached_judge_scores, eval_items, print_results, write_record


def handle_fulcra(args) -> int:
    from pluralbench.data.value_fulcra import load_value_fulcra
    from pluralbench.judges.evaluation import orient, verdict
    from pluralbench.judges.fulcra_evaluation import DATA_FILE, build_pairs, summarise

    path, dataset, items = eval_items(args, DATA_FILE, load_value_fulcra)
    pairs = build_pairs(items)
    oriented = [orient(args.direction, p["statement"], p["text"]) for p in pairs]
    print(f"{len(pairs)} (value, dialogue) pairs from {len(items)} dialogues ({args.direction}: the value's statement "
          "plays the explanation, the dialogue the sentence)", file=sys.stderr)
    rows = []
    for spec in args.judge:
        t0 = time.perf_counter()
        judge, scores, counts = _judge_scores(spec, oriented, args)
        summary = summarise(pairs, [scores[p] for p in oriented], resamples=args.resamples, level=0.95, seed=args.seed)
        warning = verdict(summary, "expressed", "not-expressed")
        record = {"benchmark": "fulcra", "judge": judge.info() | {"direction": args.direction,
                                                                  "fingerprint": judge.fingerprint()},
                  "data": {"path": str(path), "sha256": dataset.sha256, "dialogues": len(items), "limit": args.limit},
                  "bootstrap": {"resamples": args.resamples, "level": 0.95, "unit": "dialogue"}, **summary,
                  "warning": warning, "counts": counts, "seconds": round(time.perf_counter() - t0, 3)}
        rows.append((judge, summary, warning, _write(args, judge, dataset.sha256, record)))
    print_results(rows, (("expressed", "expressed_mean", 9), ("not", "not_expressed_mean", 7)),
                  f"direction {args.direction}")
    return 0


def _judge_scores(spec: str, pairs, args):
    """-> (judge, {pair: score}, counts), through the response cache unless --no-cache."""
    from pluralbench.judges import load_judge

    judge = load_judge(spec)
    return (judge, *cached_judge_scores(judge, pairs, args, f"judge-eval fulcra {judge.spec}"))


def _write(args, judge, data_sha256: str, record: dict):
    from pluralbench.core.files import safe_component

    key = {"benchmark": "fulcra", "data": data_sha256}
    return write_record(args, judge, f"fulcra__{safe_component(judge.spec)}", key, record)
