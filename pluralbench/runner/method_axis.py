"""The read-out method (`--elicit`) as a run axis: which methods a command names, what of a method
enters the run id, what a run records of it, and the calibration step between reading the answers and
scoring them.

The prompt format (`--prompt-format`, recorded as `elicitation`) is the other axis: how the prompt is
rendered (chat or completion). The method is how a distribution is read out of the answers.
"""
from __future__ import annotations

from typing import Sequence

from pluralbench.elicitation import DEFAULT_METHOD, Elicitation, get_method
from pluralbench.errors import UserError


def canonical_spec(spec: str) -> str:
    """`name[:argument]` without stray spaces, so `sampled: 20` and `sampled:20` are one run."""
    name, sep, argument = spec.partition(":")
    return f"{name.strip()}:{argument.strip()}" if sep else name.strip()


def parse_methods(text: str, *, seed: int = 0) -> list[str]:
    """`--elicit a,b:N,...` -> the method specs, each checked (unknown name, bad argument) before any work."""
    specs = [canonical_spec(part) for part in text.split(",")]
    if any(not s for s in specs):
        raise UserError(f"--elicit {text!r}: an empty method name; give methods separated by commas, "
                        "as in --elicit logprob,sampled:20")
    repeated = sorted({s for s in specs if specs.count(s) > 1})
    if repeated:
        raise UserError(f"--elicit {text!r}: {', '.join(repeated)} named twice")
    for spec in specs:
        get_method(spec, seed=seed)
    return specs


def method_identity(spec: str, method: Elicitation) -> dict | None:
    """What the run id hashes of the method: nothing for the default, so `logprob` run ids stay unchanged."""
    if canonical_spec(spec) == DEFAULT_METHOD:
        return None
    return {"spec": canonical_spec(spec), "settings": method.settings()}


def method_record(spec: str, method: Elicitation, fitted: dict | None) -> dict:
    """metrics.json's and the manifest's `elicitation_method`: the method, its settings and what it fitted
    (calibration temperatures; parse counts of generated answers); None before the run has finished."""
    return {"spec": canonical_spec(spec), "name": method.name, "settings": method.settings(), "fitted": fitted}


def method_from_record(record: dict | None, seed: int) -> tuple[str, Elicitation]:
    """The method a finished run recorded (runs made before the method axis used the default)."""
    spec = (record or {}).get("spec") or DEFAULT_METHOD
    return spec, get_method(spec, seed=seed)


def check_references(specs: Sequence[str], prepared: Sequence, seed: int) -> None:
    """A method fitted to the human distributions refuses, before the model loads, a task that gives none."""
    for spec in specs:
        method = get_method(spec, seed=seed)
        if not method.needs_references:
            continue
        for item in prepared:
            references = item.task.family_impl().references(item.task, item.dataset.items)
            if not any(r is not None for row in references for r in row):
                raise UserError(f"task {item.task.name}: elicitation method {method.name!r} fits to human "
                                "reference distributions, and this task gives none")

