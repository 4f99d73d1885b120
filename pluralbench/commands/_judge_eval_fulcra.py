"""`pluralbench judge-eval --benchmark fulcra`: AUROC of a judge's scores separating (value, dialogue)
pairs whose reply expresses the value from those where it does not (Value FULCRA annotations)."""
from __future__ import annotations

import sys
import time

from pluralbench import settings


def handle_fulcra(args) -> int:
    from pluralbench.data.files import resolve_local
    from pluralbench.data.value_fulcra import load_value_fulcra
    from pluralbench.judges import check_judge_spec
    from pluralbench.judges.evaluation import orient, verdict
    from pluralbench.judges.fulcra_evaluation import DATA_FILE, build_pairs, summarise

    for spec in args.judge:
        check_judge_spec(spec)
    path = resolve_local(DATA_FILE, settings.data_dir(args.data_dir))
    dataset = load_value_fulcra(path, {})
    items = dataset.items[: args.limit] if args.limit else dataset.items
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
    _print(rows, args.direction)
    return 0


def _judge_scores(spec: str, pairs, args):
    """-> (judge, {pair: score}, counts), through the response cache unless --no-cache."""
    from pluralbench.judges import load_judge
    from pluralbench.runner.cache import ResponseCache
    from pluralbench.runner.judging import run_judge

    judge = load_judge(spec)
    cache_dir = None if args.no_cache else settings.response_cache_dir(args.cache_dir)
    cache = ResponseCache(cache_dir) if cache_dir is not None else None
    try:
        scores, counts = run_judge(judge, pairs, cache=cache, journal=None, progress=not args.no_progress,
                                   label=f"judge-eval fulcra {judge.spec}")
    finally:
        if cache is not None:
            cache.close()
    return judge, scores, counts


def _write(args, judge, data_sha256: str, record: dict):
    from pluralbench.core.files import safe_component, write_json
    from pluralbench.hashing import sha256_json

    run_key = sha256_json({"benchmark": "fulcra", "judge": judge.fingerprint(), "direction": args.direction,
                           "data": data_sha256, "limit": args.limit, "seed": args.seed,
                           "resamples": args.resamples})[:10]
    out = args.output / "judge-eval" / f"fulcra__{safe_component(judge.spec)}__{run_key}.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    write_json(out, record)
    return out


def _print(rows, direction: str) -> None:
    print(f"{'judge':<44} {'pairs':>6} {'expressed':>9} {'not':>7} {'gap [95% CI]':>26} {'AUROC [95% CI]':>26}")
    for judge, s, _, _ in rows:
        a, g = s["auroc"], s["score_gap"]
        print(f"{judge.spec:<44} {a['n']:>6} {s['expressed_mean']:>9.3f} {s['not_expressed_mean']:>7.3f} "
              f"{g['value']:>8.3f} [{g['ci_low']:>6.3f}, {g['ci_high']:>6.3f}] "
              f"{a['value']:>8.3f} [{a['ci_low']:>6.3f}, {a['ci_high']:>6.3f}]")
    for judge, _, warning, out in rows:
        if warning:
            print(f"WARNING: judge {judge.spec}: {warning}")
        print(f"  {judge.spec}: fingerprint {judge.fingerprint_id()}, direction {direction} -> {out}")
