"""docs/extending.md's four worked examples, each installed as a plugin and run through the real CLI.

Every file the document shows under a name (a line holding `path`: right above a fenced block) is taken
from the document itself, so the document cannot drift from what is tested. A project's files are laid
out as an installed distribution: its modules next to a `NAME-0.1.dist-info/` folder whose METADATA and
entry_points.txt come from the project's pyproject.toml, on PYTHONPATH, where importlib.metadata finds it
exactly as it finds a pip-installed wheel (nothing is installed into the shared environment).
"""
import ast
import json
import math
import os
import re
import tomllib
from pathlib import Path

import numpy as np
import pytest
import yaml
from scipy.spatial.distance import jensenshannon

import pluralbench
from conftest import REPO, assert_user_error, run_cli

DOC = REPO / "docs" / "extending.md"
MODEL = "embedded:smollm2-135m-instruct"
SHOWN_FILE = re.compile(r"^`(?P<path>[^`\s]+)`:\n```[a-z]*\n(?P<text>.*?)^```$", re.MULTILINE | re.DOTALL)
MEISTER = "globalopinionqa/meister_global_values_100.json"


def doc_files() -> dict[str, str]:
    """Path -> text of every file docs/extending.md shows."""
    files: dict[str, str] = {}
    for shown in SHOWN_FILE.finditer(DOC.read_text(encoding="utf-8")):
        assert shown["path"] not in files, f"docs/extending.md shows {shown['path']} twice"
        files[shown["path"]] = shown["text"]
    return files


def install(project: str, site: Path) -> None:
    """Lay out the document's project directory `project` under `site` as an installed distribution."""
    files = {path.removeprefix(project + "/"): text for path, text in doc_files().items()
             if path.startswith(project + "/")}
    meta = tomllib.loads(files.pop("pyproject.toml"))["project"]
    for relative, text in files.items():
        (site / relative).parent.mkdir(parents=True, exist_ok=True)
        (site / relative).write_text(text, encoding="utf-8")
    dist = site / f"{meta['name'].replace('-', '_')}-{meta['version']}.dist-info"
    dist.mkdir()
    (dist / "METADATA").write_text(f"Metadata-Version: 2.1\nName: {meta['name']}\nVersion: {meta['version']}\n")
    (dist / "entry_points.txt").write_text("".join(
        f"[{group}]\n" + "".join(f"{name} = {target}\n" for name, target in points.items()) + "\n"
        for group, points in meta["entry-points"].items()))


@pytest.fixture
def site(tmp_path) -> Path:
    path = tmp_path / "site"
    path.mkdir()
    return path


@pytest.fixture
def env(site, isolated_env) -> dict:
    """The plugin's site directory first, then this checkout's pluralbench (not whichever is installed)."""
    checkout = str(Path(pluralbench.__file__).resolve().parent.parent)
    return isolated_env | {"PYTHONPATH": os.pathsep.join([str(site), checkout])}


def cli(args: list[str], env: dict) -> str:
    result = run_cli(args, env=env)
    assert result.returncode == 0, result.stderr
    return result.stdout


def run_task(env: dict, output: Path, *args: str) -> tuple[dict, list[dict], dict]:
    """(metrics.json, samples.jsonl rows, manifest.json) of one `run --limit 3` into a fresh output directory."""
    cli(["run", *args, "--limit", "3", "--output", str(output), "--no-progress"], env)
    [run_dir] = output.iterdir()
    samples = [json.loads(line) for line in (run_dir / "samples.jsonl").read_text().splitlines()]
    return (json.loads((run_dir / "metrics.json").read_text()), samples,
            json.loads((run_dir / "manifest.json").read_text()))


def js_distance(p, q) -> float:
    return float(jensenshannon(p, q, base=2))


def test_the_document_shows_each_example_file_once_and_each_is_installed_below():
    assert set(doc_files()) == {
        "pb-goqa-tasks/pb_goqa_tasks/goqa_modal_match.yaml", "pb-goqa-tasks/pb_goqa_tasks/__init__.py",
        "pb-goqa-tasks/pyproject.toml",
        "pb-meister/pb_meister/__init__.py", "pb-meister/pb_meister/meister_global_values.yaml",
        "pb-meister/pyproject.toml",
        "pb-hellinger/pb_hellinger.py", "pb-hellinger/pyproject.toml", "goqa_hellinger.yaml",
        "pb-fixed-model/pb_fixed_model.py", "pb-fixed-model/pyproject.toml",
    }


@pytest.mark.model
@pytest.mark.shared_data
def test_a_task_file_runs_by_path_and_from_an_installed_task_package(tmp_path, site, env, shared_data):
    install("pb-goqa-tasks", site)
    assert re.search(r"^ +goqa_modal_match +v1 +How often the model's most likely", cli(["tasks"], env), re.MULTILINE)
    data = ["--model", MODEL, "--data-dir", str(shared_data)]
    metrics, samples, _ = run_task(env, tmp_path / "by_path", *data, "--tasks",
                                   str(site / "pb_goqa_tasks" / "goqa_modal_match.yaml"))
    by_name = run_task(env, tmp_path / "by_name", *data, "--tasks", "goqa_modal_match")
    assert by_name[:2] == (metrics, samples)  # one task file, whichever way it is named
    assert by_name[2]["counts"]["model_calls"] == 0  # and the same requests: all answered from the cache

    assert metrics["headline"] == "modal_match" and set(metrics["baselines"]) == {"uniform", "shuffled"}
    modal = [float(np.argmax(s["model_distribution"]) == np.argmax(s["human_distribution"])) for s in samples]
    assert [s["metrics"]["modal_match"] for s in samples] == modal
    assert metrics["overall"]["modal_match"]["value"] == pytest.approx(np.mean(modal), abs=1e-12)
    divergences = [js_distance(s["model_distribution"], s["human_distribution"]) ** 2 for s in samples]
    assert [s["metrics"]["jsdiv_base2"] for s in samples] == pytest.approx(divergences, abs=1e-12)


@pytest.mark.model
@pytest.mark.shared_data
def test_b_a_data_format_plugin_reads_a_file_shape_pluralbench_does_not_know(tmp_path, site, env, shared_data):
    install("pb-meister", site)
    assert re.search(r"^ +meister_global_values +v1 ", cli(["tasks"], env), re.MULTILINE)
    metrics, samples, manifest = run_task(env, tmp_path / "out", "--model", MODEL, "--data-dir", str(shared_data),
                                          "--tasks", "meister_global_values")

    task = yaml.safe_load(doc_files()["pb-meister/pb_meister/meister_global_values.yaml"])
    countries = task["data"]["options"]["countries"]
    source = json.loads((shared_data / MEISTER).read_text(encoding="utf-8"))
    pairs = [(f"{row}:{country}", answers, country) for row, answers in enumerate(source.values())
             for country in answers["countries"] if country in countries]
    assert manifest["data"]["checks"] == {"questions": 100, "pairs": len(pairs)}
    for sample, (item_id, answers, country) in zip(samples, pairs[:3], strict=True):
        assert (sample["id"], sample["group"]) == (item_id, country)
        assert sample["options"] == ast.literal_eval(answers["MC_options"])
        gold = np.asarray(answers[country]) / math.fsum(answers[country])
        assert sample["human_distribution"] == pytest.approx(gold, abs=1e-12)
    distances = [js_distance(s["model_distribution"], s["human_distribution"]) for s in samples]
    assert metrics["overall"]["jsd_base2"]["value"] == pytest.approx(np.mean(distances), abs=1e-12)
    assert set(metrics["groups"]["country"]) <= set(countries)


def hellinger(p, q) -> float:
    """Written differently from the plugin's: ||sqrt p - sqrt q|| / sqrt 2."""
    return float(np.linalg.norm(np.sqrt(p) - np.sqrt(q)) / math.sqrt(2))


@pytest.mark.model
@pytest.mark.shared_data
def test_c_a_metric_plugin_is_named_in_a_task_files_metrics(tmp_path, site, env, shared_data):
    install("pb-hellinger", site)
    task = tmp_path / "goqa_hellinger.yaml"
    task.write_text(doc_files()["goqa_hellinger.yaml"], encoding="utf-8")
    metrics, samples, _ = run_task(env, tmp_path / "out", "--model", MODEL, "--data-dir", str(shared_data),
                                   "--tasks", str(task))

    values = [hellinger(s["model_distribution"], s["human_distribution"]) for s in samples]
    assert [s["metrics"]["hellinger"] for s in samples] == pytest.approx(values, abs=1e-12)
    assert metrics["headline"] == "hellinger"
    overall = metrics["overall"]["hellinger"]
    assert overall["value"] == pytest.approx(np.mean(values), abs=1e-12) and overall["direction"] == "lower"
    uniform = [hellinger(np.full(len(s["options"]), 1 / len(s["options"])), s["human_distribution"]) for s in samples]
    assert metrics["baselines"]["uniform"]["hellinger"]["value"] == pytest.approx(np.mean(uniform), abs=1e-12)


@pytest.mark.shared_data
def test_d_a_model_backend_plugin_answers_through_the_adapter_protocol(tmp_path, site, env, shared_data):
    install("pb-fixed-model", site)
    assert re.search(r"^ +fixed +Plumbing example", cli(["models"], env), re.MULTILINE)
    metrics, samples, manifest = run_task(env, tmp_path / "out", "--model", "fixed:x", "--data-dir", str(shared_data),
                                          "--tasks", "distributional_globalopinionqa", "--no-cache")

    assert manifest["model"]["fingerprint"] == {"weights": "fixed:x", "ratio": 0.5, "engine": "pb_fixed_model 0.1"}
    for sample in samples:
        k = len(sample["options"])
        fixed = 0.5 ** np.arange(k)
        assert sample["model_distribution"] == pytest.approx(fixed / fixed.sum(), abs=1e-12)
        assert sample["covered_mass"] == pytest.approx(1 - 0.5 ** k, abs=1e-12)
        assert sample["metrics"]["jsd_base2"] == pytest.approx(js_distance(fixed, sample["human_distribution"]),
                                                               abs=1e-12)
    assert metrics["overall"]["jsd_base2"]["value"] == pytest.approx(
        np.mean([s["metrics"]["jsd_base2"] for s in samples]), abs=1e-12)

    refused = run_cli(["run", "--model", "fixed:x,ratio=2", "--tasks", "distributional_globalopinionqa",
                       "--limit", "3", "--data-dir", str(shared_data), "--output", str(tmp_path / "bad")], env=env)
    assert_user_error(refused, "ratio=2.0 must lie strictly between 0 and 1")
