"""The new tasks end to end on the real embedded models and shared data (small --limit), and
re-scoring each run's samples.jsonl with `pluralbench score` gives the run's own numbers."""
import json

import pytest

from conftest import run_cli
from pluralbench.validation import validate_run_dir

pytestmark = [pytest.mark.model, pytest.mark.shared_data]
TASKS = ["steerable_valueprism", "steerable_opinionqa", "steerable_opinionqa_full", "distributional_moralchoice_small",
         "distributional_mpi"]
LIMIT = "12"


def assert_close(a, b, path="$"):
    """Equal up to float rounding (re-scoring renormalises stored distributions, moving ~1e-16)."""
    if isinstance(a, dict):
        assert isinstance(b, dict) and set(a) == set(b), path
        for k in a:
            assert_close(a[k], b[k], f"{path}.{k}")
    elif isinstance(a, list):
        assert isinstance(b, list) and len(a) == len(b), path
        for i, (x, y) in enumerate(zip(a, b)):
            assert_close(x, y, f"{path}[{i}]")
    elif isinstance(a, float) and isinstance(b, float):
        assert b == pytest.approx(a, abs=1e-9), path
    else:
        assert a == b, path


def load(run_dir, name):
    return json.loads((run_dir / name).read_text())


@pytest.fixture(scope="module")
def smollm2_runs(tmp_path_factory, shared_data):
    import os

    tmp = tmp_path_factory.mktemp("runs")
    env = dict(os.environ, PLURALBENCH_CACHE=str(tmp / "cache"), PYTHONUNBUFFERED="1")
    env.pop("PLURALBENCH_DATA", None)
    result = run_cli(["run", "--model", "embedded:smollm2-135m-instruct", "--tasks", ",".join(TASKS), "--limit", LIMIT,
                      "--data-dir", str(shared_data), "--output", str(tmp / "results"), "--no-progress"], env=env,
                     timeout=3600)  # about a minute on an idle 2-core machine; generous for a shared one
    assert result.returncode == 0, result.stderr
    dirs = {t: next(d for d in (tmp / "results").iterdir() if d.name.startswith(t + "__")) for t in TASKS}
    return dirs, env, tmp


def test_every_task_writes_a_valid_run(smollm2_runs):
    dirs, _, _ = smollm2_runs
    for task, run_dir in dirs.items():
        problems, facts = validate_run_dir(run_dir)
        assert problems == [] and facts["samples"] == int(LIMIT), (task, problems)
        manifest = load(run_dir, "manifest.json")
        assert manifest["elicitation"]["resolved"] == "chat"  # auto picks chat for SmolLM2
        metrics = load(run_dir, "metrics.json")
        head = metrics["overall"][metrics["headline"]]
        assert head["ci_low"] <= head["value"] <= head["ci_high"], task
        assert metrics["parameters"] == manifest["metric_parameters"]


def test_runs_record_what_the_numbers_need(smollm2_runs):
    dirs, _, _ = smollm2_runs
    vp = load(dirs["steerable_valueprism"], "metrics.json")
    assert set(vp["modes"]) == {"options", "generate"} and vp["primary_mode"] == "options"
    assert vp["parameters"]["generation"]["temperature"] == 0.0 and "parsing" in vp["parameters"]
    assert 0 < vp["overall"]["covered_mass"]["value"] <= 1
    sample = json.loads((dirs["steerable_valueprism"] / "samples.jsonl").read_text().splitlines()[0])
    assert isinstance(sample["modes"]["generate"]["text"], str) and sample["modes"]["options"]["covered_mass"] > 0

    oqa = load(dirs["steerable_opinionqa"], "metrics.json")
    assert set(oqa["styles"]) == {"QA", "BIO", "PORTRAY"}
    assert {"steering_gain_most_likely_match", "unsteered_js_distance"} <= set(oqa["overall"])
    assert all(b["best_style"] in oqa["styles"] for b in oqa["groups"]["group"].values())
    assert oqa["parameters"]["js_base"] == "2" and oqa["parameters"]["refusal_options"] == ["Refused"]
    full = load(dirs["steerable_opinionqa_full"], "metrics.json")
    assert set(full["groups"]["category"]) <= {"party", "ideology", "race", "education", "income", "region", "sex", "age"}
    assert full["baselines"]["population_marginal"]["ordinal_similarity"]["value"] is not None

    mc = load(dirs["distributional_moralchoice_small"], "metrics.json")
    assert mc["reference_distributions"]["kind"] == "synthetic"
    assert set(mc["groups"]["ambiguity"]) == {"high_ambiguity", "low_ambiguity"}
    assert mc["overall"]["entropy_auroc_high_vs_low"]["value"] is not None
    mpi = load(dirs["distributional_mpi"], "metrics.json")
    assert mpi["human_comparison"]["status"] == "skipped" and set(mpi["trait_profile"]) <= set("OCEAN")


def test_rescoring_samples_reproduces_the_run(smollm2_runs, shared_data):
    dirs, env, tmp = smollm2_runs
    for task, run_dir in dirs.items():
        result = run_cli(["score", "--task", task, "--predictions", str(run_dir / "samples.jsonl"), "--data-dir",
                          str(shared_data), "--output", str(tmp / "rescored")], env=env)
        assert result.returncode == 0, result.stderr
        rescored = next(d for d in (tmp / "rescored").iterdir() if d.name.startswith(task + "__"))
        assert validate_run_dir(rescored)[0] == []
        original, again = load(run_dir, "metrics.json"), load(rescored, "metrics.json")
        assert_close(original["overall"], again["overall"], task)
        assert_close(original["groups"], again["groups"], task)
        assert again["source"]["original_run"]["model"] == "embedded:smollm2-135m-instruct"
        assert again["elicitation"] == "chat"


def test_gemma_base_model_uses_completion(tmp_path, isolated_env, shared_data):
    result = run_cli(["run", "--model", "embedded:gemma3-270m", "--tasks", "steerable_opinionqa", "--limit", "6",
                      "--data-dir", str(shared_data), "--output", str(tmp_path / "results"), "--no-progress"],
                     env=isolated_env, timeout=3600)
    assert result.returncode == 0, result.stderr
    (run_dir,) = list((tmp_path / "results").iterdir())
    assert validate_run_dir(run_dir)[0] == []
    assert load(run_dir, "manifest.json")["elicitation"]["resolved"] == "completion"
    metrics = load(run_dir, "metrics.json")
    assert metrics["elicitation"] == "completion" and 0 < metrics["coverage"]["mean"] <= 1
