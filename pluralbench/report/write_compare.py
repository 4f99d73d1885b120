"""Write a comparison (from compare.compare_runs) as Markdown, JSON and figures."""
from __future__ import annotations

import json
import math
from pathlib import Path

from pluralbench.core.files import atomic_write_text, safe_component
from pluralbench.report import figures
from pluralbench.report.tables import code_span, md_escape

MAX_GROUP_ROWS = 40


def _f(x, digits=4) -> str:
    return "—" if x is None else f"{x:.{digits}f}"


def _d(x, digits=4) -> str:
    """A signed difference."""
    return "—" if x is None else f"{x:+.{digits}f}"


def _p(x) -> str:
    if x is None:
        return "—"
    return f"{x:.2g}" if x >= 1e-4 else "<1e-4"


def _sort_key(x) -> float:
    return math.inf if x is None else x  # groups without the metric last


def _better(block: dict, direction: str | None) -> str:
    lo, hi = block["diff_ci_low"], block["diff_ci_high"]
    if lo is None or hi is None or (lo <= 0 <= hi):
        return "no clear change"
    up = lo > 0
    if direction is None:
        return "higher in B" if up else "lower in B"
    better = up == (direction == "higher")
    return "B better" if better else "A better"


def summary_lines(result: dict, label_a: str, label_b: str) -> list[str]:
    """Short plain-text summary (also printed by the command)."""
    lines = []
    for name in result["metrics"][:1] + [m for m in ("entropy_model",) if m in result["metrics"][1:]]:
        blk = result["overall"][name]
        lines.append(f"{name}: A={_f(blk['a'])}  B={_f(blk['b'])}  B-A={_d(blk['diff'])} "
                     f"[{_d(blk['diff_ci_low'])}, {_d(blk['diff_ci_high'])}]  p={_p(blk['p_value'])} "
                     f"({result['parameters']['test']}, {blk['n_units']} prompts)  -> {_better(blk, blk['direction'])}")
    moved = result.get("argmax_moved")
    if moved:
        lines.append(f"argmax moved on {moved['share']:.1%} of {moved['n_prompts']} prompts "
                     f"[{moved['ci_low']:.1%}, {moved['ci_high']:.1%}]")
    return [f"A = {label_a}", f"B = {label_b}"] + lines


def to_markdown(result: dict, label_a: str, label_b: str, figure_paths: list[tuple[str, str]]) -> str:
    out = _md_header(result, label_a, label_b) + _md_overall(result) + _md_reference_points(result)
    if result["groups"]:
        out += _md_groups(result)
    if figure_paths:
        out += ["", "## Figures", ""] + [f"![{md_escape(c)}]({p})" for c, p in figure_paths]
    return "\n".join(out) + "\n"


def _md_header(result: dict, label_a: str, label_b: str) -> list[str]:
    a, b, task = result["a"], result["b"], result["task"]
    out = [f"# Comparison on {md_escape(task['name'])} (v{task['version']})", "",
           f"- **A**: {md_escape(label_a)} — {code_span(a['model'])}, elicitation {a['elicitation']}, "
           f"read-out {code_span(a['elicitation_method'])}, run {code_span(a['run_id'])}",
           f"- **B**: {md_escape(label_b)} — {code_span(b['model'])}, elicitation {b['elicitation']}, "
           f"read-out {code_span(b['elicitation_method'])}, run {code_span(b['run_id'])}",
           f"- data sha256 `{task['data_sha256'][:16]}…`; {result['pairing']['paired_rows']} paired items",
           f"- differences are **B − A**; 95% CIs bootstrap {result['parameters']['bootstrap']['resamples']} "
           f"resamples over prompts; p-values: {result['parameters']['test']} signed-rank/paired test over prompts "
           "(overall) or items (per group); group q-values: Benjamini-Hochberg.", ""]
    for w in result["warnings"]:
        out.append(f"> **Note:** {md_escape(w)}")
    if result["warnings"]:
        out.append("")
    return out


def _md_overall(result: dict) -> list[str]:
    out = ["## Overall", "", "| metric | better | A | B | B − A [95% CI] | p | verdict |",
           "|---|---|---:|---:|---:|---:|---|"]
    for name in result["metrics"]:
        blk = result["overall"][name]
        out.append(f"| {md_escape(name)} | {blk['direction'] or '—'} | {_f(blk['a'])} | {_f(blk['b'])} | "
                   f"{_d(blk['diff'])} [{_d(blk['diff_ci_low'])}, {_d(blk['diff_ci_high'])}] | {_p(blk['p_value'])} | "
                   f"{_better(blk, blk['direction'])} |")
    moved = result.get("argmax_moved")
    if moved:
        out += ["", f"Most likely option changed on **{moved['share']:.1%}** of {moved['n_prompts']} prompts "
                    f"(95% CI {moved['ci_low']:.1%}–{moved['ci_high']:.1%})."]
    if "entropy_model" in result["overall"]:
        e = result["overall"]["entropy_model"]
        out += ["", f"Entropy of the model's answer distribution: A {e['a']:.3f} → B {e['b']:.3f} bits "
                    f"({e['diff']:+.3f}; the Roadmap reports entropy falling and JSD rising after RLHF)."]
    if result["unchanged_metrics"]:
        out += ["", f"Identical in both runs (properties of the data): {', '.join(result['unchanged_metrics'])}."]
    return out


def _md_reference_points(result: dict) -> list[str]:
    """The headline metric's human reference points in each run, beside the difference above."""
    head = result.get("headline")
    sides = result.get("reference_points") or {}
    a, b = (sides.get(s, {}).get(head) or {} for s in ("a", "b"))
    if not (a or b):
        return []
    out = ["", f"## Human reference points: {md_escape(head)}", "",
           "The same metric for stand-ins scored against the same humans (docs/reference-points.md).", "",
           "| reference point | A [95% CI] | B [95% CI] |", "|---|---:|---:|"]
    for point in dict.fromkeys([*a, *b]):
        out.append(f"| {point} | {_ci_cell(a.get(point))} | {_ci_cell(b.get(point))} |")
    return out


def _ci_cell(block: dict | None) -> str:
    if not block or block.get("value") is None:
        return "—"
    return f"{_f(block['value'])} [{_f(block['ci_low'])}, {_f(block['ci_high'])}]"


def _md_groups(result: dict) -> list[str]:
    head, groups = result["metrics"][0], result["groups"]
    by = md_escape(result["group_by"])
    # The groups with the most items (a one-item group's difference is mostly noise), by difference.
    largest = sorted(groups, key=lambda g: (-groups[g][head]["n_rows"], g))[:MAX_GROUP_ROWS]
    shown = sorted(largest, key=lambda g: (_sort_key(groups[g][head]["diff"]), g))
    out = ["", f"## Per {by}: {md_escape(head)}", ""]
    if len(shown) < len(groups):
        out += [f"The {len(shown)} groups with the most items, of {len(groups)}; all are in compare.json.", ""]
    cols = f"| {by} | n | A | B | B − A [95% CI] | p | q (BH) |"
    extra = "entropy B − A" if "entropy_model" in result["metrics"] else None
    moved_g = result.get("argmax_moved_by_group") or {}
    out += [cols[:-1] + (f"| {extra} |" if extra else "|") + (" argmax moved |" if moved_g else ""),
            "|---|---:|---:|---:|---:|---:|---:|" + ("---:|" if extra else "") + ("---:|" if moved_g else "")]
    for g in shown:
        blk = groups[g][head]
        line = (f"| {md_escape(g)} | {blk['n_rows']} | {_f(blk['a'])} | {_f(blk['b'])} | {_d(blk['diff'])} "
                f"[{_d(blk['diff_ci_low'])}, {_d(blk['diff_ci_high'])}] | {_p(blk['p_value'])} | "
                f"{_p(blk.get('q_value_bh'))} |")
        if extra:
            line += f" {_d(groups[g]['entropy_model']['diff'], 3)} |"
        if moved_g:
            mg = moved_g.get(g)
            line += f" {mg['share']:.0%} |" if mg else " — |"
        out.append(line)
    return out


def write_outputs(result: dict, out: Path, label_a: str, label_b: str) -> dict[str, Path]:
    out.mkdir(parents=True, exist_ok=True)
    written: dict[str, Path] = {}
    figs: list[tuple[str, str]] = []
    head = result["metrics"][0]
    groups = result["groups"]
    for name in [head] + [m for m in ("entropy_model",) if m in result["metrics"][1:]]:
        if not groups:
            break
        ranked = [g for g in sorted(groups, key=lambda g: _sort_key(groups[g][name]["diff"]))
                  if groups[g][name]["diff"] is not None]
        path = figures.delta_dots(ranked, [(groups[g][name]["diff"], groups[g][name]["diff_ci_low"],
                                            groups[g][name]["diff_ci_high"]) for g in ranked],
                                  f"{name}: B - A per {result['group_by']} (blue: CI excludes 0)",
                                  f"{name} B - A", out / "figures" / f"delta_{safe_component(name)}_by_group.png")
        written[f"delta_{name}"] = path
        figs.append((f"{name}: B − A per {result['group_by']}", str(path.relative_to(out))))

    items = result.get("items") or []
    if items:
        samples_a, samples_b = [i["a"] for i in items], [i["b"] for i in items]
        path = figures.item_scatter(samples_a, samples_b, f"{head} in A", f"{head} in B",
                                    f"{head} per item ({len(samples_a)} items)",
                                    out / "figures" / f"items_{safe_component(head)}.png")
        written["items"] = path
        figs.append((f"{head} per item, A vs B", str(path.relative_to(out))))
    atomic_write_text(out / "compare.md", to_markdown(result, label_a, label_b, figs))
    atomic_write_text(out / "compare.json", json.dumps(result | {"labels": {"a": label_a, "b": label_b}},
                                                       indent=2, allow_nan=False) + "\n")
    written["compare.md"] = out / "compare.md"
    written["compare.json"] = out / "compare.json"
    return written
