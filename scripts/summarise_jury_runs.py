"""Print markdown tables of jury-welfare and trade-off runs: `python scripts/summarise_jury_runs.py RESULTS_DIR`.

Reads every run directory under RESULTS_DIR whose task family is jury_choice, jury_distribution or
tradeoff_steering, and prints, per task, one block per model. Across models it also shows whether
their order under utilitarian welfare differs from their order under maximin welfare.
"""
from __future__ import annotations

import json
import sys
from collections import defaultdict
from pathlib import Path


def fmt(mv) -> str:
    if mv is None or mv.get("value") is None:
        return "n/a"
    if mv.get("ci_low") is None:
        return f"{mv['value']:.3f}"
    return f"{mv['value']:.3f} [{mv['ci_low']:.3f}, {mv['ci_high']:.3f}]"


def jury_choice(m: dict) -> list[str]:
    out = ["| level | welfare | model | random pick | best | worst | normalised (pooled) | normalised (item mean) |",
           "|---|---|---|---|---|---|---|---|"]
    for level, by_f in m["welfare"].items():
        for f, st in by_f.items():
            out.append(f"| {level} | {f} | {st['model']['value']:.3f} | {st['random']['value']:.3f} | "
                       f"{st['best']['value']:.3f} | {st['worst']['value']:.3f} | {fmt(st['normalised_pooled'])} | "
                       f"{fmt(st['normalised_item_mean'])} (n={st['normalised_item_mean']['n']}) |")
    out.append("")
    out.append(f"mean covered option mass {m['coverage']['mean']:.3f}; mean choice probability by position "
               + ", ".join(f"{x:.2f}" for x in m["coverage"]["mean_choice_probability_by_position"]))
    for jury, s in m["juries"].items():
        for key in ("groups/egalitarian", "jurors/utilitarian"):
            if key in s["best_candidates"]:
                b, w = s["best_candidates"][key], s["worst_candidates"][key]
                out.append(f"- {jury} ({key}, {s['candidates_seen']} candidates seen): best #{b['id']} "
                           f"({b['welfare']:.2f}{', tied with ' + str(b['tied_with']) if b.get('tied_with') else ''}) "
                           f"\"{b['text'][:90]}\"; worst #{w['id']} ({w['welfare']:.2f}) \"{w['text'][:90]}\"")
    return out


def jury_distribution(m: dict) -> list[str]:
    fs = list(m["welfare"]["model"]["per_item"])
    out = ["| system | " + " | ".join(f"{f} per item" for f in fs) + " | " + " | ".join(f"{f} over juror means" for f in fs) + " |",
           "|---|" + "---|" * (2 * len(fs))]
    for system, block in m["welfare"].items():
        out.append(f"| {system} | " + " | ".join(fmt(block["per_item"][f]) for f in fs) + " | "
                   + " | ".join(fmt(block["over_juror_means"][f]) for f in fs) + " |")
    groups = next(iter(m["groups"].values()))
    worst = [f"{g} {groups[g]['metrics']['utility']['value']:.3f} (n={groups[g]['n']})" for g in m["worst_served_groups"]]
    best = [f"{g} {groups[g]['metrics']['utility']['value']:.3f}" for g in m["best_served_groups"][:3]]
    out += ["", "worst-served: " + "; ".join(worst), "best-served: " + "; ".join(best),
            "rankings: " + "; ".join(f"{f}: {' > '.join(r)}" for f, r in m["rankings"]["by_welfare"].items()),
            f"mean covered option mass {m['coverage']['mean']:.3f}"]
    return out


def tradeoff(m: dict) -> list[str]:
    t = m["tradeoff"]
    heads = t["steered_models"]
    out = ["| S[f][f'] | " + " | ".join(heads) + " |", "|---|" + "---|" * len(heads)]
    for name, row in zip(t["functions"], t["matrix"]):
        out.append(f"| {name} | " + " | ".join(f"{v:.4f}" for v in row) + " |")
    o = m["overall"]
    out += ["", f"strict {fmt(o['strict_score'])}; soft {fmt(o['soft_score'])}; Spearman(w, o_A - o_B) "
                f"{fmt(o['spearman_weight_tradeoff'])}" + (f"; JSD to target mixture {fmt(o['mixture_jsd'])}"
                                                            if "mixture_jsd" in o else ""),
            f"mean-matrix strict {t['matrix_strict_score']}; mean-matrix soft "
            f"{t['matrix_soft_score'] if t['matrix_soft_score'] is None else round(t['matrix_soft_score'], 3)}; "
            f"items without spread {t['items_without_spread']}; items with constant trade-off "
            f"{t['items_with_constant_tradeoff']}; steering prompt {t['steering_prompt']['name']}",
            "by weight: " + "; ".join(f"w={w}: o_A {e['o_a']['value']:.3f}, o_B {e['o_b']['value']:.3f}"
                                      + (f", mixJSD {e['mixture_jsd']['value']:.3f}" if "mixture_jsd" in e else "")
                                      for w, e in t["by_weight"].items()),
            f"mean covered option mass {m['coverage']['mean']:.3f}"]
    return out


RENDER = {"jury_choice": jury_choice, "jury_distribution": jury_distribution, "tradeoff_steering": tradeoff}


def main(root: Path) -> None:
    runs = defaultdict(dict)
    for mpath in sorted(root.glob("*/metrics.json")):
        m = json.loads(mpath.read_text())
        if m["task"]["family"] in RENDER:
            runs[m["task"]["name"]][m["model"]["spec"]] = (mpath.parent, m)
    for task, by_model in runs.items():
        print(f"## {task}\n")
        for model, (run_dir, m) in by_model.items():
            print(f"### {model} ({m['counts']['items']} items, {m['elicitation']} elicitation; {run_dir.name})\n")
            print("\n".join(RENDER[m["task"]["family"]](m)) + "\n")
        if len(by_model) > 1 and next(iter(by_model.values()))[1]["task"]["family"] == "jury_distribution":
            for f in ("utilitarian", "egalitarian"):
                order = sorted(by_model, key=lambda k: -by_model[k][1]["overall"][f]["value"])
                print(f"models by {f} welfare: {' > '.join(order)}")
            print()


if __name__ == "__main__":
    main(Path(sys.argv[1] if len(sys.argv) > 1 else "results"))
