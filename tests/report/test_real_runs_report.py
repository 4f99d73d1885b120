"""compare and leaderboard on real runs of both embedded models (GlobalOpinionQA, first rows, private cache).

The numbers compare reports are recomputed here from the runs' samples with numpy/scipy."""
import json
import shutil
from collections import defaultdict
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pytest
from scipy import stats

from conftest import assert_user_error, run_cli

pytestmark = [pytest.mark.model, pytest.mark.shared_data]
TASK = "distributional_globalopinionqa"
LIMIT = "30"


@pytest.fixture(scope="module")
def runs(tmp_path_factory, shared_data, isolated_env_module) -> SimpleNamespace:
    root = tmp_path_factory.mktemp("real-runs")
    dirs = {}
    for name, model in (("base", "embedded:gemma3-270m"), ("tuned", "embedded:smollm2-135m-instruct")):
        result = run_cli(["run", "--model", model, "--tasks", TASK, "--limit", LIMIT, "--data-dir", str(shared_data),
                          "--output", str(root / name), "--no-progress"], env=isolated_env_module)
        assert result.returncode == 0, result.stderr
        dirs[name] = next((root / name).iterdir())
    return SimpleNamespace(root=root, env=isolated_env_module, **dirs)


@pytest.fixture(scope="module")
def isolated_env_module(tmp_path_factory) -> dict:
    import os

    env = dict(os.environ)
    env["PLURALBENCH_CACHE"] = str(tmp_path_factory.mktemp("cache"))
    env.pop("PLURALBENCH_DATA", None)
    return env


def samples(run_dir: Path) -> dict[str, dict]:
    return {s["id"]: s for s in map(json.loads, (run_dir / "samples.jsonl").read_text().splitlines())}


def cli(args, capsys):
    from pluralbench.cli import main

    code = main([str(a) for a in args])
    out = capsys.readouterr()
    return SimpleNamespace(returncode=code, stdout=out.out, stderr=out.err)


def test_compare_matches_an_independent_calculation(runs, tmp_path, capsys):
    out = tmp_path / "study"
    result = cli(["compare", runs.base, runs.tuned, "--out", out, "--label-a", "Gemma 3 270M (base)",
                  "--label-b", "SmolLM2 135M Instruct"], capsys)
    assert result.returncode == 0, result.stderr
    assert "jsd_base2: A=" in result.stdout and "argmax moved on" in result.stdout
    assert "A was elicited with completion and B with chat" in result.stdout
    report = json.loads((out / "compare.json").read_text())

    a, b = samples(runs.base), samples(runs.tuned)
    paired = [(a[i], b[i]) for i in a if a[i]["metrics"] and b[i]["metrics"]]
    assert report["pairing"]["paired_rows"] == len(paired) == int(LIMIT)
    diffs = np.array([y["metrics"]["jsd_base2"] - x["metrics"]["jsd_base2"] for x, y in paired])
    overall = report["overall"]["jsd_base2"]
    assert overall["diff"] == pytest.approx(diffs.mean(), abs=1e-12)
    assert overall["a"] == pytest.approx(np.mean([x["metrics"]["jsd_base2"] for x, _ in paired]), abs=1e-12)
    assert overall["diff_ci_low"] <= overall["diff"] <= overall["diff_ci_high"]
    # The overall test runs over prompts (one model answer serves every country asked that question).
    by_prompt = defaultdict(list)
    for (x, _), d in zip(paired, diffs):
        by_prompt[x["prompt_sha256"]].append(d)
    units = np.array([np.mean(v) for v in by_prompt.values()])
    assert overall["n_units"] == len(units) < len(paired)
    assert overall["p_value"] == pytest.approx(stats.wilcoxon(units).pvalue, rel=1e-9)

    # Entropy of the model distributions, recomputed with scipy from the stored distributions (bits).
    ent = [stats.entropy(y["model_distribution"], base=2) - stats.entropy(x["model_distribution"], base=2)
           for x, y in paired]
    assert report["overall"]["entropy_model"]["diff"] == pytest.approx(np.mean(ent), abs=1e-9)
    assert "entropy_human" in report["unchanged_metrics"]  # a property of the data, identical in both runs

    # Share of prompts whose most likely option moved.
    moved = {x["prompt_sha256"]: np.argmax(x["model_distribution"]) != np.argmax(y["model_distribution"])
             for x, y in paired}
    assert report["argmax_moved"]["share"] == pytest.approx(np.mean(list(moved.values())))
    assert report["argmax_moved"]["n_prompts"] == len(moved)

    # One group (country), rows as units.
    group = max(report["groups"], key=lambda g: report["groups"][g]["jsd_base2"]["n_rows"])
    rows = [(x, y) for x, y in paired if x["group"] == group]
    gd = np.array([y["metrics"]["jsd_base2"] - x["metrics"]["jsd_base2"] for x, y in rows])
    block = report["groups"][group]["jsd_base2"]
    assert block["n_rows"] == len(rows) and block["diff"] == pytest.approx(gd.mean(), abs=1e-12)
    if len(rows) >= 2 and np.any(gd != 0):
        assert block["p_value"] == pytest.approx(stats.wilcoxon(gd).pvalue, rel=1e-9)

    md = (out / "compare.md").read_text()
    assert "Gemma 3 270M (base)" in md and "B − A" in md and "## Per country: jsd\\_base2" in md
    pngs = sorted(p.name for p in (out / "figures").iterdir())
    assert pngs == ["delta_entropy_model_by_group.png", "delta_jsd_base2_by_group.png", "items_jsd_base2.png"]
    assert all((out / "figures" / p).read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" for p in pngs)

    # The permutation test is scipy's paired (sign-flip) permutation test on the same prompt-level units.
    perm = cli(["compare", runs.base, runs.tuned, "--test", "permutation", "--out", tmp_path / "perm"], capsys)
    assert perm.returncode == 0, perm.stderr
    p_perm = json.loads((tmp_path / "perm" / "compare.json").read_text())["overall"]["jsd_base2"]["p_value"]
    expected = stats.permutation_test((units,), np.mean, permutation_type="samples", n_resamples=9999,
                                      rng=np.random.default_rng(0)).pvalue
    assert p_perm == pytest.approx(expected)


def _copy(run_dir: Path, dest: Path) -> Path:
    target = dest / run_dir.name
    shutil.copytree(run_dir, target)
    return target


def _edit_metrics(run_dir: Path, edit) -> None:
    path = run_dir / "metrics.json"
    data = json.loads(path.read_text())
    edit(data)
    path.write_text(json.dumps(data))


def test_compare_refuses_runs_that_cannot_be_paired(runs, tmp_path, capsys):
    def refused(a, b, *fragments):
        result = cli(["compare", a, b, "--out", tmp_path / "never"], capsys)
        assert_user_error(result, *fragments)
        assert not (tmp_path / "never").exists()

    other_version = _copy(runs.tuned, tmp_path / "v2")
    _edit_metrics(other_version, lambda m: m["task"].update(version=2))
    refused(runs.base, other_version, "task version differs (1 vs 2)")

    other_data = _copy(runs.tuned, tmp_path / "data")
    _edit_metrics(other_data, lambda m: m["task"].update(data_sha256="0" * 64))
    refused(runs.base, other_data, "data sha256 differs")

    other_task = _copy(runs.tuned, tmp_path / "task")
    _edit_metrics(other_task, lambda m: m["task"].update(name="steerable_something"))
    refused(runs.base, other_task, "their task differs")

    no_common = _copy(runs.tuned, tmp_path / "ids")
    lines = [json.loads(x) for x in (no_common / "samples.jsonl").read_text().splitlines()]
    (no_common / "samples.jsonl").write_text("".join(json.dumps(s | {"id": "x" + s["id"]}) + "\n" for s in lines))
    refused(runs.base, no_common, "share no item ids")

    unfinished = _copy(runs.tuned, tmp_path / "unfinished")
    manifest = json.loads((unfinished / "manifest.json").read_text())
    (unfinished / "manifest.json").write_text(json.dumps(manifest | {"status": "running"}))
    refused(runs.base, unfinished, "run not finished")

    refused(runs.base, tmp_path / "missing", "no such run directory")


def test_leaderboard_on_real_runs(runs, tmp_path, capsys):
    out = tmp_path / "board"
    result = run_cli(["leaderboard", str(runs.base), str(runs.tuned), "--out", str(out)], env=runs.env)
    assert result.returncode == 0, result.stderr
    board = json.loads((out / "leaderboard.json").read_text())
    rows = {r["model"]: r for r in board["rows"]}
    assert set(rows) == {"embedded:gemma3-270m", "embedded:smollm2-135m-instruct"}
    for name, run_dir in (("embedded:gemma3-270m", runs.base), ("embedded:smollm2-135m-instruct", runs.tuned)):
        metrics = json.loads((run_dir / "metrics.json").read_text())
        cell = rows[name]["cells"]["globalopinionqa_jsd"]
        assert cell["value"] == metrics["overall"]["jsd_base2"]["value"]
        assert cell["ci_low"] == metrics["overall"]["jsd_base2"]["ci_low"]
        assert rows[name]["cells"]["globalopinionqa_option_mass"]["value"] == metrics["overall"]["covered_mass"]["value"]
    assert board["objectives"][0]["mixed"] == ["elicitation"]  # the default spec allows it, and says so
    for name in ("leaderboard.csv", "leaderboard.md", "leaderboard.html"):
        assert (out / name).stat().st_size > 0
    assert len(list((out / "figures").glob("*.png"))) == 2

    strict = tmp_path / "strict.yaml"
    strict.write_text(f"name: strict\nobjectives:\n  - {{name: jsd, task: {TASK}, metric: jsd_base2, direction: lower}}\n")
    refused = cli(["leaderboard", runs.root / "base", runs.root / "tuned", "--spec", strict, "--out", tmp_path / "no"],
                  capsys)
    assert_user_error(refused, "would mix runs with different elicitation",
                      "chat: embedded:smollm2-135m-instruct; completion: embedded:gemma3-270m")
