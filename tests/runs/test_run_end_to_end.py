"""`pluralbench run` end to end on the real embedded model and the shared GlobalOpinionQA data."""
import json
from pathlib import Path

import pytest

from conftest import run_cli
from pluralbench.validation import validate_run_dir

pytestmark = [pytest.mark.model, pytest.mark.shared_data]
TASK = "distributional_globalopinionqa"


def run_once(tmp_path, env, shared_data, *extra, output="results"):
    args = ["run", "--model", "embedded:smollm2-135m-instruct", "--tasks", TASK, "--limit", "20",
            "--data-dir", str(shared_data), "--output", str(tmp_path / output), "--no-progress", *extra]
    result = run_cli(args, env=env)
    assert result.returncode == 0, result.stderr
    run_dirs = sorted((tmp_path / output).iterdir())
    return result, run_dirs


def manifest(run_dir: Path) -> dict:
    return json.loads((run_dir / "manifest.json").read_text())


def test_run_writes_a_valid_run_directory_and_reruns_for_free(tmp_path, isolated_env, shared_data):
    first, dirs = run_once(tmp_path, isolated_env, shared_data)
    assert len(dirs) == 1
    run_dir = dirs[0]
    problems, facts = validate_run_dir(run_dir)
    assert problems == [] and facts["samples"] == 20
    validated = run_cli(["validate", str(run_dir)], env=isolated_env)
    assert validated.returncode == 0 and "valid run directory" in validated.stdout

    m = manifest(run_dir)
    assert m["status"] == "complete" and m["elicitation"]["resolved"] == "chat"
    assert m["counts"]["model_calls"] == m["counts"]["unique_requests"] > 0
    assert m["data"]["items_used"] == 20 and m["data"]["items_total"] == 5752
    assert m["environment"]["packages"]["torch"].startswith("2.13.0")
    assert m["metric_parameters"]["bootstrap"]["resamples"] == 1000

    metrics = json.loads((run_dir / "metrics.json").read_text())
    jsd = metrics["overall"]["jsd_base2"]
    assert 0 <= jsd["ci_low"] <= jsd["value"] <= jsd["ci_high"] <= 1
    assert {"uniform", "marginal_loo", "shuffled"} <= set(metrics["baselines"])
    assert metrics["groups"]["country"]
    assert 0 < metrics["coverage"]["mean"] <= 1
    samples = [json.loads(line) for line in (run_dir / "samples.jsonl").read_text().splitlines()]
    assert [s["id"] for s in samples[:2]] == ["16311", "2999"]  # file order, deterministic

    # The same command again: answered from the run directory without loading the model; nothing moves.
    before = {p.name: p.read_bytes() for p in run_dir.iterdir() if p.is_file()}
    second, _ = run_once(tmp_path, isolated_env, shared_data)
    assert {p.name: p.read_bytes() for p in run_dir.iterdir() if p.is_file()} == before
    assert "0 model calls" in second.stdout and str(run_dir) in second.stdout
    assert "loaded embedded" not in second.stderr and "finished earlier" in second.stderr

    # A new output directory shares the response cache: zero model calls, all cache hits.
    _, other = run_once(tmp_path, isolated_env, shared_data, output="elsewhere")
    m3 = manifest(other[0])
    assert m3["counts"]["model_calls"] == 0 and m3["counts"]["cache_hits"] == m["counts"]["unique_requests"]
    assert json.loads((other[0] / "metrics.json").read_text())["overall"] == metrics["overall"]


def test_changing_elicitation_or_dtype_misses_the_cache(tmp_path, isolated_env, shared_data):
    _, dirs = run_once(tmp_path, isolated_env, shared_data, "--limit", "4")
    _, dirs = run_once(tmp_path, isolated_env, shared_data, "--limit", "4", "--elicitation", "completion",
                       output="completion")
    m = manifest(dirs[0])
    assert m["elicitation"]["resolved"] == "completion"
    assert m["counts"]["cache_hits"] == 0 and m["counts"]["model_calls"] == m["counts"]["unique_requests"]
    args = ["run", "--model", "embedded:smollm2-135m-instruct,dtype=bfloat16", "--tasks", TASK, "--limit", "4",
            "--data-dir", str(shared_data), "--output", str(tmp_path / "bf16"), "--no-progress"]
    result = run_cli(args, env=isolated_env)
    assert result.returncode == 0, result.stderr
    m = manifest(next((tmp_path / "bf16").iterdir()))
    assert m["model"]["fingerprint"]["dtype"] == "bfloat16" and m["counts"]["cache_hits"] == 0


def test_a_thread_count_does_not_make_another_run(tmp_path, isolated_env, shared_data):
    """threads=N changes speed, not the model: the same run directory, resumed, and the same model name."""
    _, dirs = run_once(tmp_path, isolated_env, shared_data, "--limit", "3")
    args = ["run", "--model", "embedded:smollm2-135m-instruct,threads=1", "--tasks", TASK, "--limit", "3",
            "--data-dir", str(shared_data), "--output", str(tmp_path / "results"), "--no-progress"]
    result = run_cli(args, env=isolated_env)
    assert result.returncode == 0, result.stderr
    assert sorted((tmp_path / "results").iterdir()) == dirs
    # The finished run is found (and answered without a model load) under the thread count's spec too.
    assert "finished earlier" in result.stderr and str(dirs[0]) in result.stdout
    assert manifest(dirs[0])["model"]["spec"] == "embedded:smollm2-135m-instruct"
