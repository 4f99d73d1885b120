"""A finished run re-issued is answered from its run directory without loading the model; a model file
replaced since its fingerprint was remembered is loaded and fingerprinted again. A command with several
tasks prints one progress line per task and a summary table."""
import json
import os
import shutil
from pathlib import Path

import pytest
from conftest import run_cli

from pluralbench.models.embedded import EMBEDDED_MODELS
from pluralbench.runner.command_summary import headline_cell

pytestmark = [pytest.mark.model, pytest.mark.shared_data]
TASKS = ["distributional_globalopinionqa", "distributional_moralchoice_small"]


def result_files(output: Path) -> dict:
    return {p: p.read_bytes() for p in output.rglob("*") if p.is_file() and p.name != ".lock"}


def table_rows(stdout: str) -> list[list[str]]:
    """The summary table after the per-task lines: header, rule, one row per task (cells split on 2+ spaces)."""
    block = stdout.split("\n\n", 1)[1].strip().splitlines()
    return [[cell for cell in line.split("  ") if cell.strip()] for line in block]


def test_a_finished_two_task_run_is_answered_without_loading_the_model(tmp_path, isolated_env, shared_data):
    output = tmp_path / "out"
    args = ["run", "--tasks", ",".join(TASKS), "--limit", "3", "--data-dir", str(shared_data), "--output", str(output)]
    first = run_cli(args, env=isolated_env)
    assert first.returncode == 0, first.stderr
    assert first.stderr.count("loaded embedded:smollm2-135m-instruct") == 1
    # stderr is not a terminal here: one plain progress line per task, no carriage returns from it.
    assert "pluralbench: task 1 of 2: distributional_globalopinionqa | 0 of 6 items done | ETA ?" in first.stderr
    assert "pluralbench: task 2 of 2: distributional_moralchoice_small | 3 of 6 items done | ETA " in first.stderr

    rows = table_rows(first.stdout)
    assert [c.strip() for c in rows[0]] == ["task", "headline", "value [95% CI]", "reference points", "run directory"]
    assert set(rows[1][0]) == {"-"}
    assert [r[0].strip() for r in rows[2:]] == TASKS
    for row in rows[2:]:
        run_dir = Path(row[-1].strip())
        metrics = json.loads((run_dir / "metrics.json").read_text())
        assert run_dir.parent == output.resolve() and run_dir.name.startswith(row[0].strip())
        assert (row[1].strip(), row[2].strip()) == headline_cell(metrics)
        # The reference point of the headline when metrics.json has the block, "-" when it has none.
        assert row[3].strip() == ("-" if "reference_points" not in metrics else row[3].strip())

    before = result_files(output)
    second = run_cli([*args, "--no-progress"], env=isolated_env)
    assert second.returncode == 0, second.stderr
    assert "loaded " not in second.stderr  # no model load at all
    assert second.stderr.count("finished earlier: answered from its run directory") == 2
    assert "task 1 of 2" not in second.stderr  # --no-progress silences the command's line too
    assert result_files(output) == before  # identical metrics, samples and manifests: nothing rewritten
    assert table_rows(second.stdout) == rows
    assert second.stdout.count("0 model calls") == 2


def test_a_replaced_model_file_is_not_answered_from_its_old_fingerprint(tmp_path, isolated_env, shared_data):
    source = EMBEDDED_MODELS["smollm2-135m-instruct"].locate()
    model_dir = tmp_path / "model"
    model_dir.mkdir()
    weights = Path(shutil.copy2(source, model_dir / source.name))
    args = ["run", "--model", f"hf:{model_dir},gguf_file={source.name}", "--tasks", TASKS[0], "--limit", "2",
            "--data-dir", str(shared_data), "--output", str(tmp_path / "out"), "--no-progress"]
    assert "loaded " in run_cli(args, env=isolated_env).stderr
    fast = run_cli(args, env=isolated_env)
    assert fast.returncode == 0 and "loaded " not in fast.stderr and "finished earlier" in fast.stderr
    (run_dir,) = (tmp_path / "out").iterdir()
    metrics = (run_dir / "metrics.json").read_bytes()

    st = weights.stat()  # the same bytes under a new mtime: the remembered entry no longer matches
    os.utime(weights, ns=(st.st_atime_ns, st.st_mtime_ns + 10**9))
    touched = run_cli(args, env=isolated_env)
    assert touched.returncode == 0, touched.stderr
    assert "loaded " in touched.stderr and "finished earlier" not in touched.stderr
    assert [p.name for p in (tmp_path / "out").iterdir()] == [run_dir.name]  # same bytes: the same run, resumed
    assert (run_dir / "metrics.json").read_bytes() == metrics
    assert "0 model calls" in touched.stdout and "2 resumed" in touched.stdout


def test_a_run_answered_from_the_cache_never_reads_the_weights(tmp_path, isolated_env, shared_data):
    args = ["run", "--tasks", TASKS[0], "--limit", "2", "--data-dir", str(shared_data), "--no-progress"]
    first = run_cli([*args, "--output", str(tmp_path / "a")], env=isolated_env)
    assert first.returncode == 0 and "loaded the weights of embedded:smollm2-135m-instruct" in first.stderr
    (run_a,) = (tmp_path / "a").iterdir()
    assert json.loads((run_a / "manifest.json").read_text())["timings"]["weights_load_s"] > 0
    # Another output directory: not finished there, but every answer is in the shared cache.
    second = run_cli([*args, "--output", str(tmp_path / "b")], env=isolated_env)
    assert second.returncode == 0, second.stderr
    assert "loaded embedded:smollm2-135m-instruct" in second.stderr and "loaded the weights" not in second.stderr
    (run_b,) = (tmp_path / "b").iterdir()
    manifest = json.loads((run_b / "manifest.json").read_text())
    assert manifest["timings"]["weights_load_s"] is None and manifest["counts"]["model_calls"] == 0
    assert run_b.name == run_a.name  # the same run id: the fingerprint did not need the weights
    assert (run_b / "metrics.json").read_text() == (run_a / "metrics.json").read_text()
