"""`pluralbench run --elicit A,B,...`: each read-out method is its own run of every task (its own run
directory and id); with more than one method, an elicitation report over those runs is written."""
from __future__ import annotations

from dataclasses import replace
from pathlib import Path

from pluralbench.core.files import safe_component
from pluralbench.hashing import sha256_json


def report_dir(output: Path, model_identity: str, run_dirs: list[Path]) -> Path:
    """Where a multi-method run writes its report: stable for the same runs, so the same command rewrites it."""
    runs = sorted(p.name for p in run_dirs)
    return output / f"elicitation__{safe_component(model_identity)}__{sha256_json(runs)[:10]}"


def run_methods(methods: list[str], prepared: list, adapter, opts, model_identity: str, run_one) -> Path | None:
    """run_one(prepared task, run options) -> RunSummary for every task and method; -> the report's directory."""
    from pluralbench.elicitation import get_method

    for spec in methods:  # a method this model kind cannot serve is refused before any model work
        get_method(spec, seed=opts.seed).supports(adapter)
    run_dirs = [run_one(item, replace(opts, method=spec)).run_dir for item in prepared for spec in methods]
    if len(methods) < 2:
        return None
    from pluralbench.report.write_elicitation import write_elicitation_report

    target = report_dir(opts.output, model_identity, run_dirs)
    write_elicitation_report(run_dirs, target)
    print(f"elicitation report: {target / 'elicitation.md'}")
    return target
