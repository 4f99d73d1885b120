"""The elicitation report's files, written as one set (core/output_set.py): elicitation.json (every
number), elicitation.md (tables) and elicitation.png (TV per task and method, with CIs)."""
from __future__ import annotations

from pathlib import Path

from pluralbench.core.files import write_json
from pluralbench.core.output_set import refuse_foreign_files, write_output_set
from pluralbench.report.elicitation import elicitation_report
from pluralbench.report.results import discover_runs
from pluralbench.report.tables import MISSING, code_span, fmt, md_escape

FILES = ("elicitation.json", "elicitation.md", "elicitation.png")


def _ci(block: dict | None, digits: int = 4) -> str:
    if not block:
        return MISSING
    if block.get("ci_low") is None or block.get("ci_high") is None:
        return fmt(block["value"], digits)
    return f"{fmt(block['value'], digits)} [{fmt(block['ci_low'], digits)}, {fmt(block['ci_high'], digits)}]"


def _seconds(cost: dict) -> str:
    return MISSING if cost.get("total_s") is None else f"{cost['total_s']:.1f}"


def tokens_cell(cost: dict) -> str:
    """Every answer's generated tokens, and how many of them this run generated when others came from
    the journal or the cache ('-': not recorded, as in runs made before the count existed)."""
    total, fresh = cost.get("generated_tokens_total"), cost.get("generated_tokens")
    if total is None:
        return MISSING
    return str(total) if fresh is None or fresh == total else f"{total} ({fresh} this run)"


def _method_rows(section: dict) -> list[str]:
    lines = ["| method | TV ↓ | JSD ↓ | SimBench ↑ | rows | parse rate | model calls | generated tokens | seconds |",
             "|---|---|---|---|---|---|---|---|---|"]
    for m in section["methods"]:
        b = section["by_method"][m]
        cost = b["cost"]
        calls = MISSING if cost["model_calls"] is None else cost["model_calls"]
        lines.append(f"| {code_span(m)} | {_ci(b['tv'])} | {_ci(b['jsd'])} | {_ci(b['simbench_score'], 2)} | "
                     f"{b['scored_rows']} | {fmt(b['parse_rate'], 3)} | {calls} | {tokens_cell(cost)} | "
                     f"{_seconds(cost)} |")
    return lines


def _paired_rows(section: dict) -> list[str]:
    if not section["paired"]:
        return []
    lines = ["", "Paired differences (B - A) on the rows both methods scored; CIs resample prompts.", "",
             "| A | B | rows (prompts) | ΔTV | ΔJSD | ΔSimBench |", "|---|---|---|---|---|---|"]
    for p in section["paired"]:
        lines.append(f"| {code_span(p['a'])} | {code_span(p['b'])} | {p['rows']} ({p['prompts']}) | "
                     f"{_ci(p['tv_diff'])} | {_ci(p['jsd_diff'])} | {_ci(p['simbench_diff'], 2)} |")
    return lines


POINTS = ("uniform", "modal", "least_chosen", "resolution_floor", "sampling_floor", "split_half")


def _reference_rows(section: dict) -> list[str]:
    """Each method's human reference points beside its numbers: the same metric on the same rows."""
    rows = [(m, name, points) for m in section["methods"]
            for name, points in section["by_method"][m].get("reference_points", {}).items() if name != "simbench_score"]
    if not rows:
        return []
    lines = ["", "Human reference points, each with the method's metric on the rows it scored (uniform guess, all mass "
             "on the most / least chosen answer; resolution floor: the human distribution rounded to what the read-out "
             "can express; sampling floor: a multinomial resample of the respondents).", "",
             "| method | metric | " + " | ".join(p.replace("_", " ") for p in POINTS) + " |",
             "|---|---|" + "---|" * len(POINTS)]
    for m, name, points in rows:
        cells = [fmt((points.get(p) or {}).get("value"), 4) if points.get(p) else MISSING for p in POINTS]
        lines.append(f"| {code_span(m)} | {name} | " + " | ".join(cells) + " |")
    return lines


def to_markdown(report: dict) -> str:
    b = report["bootstrap"]
    lines = ["# Elicitation methods side by side", "",
             f"Means with {b['level']:.0%} bootstrap CIs ({b['resamples']} resamples, seed {b['seed']}; unit: "
             f"{b['unit']}). TV and JSD: lower is closer to the humans; SimBench-style score: 100 is perfect, 0 as "
             "good as the uniform guess. Parse rate: answers (verbalized) or samples (sampled) that named a "
             "distribution or an option; excluded answers are counted, never replaced by a uniform guess."]
    for section in report["sections"]:
        lines += ["", f"## {md_escape(section['task'])} — {code_span(section['model'])}", ""]
        lines += _method_rows(section) + _paired_rows(section) + _reference_rows(section)
    return "\n".join(lines) + "\n"


def _figure(report: dict, path: Path) -> None:
    from pluralbench.report.figures import group_bars

    models = {s["model"] for s in report["sections"]}
    groups = [s["task"] if len(models) == 1 else f"{s['task']} ({s['model']})" for s in report["sections"]]
    methods = sorted({m for s in report["sections"] for m in s["methods"]})
    series = {}
    for m in methods:
        bars = []
        for s in report["sections"]:
            tv = s["by_method"].get(m, {}).get("tv")
            bars.append((tv["value"], tv.get("ci_low"), tv.get("ci_high")) if tv else None)
        series[m] = bars
    title = "TV to the humans by read-out" + (f": {next(iter(models))}" if len(models) == 1 else "")
    group_bars(groups, series, title, "mean TV (lower is closer)", path)


def write_elicitation_report(run_dirs: list[Path], target: Path, *, seed: int = 0) -> tuple[dict[str, Path], dict]:
    """Read the runs (run or results directories) and write the report's three files into `target`.
    -> (the files written, the report)."""
    refuse_foreign_files(target, "elicitation report")
    runs, notes = discover_runs(run_dirs)
    report = elicitation_report(runs, seed=seed) | {"notes": notes}

    def write(staging: Path) -> dict[str, Path]:
        write_json(staging / FILES[0], report)
        (staging / FILES[1]).write_text(to_markdown(report), encoding="utf-8")
        _figure(report, staging / FILES[2])
        return {name: staging / name for name in FILES}

    return write_output_set(target, write), report
