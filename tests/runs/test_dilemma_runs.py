"""Both DailyDilemmas tasks end to end on the embedded SmolLM2 (small --limit): valid run directories,
and metrics.json's numbers recomputed here, independently, from samples.jsonl and the data."""
from __future__ import annotations

import json
import os

import numpy as np
import pytest

from conftest import run_cli
from pluralbench.data.daily_dilemmas import FRAMEWORKS, load_daily_dilemmas_actions
from pluralbench.taskfile import get_task
from pluralbench.validation import validate_run_dir

pytestmark = [pytest.mark.model, pytest.mark.shared_data]
TASKS = ("dailydilemmas_actions", "dailydilemmas_principles")
LIMIT = 6  # the actions file's first 6 dilemmas hold the 4 with per-action values; the first principle's 6 pairs


@pytest.fixture(scope="module")
def runs(tmp_path_factory, shared_data):
    tmp = tmp_path_factory.mktemp("dilemma_runs")
    env = dict(os.environ, PLURALBENCH_CACHE=str(tmp / "cache"), PYTHONUNBUFFERED="1")
    env.pop("PLURALBENCH_DATA", None)
    result = run_cli(["run", "--model", "embedded:smollm2-135m-instruct,threads=1", "--tasks", "dilemmas", "--limit",
                      str(LIMIT), "--data-dir", str(shared_data), "--output", str(tmp / "results"), "--no-progress"],
                     env=env, timeout=3600)
    assert result.returncode == 0, result.stderr
    out = {}
    for task in TASKS:
        run_dir = next(d for d in (tmp / "results").iterdir() if d.name.startswith(task + "__"))
        problems, facts = validate_run_dir(run_dir)
        assert problems == [] and facts["samples"] == LIMIT, (task, problems)
        out[task] = (json.loads((run_dir / "metrics.json").read_text()),
                     [json.loads(line) for line in (run_dir / "samples.jsonl").read_text().splitlines()],
                     json.loads((run_dir / "manifest.json").read_text()))
    return out


def p_to_do(orders: dict) -> tuple[float, float]:
    """(P(to do) listed first, listed second) from a sample's two orders."""
    return orders["to_do_first"]["model_distribution"][0], orders["not_to_do_first"]["model_distribution"][1]


def test_actions_numbers_from_the_samples(runs):
    metrics, samples, manifest = runs["dailydilemmas_actions"]
    assert manifest["elicitation"]["resolved"] == "chat" and manifest["counts"]["requests"] == 2 * LIMIT
    pairs = np.asarray([p_to_do(s["orders"]) for s in samples])
    assert all(s["orders"]["to_do_first"]["options"][0] == "Yes, do it (to do)" for s in samples)
    overall = metrics["overall"]
    assert overall["p_to_do"]["value"] == pytest.approx(pairs.mean())
    assert overall["position_bias"]["value"] == pytest.approx((pairs[:, 0] - pairs[:, 1]).mean())
    p = pairs.mean(axis=1)
    entropy = -(p * np.log2(p) + (1 - p) * np.log2(1 - p))
    assert overall["entropy"]["value"] == pytest.approx(entropy.mean())
    for block in overall.values():
        assert block["ci_low"] <= block["value"] <= block["ci_high"] and block["n"] == LIMIT
    assert metrics["headline"] == "p_to_do" and set(metrics["groups"]["topic_group"]) == {
        "workplace", "issue_young_people", "event_daily_life", "event_special"}
    assert metrics["counts"]["with_action_values"] == 4 and "4 of the 6 scored dilemmas" in metrics["notes"][0]


def test_value_preferences_from_the_samples(runs, shared_data):
    """Selected minus neglected occurrences of each dimension, weighted by the sample's P(to do), over
    occurrences: counted here label by label from the loaded actions."""
    metrics, samples, _ = runs["dailydilemmas_actions"]
    items = {it["id"]: it for it in load_daily_dilemmas_actions(shared_data / "daily_dilemmas", {}).items}
    weight_sums: dict = {}
    for sample in samples:
        p = float(np.mean(p_to_do(sample["orders"])))
        for action, side in (items[sample["id"]]["actions"] or {}).items():
            chosen = p if action == "to_do" else 1 - p
            for framework in FRAMEWORKS:
                for label in filter(None, side["frameworks"][framework]):
                    total = weight_sums.setdefault((framework, label), [0.0, 0])
                    total[0] += chosen - (1 - chosen)
                    total[1] += 1
    found = {(f, d): block for f, dims in metrics["value_preferences"]["model"].items() for d, block in dims.items()}
    assert set(found) == set(weight_sums)
    for key, (net, count) in weight_sums.items():
        assert found[key]["value"] == pytest.approx(net / count) and found[key]["occurrences"] == count
    gpt4 = metrics["value_preferences"]["recorded"]["gpt-4"]
    assert gpt4["dilemmas"] == 4 and gpt4["p_to_do"]["value"] == 1.0  # GPT-4 chose "to do" in all four


@pytest.mark.parametrize("task_name", ["dailydilemmas_actions", "dailydilemmas_principles"])
def test_headline_metric_is_what_metrics_json_states(runs, task_name):
    """docs/tasks.md lists each task's headline from its family; the run's metrics.json states the same."""
    metrics = runs[task_name][0]
    task = get_task(task_name)
    headline = metrics["headline"]
    assert task.family_impl().headline_metric(task) == (headline, metrics["overall"][headline].get("direction"))


def test_principles_numbers_from_the_samples(runs):
    metrics, samples, manifest = runs["dailydilemmas_principles"]
    assert manifest["counts"]["requests"] == 6 * LIMIT
    rows = []
    for s in samples:
        p = {c: float(np.mean(p_to_do(s["conditions"][c]["orders"]))) for c in ("unsteered", "supporting", "opposing")}
        if s["supporting_action"] == "not_to_do":
            p = {c: 1 - v for c, v in p.items()}
        rows.append([p["supporting"] - p["opposing"], p["unsteered"], p["supporting"], p["opposing"]])
        assert s["conditions"]["unsteered"]["system_sha256"] is None and s["conditions"]["supporting"]["system_sha256"]
    rows = np.asarray(rows)
    overall = metrics["overall"]
    assert overall["steerability"]["value"] == pytest.approx(rows[:, 0].mean())
    assert overall["p_supporting_unsteered"]["value"] == pytest.approx(rows[:, 1].mean())
    assert overall["p_supporting_under_supporting_prompt"]["value"] == pytest.approx(rows[:, 2].mean())
    assert list(metrics["groups"]["principle"]) == ["Follow the chain of command"]
    recorded = [s["recorded"]["gpt-4"] for s in samples]
    reference = metrics["reference"]["gpt-4"]["overall"]
    assert reference["steerability"]["value"] == pytest.approx(np.mean(
        [(r["supporting_prompt"] == s["supporting_action"]) - (r["opposing_prompt"] == s["supporting_action"])
         for r, s in zip(recorded, samples)]))
    assert metrics["reference"]["gpt-4"]["items"] == LIMIT

