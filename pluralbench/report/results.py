"""Finished runs read back from disk for reports: metrics.json (schema-checked), manifest.json, samples."""
from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

from pluralbench.core.files import strict_json_loads
from pluralbench.elicitation import DEFAULT_METHOD
from pluralbench.errors import UserError
from pluralbench.hashing import sha256_json
from pluralbench.schemas import IncompatibleResults, check_schema_version, validate


@dataclass
class RunResult:
    path: Path
    metrics: dict
    manifest: dict

    @property
    def run_id(self) -> str:
        return self.metrics["run_id"]

    @property
    def task(self) -> str:
        return self.metrics["task"]["name"]

    @property
    def model_spec(self) -> str:
        return self.metrics["model"]["spec"]

    @property
    def method(self) -> str:
        """The read-out method (`--elicit`); runs made before the method axis used the default, logprob."""
        return (self.metrics.get("elicitation_method") or {}).get("spec", DEFAULT_METHOD)

    @property
    def model_key(self) -> tuple[str, str]:
        return (self.metrics["model"]["spec"], self.metrics["model"]["fingerprint_id"])

    def provenance(self) -> dict:
        """What must agree before two runs' numbers share a column."""
        judge = self.metrics.get("parameters", {}).get("judge")
        return {
            "elicitation": self.metrics["elicitation"],
            "method": self.method,
            "judge": judge_label(judge),
            "task_version": self.metrics["task"]["version"],
            "data": f"{self.metrics['task']['data_sha256'][:12]} x{self.metrics['counts']['items']}",
        }


def judge_label(judge) -> str | None:
    """A short, stable name for whatever a task recorded as its judge (a string or a mapping)."""
    if judge is None:
        return None
    if isinstance(judge, str):
        return judge
    if isinstance(judge, dict):
        for key in ("name", "model", "spec", "id"):
            if isinstance(judge.get(key), str):
                extra = {k: v for k, v in judge.items() if k != key}
                return judge[key] + (f" ({sha256_json(extra)[:8]})" if extra else "")
    return sha256_json(judge)[:12]


def _read_json(path: Path):
    try:
        return strict_json_loads(path.read_text(encoding="utf-8"))
    except (ValueError, UnicodeDecodeError) as exc:
        raise UserError(f"{path}: not valid JSON ({exc})") from None


def is_run_dir(path: Path) -> bool:
    return (path / "metrics.json").is_file() or (path / "manifest.json").is_file()


def load_run(path: Path) -> RunResult:
    """A finished run, or a one-line refusal saying why it cannot be used."""
    if not path.is_dir():
        raise UserError(f"{path}: no such run directory")
    if not (path / "manifest.json").is_file():  # marked complete last: without it the run never finished
        raise UserError(f"{path}: no manifest.json (the run has not finished, or was not written by pluralbench)")
    manifest = _read_json(path / "manifest.json")
    check_schema_version(manifest, path / "manifest.json")
    if manifest.get("status") != "complete":
        raise UserError(f"{path}: run not finished (manifest status {manifest.get('status')!r}); "
                        "run the same command again to resume it")
    if not (path / "metrics.json").is_file():
        raise UserError(f"{path}: no metrics.json (the run has not finished)")
    metrics = _read_json(path / "metrics.json")
    check_schema_version(metrics, path / "metrics.json")
    validate(metrics, "metrics", str(path / "metrics.json"))
    return RunResult(path, metrics, manifest)


def discover_runs(paths: list[Path]) -> tuple[list[RunResult], list[str]]:
    """Runs from run directories and results directories (their immediate subdirectories).

    A run directory named on the command line must be usable; an unfinished run inside a results
    directory is skipped with a note (another run may still be writing it).
    """
    runs: list[RunResult] = []
    notes: list[str] = []
    seen: set[Path] = set()
    for path in paths:
        if not path.exists():
            raise UserError(f"{path}: no such run or results directory")
        if not path.is_dir():
            raise UserError(f"{path}: not a directory (give a run directory or a results directory)")
        if is_run_dir(path):
            candidates, strict = [path], True
        else:
            # Hidden directories are never runs: a killed writer's staging copy would count a run twice.
            candidates = sorted(p for p in path.iterdir() if p.is_dir() and not p.name.startswith(".") and is_run_dir(p))
            strict = False
            if not candidates:
                raise UserError(f"{path}: holds no run directories (none has metrics.json or manifest.json)")
        for run_dir in candidates:
            resolved = run_dir.resolve()
            if resolved in seen:
                continue
            seen.add(resolved)
            try:
                runs.append(load_run(run_dir))
            except UserError as exc:
                # An unfinished run may be one still being written: skipped with a note. Results from an
                # incompatible pluralbench are never dropped quietly from a report.
                if strict or isinstance(exc, IncompatibleResults):
                    raise
                notes.append(f"skipped {exc}")
    return runs, notes


def read_samples(run_dir: Path) -> list[dict]:
    path = run_dir / "samples.jsonl"
    if not path.is_file():
        raise UserError(f"{path}: missing (reports need per-item samples)")
    rows = []
    for lineno, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        try:
            rows.append(json.loads(line))
        except ValueError as exc:
            raise UserError(f"{path} line {lineno}: not valid JSON ({exc})") from None
    return rows
