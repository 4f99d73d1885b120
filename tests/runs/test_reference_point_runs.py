"""Every distributional and steerable family's metrics.json carries tv, the SimBench-style score and the
human reference points, on real model answers: the golden runs' stored SmolLM2 samples, re-scored with
`pluralbench score` (no model call), checked against independent numpy and the results schema."""
import json

import numpy as np
import pytest

from conftest import run_cli
from pluralbench.validation import validate_run_dir

pytestmark = pytest.mark.shared_data
GOLDEN = "tests/golden/outputs"


def rescore(tmp_path, env, task):
    result = run_cli(["score", "--task", task, "--predictions", f"{GOLDEN}/{task}/samples.jsonl",
                      "--output", str(tmp_path / "out")], env=env)
    assert result.returncode == 0, result.stderr
    (run_dir,) = [d for d in (tmp_path / "out").iterdir() if d.name.startswith(task + "__")]
    problems, _ = validate_run_dir(run_dir)  # metrics.json against its schema, reference_points included
    assert problems == []
    metrics = json.loads((run_dir / "metrics.json").read_text())
    samples = [json.loads(line) for line in (run_dir / "samples.jsonl").read_text().splitlines()]
    return metrics, samples


def numpy_tv(p, q):
    p, q = np.asarray(p, float), np.asarray(q, float)
    return 0.5 * np.abs(p / p.sum() - q / q.sum()).sum()


@pytest.mark.parametrize("task", ["distributional_globalopinionqa", "distributional_moralchoice_small"])
def test_multiple_choice_tv_simbench_match_and_bounds(tmp_path, isolated_env, shared_data, task):
    isolated_env["PLURALBENCH_DATA"] = str(shared_data)
    metrics, samples = rescore(tmp_path, isolated_env, task)
    scored = [s for s in samples if s.get("model_distribution")]
    humans = [np.asarray(s["human_distribution"], float) for s in scored]
    tv = np.array([numpy_tv(s["model_distribution"], s["human_distribution"]) for s in scored])
    norm = np.mean([numpy_tv(h, np.ones(len(h))) for h in humans])
    match = np.mean([np.argmax(s["model_distribution"]) == np.argmax(s["human_distribution"]) for s in scored])
    overall = metrics["overall"]
    assert overall["tv"]["value"] == pytest.approx(tv.mean(), abs=1e-12)
    assert overall["simbench_score"]["value"] == pytest.approx(np.mean(100 * (1 - tv / norm)), abs=1e-9)
    assert overall["most_likely_match"]["value"] == pytest.approx(match, abs=1e-12)
    assert overall["tv"]["ci_low"] <= overall["tv"]["value"] <= overall["tv"]["ci_high"]
    group = next(iter(metrics["groups"].values()))
    assert all("tv" in g["metrics"] and "simbench_score" in g["metrics"] for g in group.values())

    points = metrics["reference_points"]
    headline = metrics["headline"]
    assert {headline, "tv", "simbench_score", "most_likely_match"} <= set(points)
    # No counts in these files and no read-out resolution for re-scored predictions: the bounds only.
    assert set(points["tv"]) == {"uniform", "modal", "least_chosen"}
    modal = np.mean([numpy_tv(np.eye(len(h))[np.argmax(h)], h) for h in humans])
    least = np.mean([numpy_tv(np.eye(len(h))[np.argmin(h)], h) for h in humans])
    assert points["tv"]["modal"]["value"] == pytest.approx(modal, abs=1e-12)
    assert points["tv"]["least_chosen"]["value"] == pytest.approx(least, abs=1e-12)
    assert points["simbench_score"]["uniform"]["value"] == pytest.approx(0.0, abs=1e-9)  # SimBench's zero
    assert points["most_likely_match"]["modal"]["value"] == 1.0
    assert points["most_likely_match"]["least_chosen"]["value"] == pytest.approx(
        np.mean([np.argmin(h) == np.argmax(h) for h in humans]))


def test_assumed_respondents_are_labelled_as_an_assumption(tmp_path, isolated_env, shared_data):
    task = tmp_path / "goqa_assumed.yaml"
    task.write_text("include: distributional_globalopinionqa\nname: goqa_assumed\nversion: 1\n"
                    "params:\n  assumed_respondents: 1000\n")
    isolated_env["PLURALBENCH_DATA"] = str(shared_data)
    metrics, _ = rescore_path(tmp_path, isolated_env, task, "distributional_globalopinionqa")
    floor = metrics["reference_points"]["tv"]["sampling_floor"]
    assert floor["respondents"].startswith("assumed: 1000 per row")
    assert 0 < floor["value"] < metrics["reference_points"]["tv"]["uniform"]["value"]


def rescore_path(tmp_path, env, task_file, golden_task):
    result = run_cli(["score", "--task", str(task_file), "--predictions", f"{GOLDEN}/{golden_task}/samples.jsonl",
                      "--output", str(tmp_path / "out")], env=env)
    assert result.returncode == 0, result.stderr
    (run_dir,) = list((tmp_path / "out").iterdir())
    return json.loads((run_dir / "metrics.json").read_text()), run_dir


@pytest.mark.parametrize("task", ["steerable_opinionqa_full", "steerable_nyt_books"])
def test_steerable_reports_the_survey_sampling_floor(tmp_path, isolated_env, shared_data, task):
    isolated_env["PLURALBENCH_DATA"] = str(shared_data)
    metrics, samples = rescore(tmp_path, isolated_env, task)
    assert {"tv", "simbench_score"} <= set(metrics["overall"])
    for style in metrics["styles"].values():
        assert {"tv", "simbench_score"} <= set(style)
    points = metrics["reference_points"]
    headline = metrics["headline"]
    assert set(points[headline]) >= {"uniform", "modal", "least_chosen", "sampling_floor"}
    floor = points["tv"]["sampling_floor"]
    assert floor["respondents"] == "from the data"
    # Respondents counts are in the hundreds: the floor is small, far under the uniform guess.
    assert 0 < floor["value"] < points["tv"]["uniform"]["value"]
    # Each sample's best-style tv equals numpy's.
    for s in samples:
        if s.get("metrics") and s["metrics"].get("best_style"):
            answer = s["styles"][s["metrics"]["best_style"]]
            assert s["metrics"]["tv"] == pytest.approx(numpy_tv(answer["model_distribution"],
                                                                s["human_distribution"]), abs=1e-12)


@pytest.mark.model
def test_jury_distributions_report_tv_and_per_rater_floors(tmp_path, isolated_env, shared_data):
    """The golden runs' stored SmolLM2 answers (zero model calls) for the three distribution juries."""
    tasks = ["jury_popquorn", "jury_nyt_books", "jury_countries"]
    result = golden_run(tmp_path, isolated_env, shared_data, tasks)
    assert "human reference points (utilitarian): uniform" in result.stdout
    for task in tasks:
        (run_dir,) = (tmp_path / "runs").glob(task + "__*")
        assert validate_run_dir(run_dir)[0] == []
        metrics = json.loads((run_dir / "metrics.json").read_text())
        samples = [json.loads(line) for line in (run_dir / "samples.jsonl").read_text().splitlines()]
        assert json.loads((run_dir / "manifest.json").read_text())["counts"]["model_calls"] == 0
        # Per juror: tv of the model against the juror's own distribution, as numpy computes it.
        groups = next(iter(metrics["groups"].values()))
        juror = sorted(groups)[0]
        tvs = [numpy_tv(s["model_distribution"], s["human_distributions"][juror]) for s in samples
               if juror in (s.get("human_distributions") or {})]
        assert groups[juror]["metrics"]["tv"]["value"] == pytest.approx(np.mean(tvs), abs=1e-12)
        points = metrics["reference_points"]
        assert points["utilitarian"]["uniform"]["value"] == pytest.approx(
            metrics["baselines"]["uniform"]["utilitarian"]["value"], abs=1e-12)  # the uniform baseline, again
        assert "sampling_floor" not in points["utilitarian"]  # welfare has none (docs/reference-points.md)
        per_rater = task != "jury_countries"  # country juries hold survey shares, no raters
        assert ("split_half" in points["tv"]) == per_rater and ("sampling_floor" in points["tv"]) == per_rater
        if per_rater:
            assert 0 < points["tv"]["sampling_floor"]["value"] < points["tv"]["split_half"]["value"]


def golden_run(tmp_path, env, data, tasks, limit=4):
    """`pluralbench run` of the golden plan's tasks from its stored SmolLM2 answers."""
    from golden.golden import ANSWERS, load_answers

    cache = tmp_path / "cache"
    load_answers(ANSWERS, cache)
    result = run_cli(["run", "--tasks", ",".join(tasks), "--limit", str(limit), "--model",
                      "embedded:smollm2-135m-instruct", "--seed", "0", "--data-dir", str(data), "--output",
                      str(tmp_path / "runs"), "--cache-dir", str(cache), "--no-progress"], env=env)
    assert result.returncode == 0, result.stderr
    return result


@pytest.mark.model
def test_tradeoff_mixture_distances_and_their_reference_points(tmp_path, isolated_env, shared_data):
    golden_run(tmp_path, isolated_env, shared_data, ["tradeoff_countries", "tradeoff_values"])
    (countries,) = (tmp_path / "runs").glob("tradeoff_countries__*")
    metrics = json.loads((countries / "metrics.json").read_text())
    samples = [json.loads(line) for line in (countries / "samples.jsonl").read_text().splitlines()]
    assert validate_run_dir(countries)[0] == []
    # Targets: w * p_A + (1 - w) * p_B of the two countries, as the sample's matrix was made from.
    from pluralbench.taskfile import get_task
    from pluralbench.data import LoadContext, load_task_data

    task = get_task("tradeoff_countries")
    loaded = load_task_data(task.data, LoadContext(shared_data, task.prompt.get("template")))
    items = {it["id"]: it for it in loaded.items}
    per_item = []
    for s in samples:
        pa, pb = (np.asarray(o["target"]) for o in items[s["id"]]["objectives"])
        per_item.append(np.mean([numpy_tv(s["model_distributions"][f"{w:g}"], w * pa + (1 - w) * pb)
                                 for w in (0.0, 0.25, 0.5, 0.75, 1.0)]))
    assert metrics["overall"]["mixture_tv"]["value"] == pytest.approx(np.mean(per_item), abs=1e-12)
    points = metrics["reference_points"]
    assert set(points) == {"mixture_jsd", "mixture_tv", "mixture_simbench_score"}
    assert points["mixture_simbench_score"]["uniform"]["value"] == pytest.approx(0.0, abs=1e-9)
    (values,) = (tmp_path / "runs").glob("tradeoff_values__*")  # agree-option objectives: no distributions
    assert "reference_points" not in json.loads((values / "metrics.json").read_text())
