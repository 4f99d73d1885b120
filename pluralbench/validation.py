"""Checking a run directory (or a task file) against the shipped schemas and for internal consistency."""
from __future__ import annotations

from pathlib import Path

from pluralbench.core.files import strict_json_loads
from pluralbench.errors import UserError
from pluralbench.hashing import RESULT_FILES, result_file_hashes
from pluralbench.schemas import validation_errors

MAX_SAMPLE_ERRORS = 10


def _load_json(path: Path, problems: list[str]):
    try:
        return strict_json_loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        problems.append(f"{path}: missing")
    except (ValueError, UnicodeDecodeError) as exc:
        problems.append(f"{path}: not valid JSON ({exc})")
    return None


def validate_run_dir(run_dir: Path, data_dir: Path | None = None) -> tuple[list[str], dict]:
    """Return (problems, facts). No problems means the run directory is valid and complete; facts["notes"]
    says what could not be checked (an older run without content hashes; metrics that cannot be recomputed
    from the samples, e.g. without `data_dir`)."""
    problems: list[str] = []
    notes: list[str] = []
    manifest = _load_json(run_dir / "manifest.json", problems)
    metrics = _load_json(run_dir / "metrics.json", problems)
    if manifest is not None:
        problems += [f"manifest.json {e}" for e in validation_errors(manifest, "manifest")]
        if manifest.get("status") != "complete":
            problems.append(f"manifest.json: status is {manifest.get('status')!r}; the run has not finished "
                            "(run the same command again to resume)")
        elif isinstance(manifest, dict):
            problems += content_problems(run_dir, manifest, notes)
    if metrics is not None:
        problems += [f"metrics.json {e}" for e in validation_errors(metrics, "metrics")]
    n_samples = _check_samples(run_dir / "samples.jsonl", problems)
    if manifest and metrics:
        if manifest.get("run_id") != metrics.get("run_id"):
            problems.append("manifest.json and metrics.json name different run ids")
        name = run_dir.resolve().name  # `validate .` inside a run directory names it by its real name
        if manifest.get("run_id") != name:
            problems.append(f"run id {manifest.get('run_id')!r} differs from the directory name {name!r}")
        used = manifest.get("data", {}).get("items_used")
        if used is not None and used != n_samples:
            problems.append(f"manifest.json says {used} items but samples.jsonl has {n_samples} lines")
        if not problems:  # a well-formed run: do its numbers follow from its samples?
            from pluralbench.runner.recheck import rescore_problems

            problems += rescore_problems(run_dir, manifest, metrics, data_dir, notes)
    facts = {"samples": n_samples, "task": (manifest or {}).get("task", {}).get("name"),
             "model": (manifest or {}).get("model", {}).get("spec")
             or ("predictions " + str((manifest or {}).get("predictions", {}).get("path")) if (manifest or {}).get("predictions")
                 else None), "notes": notes}
    return problems, facts


def _check_samples(samples_path: Path, problems: list[str]) -> int:
    """Schema and unique ids of every sample; -> how many lines it holds."""
    if not samples_path.is_file():
        problems.append(f"{samples_path}: missing")
        return 0
    ids, n_samples, sample_errors = set(), 0, 0
    for lineno, line in enumerate(samples_path.read_text(encoding="utf-8").splitlines(), start=1):
        try:
            row = strict_json_loads(line)
        except ValueError as exc:
            problems.append(f"samples.jsonl line {lineno}: not valid JSON ({exc})")
            sample_errors += 1
            continue
        errs = validation_errors(row, "sample")
        if errs and sample_errors < MAX_SAMPLE_ERRORS:
            problems.append(f"samples.jsonl line {lineno} {errs[0]}")
        sample_errors += bool(errs)
        if isinstance(row, dict) and row.get("id") in ids:
            problems.append(f"samples.jsonl line {lineno}: duplicate id {row.get('id')!r}")
        ids.add(row.get("id") if isinstance(row, dict) else None)
        n_samples += 1
    return n_samples


def content_problems(run_dir: Path, manifest: dict, notes: list[str]) -> list[str]:
    """Each result file against the sha256 its run recorded at completion: an edit afterwards is a problem;
    a run from before hashes were recorded gets a note, not a failure."""
    recorded = manifest.get("content_sha256")
    if not isinstance(recorded, dict):
        notes.append("no content hashes in manifest.json (written by an older pluralbench): file contents not "
                     "checked against the run")
        return []
    actual = result_file_hashes(run_dir)
    problems = []
    for name in RESULT_FILES:
        if name not in recorded:
            continue
        if name not in actual:
            problems.append(f"{name}: missing, though the run recorded its sha256")
        elif actual[name] != recorded[name]:
            problems.append(f"{name}: changed after the run finished (its sha256 is not the one manifest.json "
                            "recorded at completion)")
    return problems


def detect(path: Path) -> str:
    if path.is_dir():
        if (path / "manifest.json").exists():
            return "run"
        raise UserError(f"{path}: a directory without manifest.json is not a run directory")
    if path.suffix in (".yaml", ".yml"):
        from pluralbench.taskfile import read_yaml

        raw, _ = read_yaml(path)
        if not isinstance(raw, dict):
            raise UserError(f"{path}: a YAML {type(raw).__name__}, not a task file or a leaderboard spec "
                            "(both are YAML mappings)")
        # A leaderboard spec lists objectives; a task file names a family (or includes a file that does).
        if "family" in raw or "include" in raw:
            return "task"
        if "objectives" in raw:
            return "leaderboard"
        raise UserError(f"{path}: neither a task file (no 'family' key) nor a leaderboard spec (no 'objectives' key)")
    raise UserError(f"{path}: not a run directory, a task file or a leaderboard spec")
