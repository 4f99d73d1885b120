"""Shared fixtures. Real models and real data only; fixture files are built by the tests themselves."""
from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent


def shared_data_path() -> Path | None:
    env = os.environ.get("PLURALBENCH_DATA")
    candidate = Path(env) if env else REPO.parent / "shared" / "data"
    return candidate if (candidate / "modular_pluralism").is_dir() else None


@pytest.fixture(scope="session")
def shared_data() -> Path:
    path = shared_data_path()
    if path is None:
        pytest.skip("real evaluation data not found: set PLURALBENCH_DATA or place it at ../shared/data")
    return path


@pytest.fixture(scope="session")
def smollm2():
    from pluralbench.models import load_model

    return load_model("embedded:smollm2-135m-instruct")


@pytest.fixture
def isolated_env(tmp_path) -> dict:
    """Environment for CLI subprocesses: a private response cache; the shared models cache is kept
    (it is content-addressed, and converting a GGUF again per test would only cost time)."""
    env = dict(os.environ)
    env["PLURALBENCH_CACHE"] = str(tmp_path / "cache")
    env.pop("PLURALBENCH_DATA", None)
    env["PYTHONUNBUFFERED"] = "1"
    return env


def run_cli(args: list[str], env: dict | None = None, cwd: Path | None = None, timeout: int = 900):
    return subprocess.run([sys.executable, "-m", "pluralbench", *args], capture_output=True, text=True, env=env,
                          cwd=cwd, timeout=timeout, stdin=subprocess.DEVNULL)


def start_cli_until(args: list[str], env: dict, ready, timeout: float = 300, **popen) -> subprocess.Popen:
    """Start `pluralbench ARGS` in a subprocess and hand it back once ready() holds (or timeout seconds pass),
    for tests that stop a run mid-way; fails the test if the run ended first. Output goes nowhere unless
    popen says otherwise (e.g. stderr=subprocess.PIPE, text=True)."""
    streams = dict(stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, stdin=subprocess.DEVNULL)
    proc = subprocess.Popen([sys.executable, "-m", "pluralbench", *args], env=env, **{**streams, **popen})
    deadline = time.time() + timeout
    while not ready() and time.time() < deadline and proc.poll() is None:
        time.sleep(0.05)
    assert proc.poll() is None, "the run finished before it could be stopped"
    return proc


def forward_shapes(adapter, call):
    """call() run with the shapes of the input ids the model's forward receives recorded:
    -> (call's result, [shape, ...]), one per forward pass."""
    shapes = []
    hook = adapter.model.register_forward_pre_hook(lambda _, args, kwargs: shapes.append(tuple(kwargs["input_ids"].shape)),
                                                   with_kwargs=True)
    try:
        return call(), shapes
    finally:
        hook.remove()


def assert_user_error(result, *fragments: str) -> str:
    """Exit 2, one error line on stderr naming what went wrong, no traceback."""
    assert result.returncode == 2, (result.returncode, result.stdout, result.stderr)
    assert "Traceback" not in result.stderr, result.stderr
    errors = [line for line in result.stderr.splitlines() if line.startswith("pluralbench: error:")]
    assert len(errors) == 1, result.stderr
    for fragment in fragments:
        assert fragment in errors[0], (fragment, errors[0])
    return errors[0]


def write_mc_file(path: Path, rows: list[dict]) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(rows), encoding="utf-8")
    return path


def mc_row(i: int, gold=(0.5, 0.3, 0.2), attribute="Japan", question=None) -> dict:
    options = ["Yes", "No", "Maybe", "Unsure"][: len(gold)]
    letters = " ".join(f"{'ABCD'[j]}. {o}" for j, o in enumerate(options))
    return {"question": question or f"Question: Is statement {i} true?\nOptions: {letters}\nAnswer:",
            "options": options, "attribute": attribute, "gold_distribution": list(gold), "pred_distribution": None,
            "id": i}


def write_custom_code_model(directory: Path, marker: Path) -> Path:
    """A local model directory whose config needs the repository's own Python code; that code, if it
    ever runs, writes `marker`."""
    directory.mkdir()
    (directory / "config.json").write_text(json.dumps({
        "model_type": "custom_thing", "auto_map": {"AutoConfig": "configuration_custom.CustomConfig",
                                                   "AutoModelForCausalLM": "modeling_custom.CustomModel"}}))
    code = f"import pathlib\npathlib.Path({str(marker)!r}).write_text('ran')\n"
    (directory / "configuration_custom.py").write_text(code)
    (directory / "modeling_custom.py").write_text(code)
    return directory
