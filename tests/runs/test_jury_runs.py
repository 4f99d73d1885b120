"""The six jury and trade-off tasks through `pluralbench run` on the real embedded models (small limits)."""
import json
from pathlib import Path

import pytest

from conftest import run_cli
from pluralbench.validation import validate_run_dir

pytestmark = [pytest.mark.model, pytest.mark.shared_data]
TASKS = ["jury_polis", "jury_social_choice", "jury_popquorn", "jury_countries", "tradeoff_countries", "tradeoff_values"]


def run(tmp_path, env, shared_data, model, tasks, limit, output):
    args = ["run", "--model", model, "--tasks", ",".join(tasks), "--limit", str(limit), "--data-dir", str(shared_data),
            "--output", str(tmp_path / output), "--no-progress"]
    result = run_cli(args, env=env)
    assert result.returncode == 0, result.stderr
    dirs = {json.loads((d / "manifest.json").read_text())["task"]["name"]: d for d in (tmp_path / output).iterdir()}
    assert set(dirs) == set(tasks)
    for d in dirs.values():
        problems, facts = validate_run_dir(d)
        assert problems == [] and facts["samples"] == limit
    return dirs


def metrics(d: Path) -> dict:
    return json.loads((d / "metrics.json").read_text())


def test_all_six_tasks_on_smollm2(tmp_path, isolated_env, shared_data):
    dirs = run(tmp_path, isolated_env, shared_data, "embedded:smollm2-135m-instruct", TASKS, 2, "smol")

    polis = metrics(dirs["jury_polis"])
    assert polis["headline"] == "groups_egalitarian_normalised"
    stats = polis["welfare"]["jurors"]["utilitarian"]
    for s in ("model", "random", "best", "worst"):
        assert 0.1 <= stats[s]["value"] <= 1.0
    assert stats["worst"]["value"] <= stats["model"]["value"] <= stats["best"]["value"]
    assert set(polis["juries"]) == {"15-per-hour-seattle", "brexit-consensus"}  # round 0 of the first two juries
    assert polis["elicitation"] == "chat" and polis["coverage"]["mean"] > 0.3

    popquorn = metrics(dirs["jury_popquorn"])
    groups = popquorn["groups"]["demographic_group"]
    eligible = {g for g, v in groups.items() if v["metrics"]["utility"]["n"] >= popquorn["served_groups_min_n"]}
    assert groups and set(popquorn["worst_served_groups"]) == set(popquorn["best_served_groups"]) == eligible == set()
    w = popquorn["welfare"]["model"]["per_item"]
    assert w["egalitarian"]["value"] <= w["harmonic"]["value"] <= w["nash"]["value"] <= w["utilitarian"]["value"]

    countries = metrics(dirs["jury_countries"])
    assert set(countries["rankings"]["by_welfare"]) == {"utilitarian", "nash", "harmonic", "egalitarian"}

    for name in ("tradeoff_countries", "tradeoff_values"):
        m = metrics(dirs[name])
        assert len(m["tradeoff"]["matrix"]) == 5 and all(len(r) == 5 for r in m["tradeoff"]["matrix"])
        manifest = json.loads((dirs[name] / "manifest.json").read_text())
        prompt = manifest["metric_parameters"]["steering_prompt"]
        assert prompt["name"] in ("mixture", "weighted")
        assert "{pct_a}" in prompt["template"] or "{first_pct}" in prompt["template"]
        assert manifest["counts"]["unique_requests"] == 10  # 2 items x 5 steering weights
    assert "mixture_jsd" in metrics(dirs["tradeoff_countries"])["overall"]

    # jury_countries asks the same prompts as the distributional task: a run of it now hits the cache
    again = run_cli(["run", "--tasks", "distributional_globalopinionqa", "--limit", "1", "--data-dir", str(shared_data),
                     "--output", str(tmp_path / "goqa"), "--no-progress"], env=isolated_env)
    assert again.returncode == 0 and "1 cache hits" in again.stdout


def test_tradeoff_values_and_jury_countries_on_gemma(tmp_path, isolated_env, shared_data):
    dirs = run(tmp_path, isolated_env, shared_data, "embedded:gemma3-270m", ["tradeoff_values", "jury_countries"], 1,
               "gemma")
    m = metrics(dirs["tradeoff_values"])
    assert m["elicitation"] == "completion"
    assert m["counts"]["scored"] == 1
    assert metrics(dirs["jury_countries"])["counts"]["scored"] == 1
