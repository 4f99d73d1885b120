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


def check_supported(methods: list[str], model, seed: int) -> None:
    """Refuse, before any model work, a method the model's kind cannot serve (`model.kind` is None for a
    plugin kind, which is checked once its adapter has loaded)."""
    from pluralbench.elicitation import get_method

    if model.kind is None:
        return
    for spec in methods:
        get_method(spec, seed=seed).supports(model)


def runs_per_method(methods: list[str], prepared: list, opts) -> list[tuple]:
    """-> (prepared task, its run options, a label) for every task and method: each method is its own run. The
    label names the method (the one place it is named in the command's lines) unless the default is the only one."""
    from pluralbench.elicitation import DEFAULT_METHOD

    named = methods != [DEFAULT_METHOD]
    label = (lambda name, spec: f"{name} [{spec}]") if named else (lambda name, spec: name)
    return [(item, replace(opts, method=spec), label(item.task.name, spec)) for item in prepared for spec in methods]


def write_method_report(methods: list[str], output: Path, model_identity: str, run_dirs: list[Path]) -> Path | None:
    """With more than one method, the elicitation report over the runs just made; -> its directory."""
    if len(methods) < 2:
        return None
    from pluralbench.report.write_elicitation import write_elicitation_report

    target = report_dir(output, model_identity, run_dirs)
    write_elicitation_report(run_dirs, target)
    print(f"elicitation report: {target / 'elicitation.md'}")
    return target
