"""Run the golden plan and read back its outputs in a canonical, path-free form (used by the maker and
by tests/runs/test_golden.py). Canonical: JSON with sorted keys; run ids, output and data paths replaced by
placeholders, since they name where a run lives, not what it computed."""
from __future__ import annotations

import json
import math
import os
import subprocess
import sys
from pathlib import Path

from . import plan

HERE = Path(__file__).resolve().parent
REPO = HERE.parent.parent
STORE = HERE / "outputs"
ANSWERS = HERE / "answers.jsonl"
RUN_FILES = ("metrics.json", "samples.jsonl")
REPORT_FILES = {"compare": ("compare.json", "compare.md"),
                "leaderboard": ("leaderboard.json", "leaderboard.md", "leaderboard.csv", "leaderboard.html")}


def _fill(args: list[str], values: dict[str, str]) -> list[str]:
    out = []
    for a in args:
        for k, v in values.items():
            a = a.replace("{" + k + "}", v)
        out.append(a)
    return out


def _cli(args: list[str], env: dict) -> str:
    done = subprocess.run([sys.executable, "-m", "pluralbench", *args], capture_output=True, text=True, env=env,
                          stdin=subprocess.DEVNULL, timeout=3600)
    if done.returncode != 0:
        raise RuntimeError(f"pluralbench {' '.join(args)} failed ({done.returncode}):\n{done.stderr[-3000:]}")
    return done.stdout


def _runs_in(root: Path, suffix: str = "") -> dict[str, Path]:
    found = {}
    for manifest in sorted(root.glob("*/manifest.json")):
        task = json.loads(manifest.read_text(encoding="utf-8"))["task"]["name"]
        found[task + suffix] = manifest.parent
    return found


def execute(out: Path, cache: Path, data: Path) -> tuple[dict[str, dict[str, str]], dict[str, dict]]:
    """Run the whole plan; -> ({output name: {file: canonical text}}, {run name: manifest counts})."""
    env = dict(os.environ, PYTHONUNBUFFERED="1")
    env.pop("PLURALBENCH_DATA", None)
    values = {"out": str(out), "cache": str(cache), "data": str(data)}
    for cmd in plan.run_commands():
        _cli(_fill(cmd, values), env)
    runs = _runs_in(out / "runs") | _runs_in(out / "runs_added") | _runs_in(out / "runs_completion", "__completion")
    named: dict[str, Path] = dict(runs)
    for name, cmd in plan.score_commands({t: str(p) for t, p in runs.items()}):
        before = set((out / "score").glob("*")) if (out / "score").is_dir() else set()
        _cli(_fill(cmd, values), env)
        (new,) = set((out / "score").glob("*")) - before
        named[name] = new
    report_cmds = plan.report_commands(str(runs["distributional_globalopinionqa"]),
                                       str(runs["distributional_globalopinionqa__completion"]))
    for _, cmd in report_cmds:
        _cli(_fill(cmd, values), env)
    placeholders = {str(p): f"<run:{n}>" for n, p in named.items()}
    placeholders |= {p.name: f"<run-id:{n}>" for n, p in named.items()}
    # Paths as given and as resolved (a data directory reached through a symbolic link is recorded resolved).
    for path, name in ((out, "<out>"), (data, "<data>"), (REPO, "<repo>")):
        placeholders |= {str(path): name, str(path.resolve()): name}
    texts = {n: {f: _canonical(p / f, placeholders) for f in RUN_FILES} for n, p in named.items()}
    for name, _ in report_cmds:
        texts[name] = {f: _canonical(out / name / f, placeholders) for f in REPORT_FILES[name]}
    counts = {n: json.loads((p / "manifest.json").read_text(encoding="utf-8")).get("counts", {}) for n, p in runs.items()}
    return texts, counts


def _canonical(path: Path, placeholders: dict[str, str]) -> str:
    text = path.read_text(encoding="utf-8")
    # Longest first (a run dir before its parent); Markdown files show names with escaped underscores.
    escaped = {k.replace("_", "\\_"): v for k, v in placeholders.items() if "_" in k}
    for old, new in sorted((placeholders | escaped).items(), key=lambda kv: len(kv[0]), reverse=True):
        text = text.replace(old, new)
    if path.suffix == ".json":
        return json.dumps(json.loads(text), sort_keys=True, indent=1) + "\n"
    if path.suffix == ".jsonl":
        return "".join(json.dumps(json.loads(line), sort_keys=True) + "\n" for line in text.splitlines() if line)
    return text


def dump_answers(cache: Path, target: Path) -> int:
    import sqlite3

    db = sqlite3.connect(cache / "responses.sqlite3")
    rows = sorted(db.execute("SELECT key, value FROM responses"))
    db.close()
    target.write_text("".join(json.dumps({"key": k, "value": json.loads(v)}) + "\n" for k, v in rows), encoding="utf-8")
    return len(rows)


def load_answers(source: Path, cache: Path) -> int:
    from pluralbench.runner.cache import ResponseCache

    entries = {}
    for line in source.read_text(encoding="utf-8").splitlines():
        row = json.loads(line)
        entries[row["key"]] = row["value"]
    store = ResponseCache(cache)
    store.put_many(entries)
    store.close()
    return len(entries)


def differences(expected, actual, where: str = "$", tol: float = 1e-12) -> list[str]:
    """Paths at which two parsed JSON values differ (floats equal within tol, absolute or relative)."""
    if isinstance(expected, dict) and isinstance(actual, dict):
        out = [f"{where}.{k}: missing" for k in expected if k not in actual]
        out += [f"{where}.{k}: unexpected" for k in actual if k not in expected]
        for k in expected.keys() & actual.keys():
            out += differences(expected[k], actual[k], f"{where}.{k}", tol)
        return out
    if isinstance(expected, list) and isinstance(actual, list):
        if len(expected) != len(actual):
            return [f"{where}: length {len(expected)} -> {len(actual)}"]
        return [d for i, (e, a) in enumerate(zip(expected, actual)) for d in differences(e, a, f"{where}[{i}]", tol)]
    if isinstance(expected, float) and isinstance(actual, (int, float)) and not isinstance(actual, bool):
        if math.isclose(expected, actual, rel_tol=tol, abs_tol=tol):
            return []
    elif expected == actual and type(expected) is type(actual):
        return []
    return [f"{where}: {expected!r} -> {actual!r}"]


def compare_text(name: str, expected: str, actual: str) -> list[str]:
    if name.endswith(".json"):
        return differences(json.loads(expected), json.loads(actual))
    if name.endswith(".jsonl"):
        e, a = expected.splitlines(), actual.splitlines()
        if len(e) != len(a):
            return [f"lines {len(e)} -> {len(a)}"]
        return [d for i, (x, y) in enumerate(zip(e, a)) for d in differences(json.loads(x), json.loads(y), f"line {i + 1}")]
    return [] if expected == actual else ["text differs"]
