"""What judge-eval's two benchmarks share (ValuePrism in judge_eval.py, Value FULCRA in _judge_eval_fulcra.py):
the judges checked and the data read, the judge's scores through the response cache, the record written, and
the table printed."""
from __future__ import annotations

from pathlib import Path

from pluralbench import settings


def eval_items(args, data_file: str, loader) -> tuple:
    """Every --judge checked before any data is read, then the benchmark's file through its loader ->
    (path, dataset, its first --limit items)."""
    from pluralbench.data.files import resolve_local
    from pluralbench.judges import check_judge_spec

    for spec in args.judge:
        check_judge_spec(spec)
    path = resolve_local(data_file, settings.data_dir(args.data_dir))
    dataset = loader(path, {})
    return path, dataset, dataset.items[: args.limit] if args.limit else dataset.items


def cached_judge_scores(judge, pairs: list, args, label: str) -> tuple[dict, dict]:
    """-> ({pair: score}, the judge's counts), through the response cache unless --no-cache."""
    from pluralbench.runner.cache import ResponseCache
    from pluralbench.runner.judging import run_judge

    cache = None if args.no_cache else ResponseCache(settings.response_cache_dir(args.cache_dir))
    try:
        return run_judge(judge, pairs, cache=cache, journal=None, progress=not args.no_progress, label=label)
    finally:
        if cache is not None:
            cache.close()


def write_record(args, judge, name: str, key: dict, record: dict) -> Path:
    """Write the record to --output/judge-eval/NAME__<10 hex of the judge fingerprint and the settings>.json."""
    from pluralbench.core.files import write_json
    from pluralbench.hashing import sha256_json

    run_key = sha256_json({"judge": judge.fingerprint(), "direction": args.direction, "limit": args.limit,
                           "seed": args.seed, "resamples": args.resamples, **key})[:10]
    out = args.output / "judge-eval" / f"{name}__{run_key}.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    write_json(out, record)
    return out


def print_results(rows: list[tuple], means: tuple, settings_text: str) -> None:
    """The table, a row per judge: pairs, the two kinds of pair's mean scores (`means`: (column title, summary
    key, width) each), score gap and AUROC with their 95% intervals; then a line per judge: its warning,
    fingerprint, the settings and where its record is. `rows`: (judge, summary, warning, record path)."""
    titles = " ".join(f"{title:>{width}}" for title, _, width in means)
    print(f"{'judge':<44} {'pairs':>6} {titles} {'gap [95% CI]':>26} {'AUROC [95% CI]':>26}")
    for judge, s, _, _ in rows:
        a, g = s["auroc"], s["score_gap"]
        cells = " ".join(f"{s[key]:>{width}.3f}" for _, key, width in means)
        print(f"{judge.spec:<44} {a['n']:>6} {cells} {g['value']:>8.3f} [{g['ci_low']:>6.3f}, {g['ci_high']:>6.3f}] "
              f"{a['value']:>8.3f} [{a['ci_low']:>6.3f}, {a['ci_high']:>6.3f}]")
    for judge, _, warning, out in rows:
        if warning:
            print(f"WARNING: judge {judge.spec}: {warning}")
        print(f"  {judge.spec}: fingerprint {judge.fingerprint_id()}, {settings_text} -> {out}")
