"""`pluralbench run --elicit A,B` on the real embedded SmolLM2 and real GlobalOpinionQA rows: one run per
method, the default's run id unchanged, calibration fitted in the run (cross-fitted: an item's own
reference never moves its own temperature), the elicitation report, compare and leaderboards."""
from __future__ import annotations

import json
from pathlib import Path

import pytest

from conftest import assert_user_error, run_cli

pytestmark = [pytest.mark.model, pytest.mark.shared_data]

GOQA = "modular_pluralism/distributional_test_globalopinionqa_small.json"
LIMIT = "8"


def run_args(data_dir: Path, output: Path, *extra: str) -> list[str]:
    return ["run", "--model", "embedded:smollm2-135m-instruct", "--tasks", "distributional_globalopinionqa",
            "--limit", LIMIT, "--data-dir", str(data_dir), "--output", str(output), "--no-progress", *extra]


def runs_by_method(output: Path) -> dict[str, Path]:
    found = {}
    for d in output.iterdir():
        if (d / "metrics.json").is_file():
            found[json.loads((d / "metrics.json").read_text())["elicitation_method"]["spec"]] = d
    return found


def samples(run_dir: Path) -> list[dict]:
    return [json.loads(line) for line in (run_dir / "samples.jsonl").read_text().splitlines()]


@pytest.fixture(scope="module")
def two_methods(tmp_path_factory, shared_data):
    root = tmp_path_factory.mktemp("methods")
    env = {**__import__("os").environ, "PLURALBENCH_CACHE": str(root / "cache"), "OMP_NUM_THREADS": "1"}
    env.pop("PLURALBENCH_DATA", None)
    done = run_cli(run_args(shared_data, root / "out", "--elicit", "logprob,logprob_calibrated"), env=env)
    assert done.returncode == 0, done.stderr
    return root, env, done


def test_each_method_is_its_own_run_and_the_default_keeps_its_run_id(two_methods, shared_data):
    root, env, done = two_methods
    by_method = runs_by_method(root / "out")
    assert set(by_method) == {"logprob", "logprob_calibrated"}
    assert "[logprob_calibrated]" in done.stdout and "0 model calls, 8 cache hits" in done.stdout
    plain = run_cli(run_args(shared_data, root / "plain"), env=env)  # no --elicit: today's command
    assert plain.returncode == 0, plain.stderr
    (plain_dir,) = [d for d in (root / "plain").iterdir() if d.is_dir()]
    assert plain_dir.name == by_method["logprob"].name
    metrics = json.loads((plain_dir / "metrics.json").read_text())
    assert metrics["elicitation_method"] == {"spec": "logprob", "name": "logprob", "settings": {"method": "logprob"},
                                             "fitted": {}}
    manifest = json.loads((by_method["logprob_calibrated"] / "manifest.json").read_text())
    assert manifest["elicitation_method"]["fitted"]["k_folds"] == 5
    assert manifest["elicitation"]["resolved"] == "chat"  # the other axis, recorded as before


def test_each_line_names_its_method_once_whether_run_or_answered_from_the_finished_run(two_methods, shared_data):
    """A task's result line and its summary-table row say which method made them, once; the second command
    answers both tasks from their finished runs and prints the same lines."""
    root, env, _ = two_methods
    args = run_args(shared_data, root / "sequence", "--elicit", "logprob,sequence", "--limit", "2")
    outputs = []
    for _ in range(2):
        done = run_cli(args, env=env)
        assert done.returncode == 0, done.stderr
        lines = [line for line in done.stdout.splitlines() if line.startswith("distributional_globalopinionqa")]
        assert len(lines) == 4, done.stdout  # a result line and a table row per method
        for line in lines:
            named = [m for m in ("logprob", "sequence") if f"[{m}]" in line]
            assert len(named) == 1 and line.count(f"[{named[0]}]") == 1, line
        outputs.append(lines)
    assert all("0 model calls, 0 cache hits, 2 resumed" in line for line in outputs[1][:2])  # the finished runs
    assert [line.split(" (")[0] for line in outputs[0]] == [line.split(" (")[0] for line in outputs[1]]


def test_calibrated_run_records_k_and_every_folds_temperature(two_methods):
    root, _, _ = two_methods
    run_dir = runs_by_method(root / "out")["logprob_calibrated"]
    fitted = json.loads((run_dir / "metrics.json").read_text())["elicitation_method"]["fitted"]
    assert fitted["k_folds"] == 5 and len(fitted["fold_temperatures"]) == 5
    assert sum(fitted["fold_items"]) == 8 and fitted["fold_fitted_on"] == [8 - n for n in fitted["fold_items"]]
    rows = samples(run_dir)
    raw = {s["id"]: s for s in samples(runs_by_method(root / "out")["logprob"])}
    for s in rows:
        fold, temperature = s["calibration"]["fold"], s["calibration"]["temperature"]
        assert temperature == fitted["fold_temperatures"][fold]
        assert s["label_logprobs"] == raw[s["id"]]["label_logprobs"]  # the same answers, rescaled
    assert any(s["model_distribution"] != raw[s["id"]]["model_distribution"] for s in rows)


def test_an_items_own_reference_never_moves_its_own_temperature(two_methods, shared_data, tmp_path):
    root, env, _ = two_methods
    before = {s["id"]: s["calibration"] for s in samples(runs_by_method(root / "out")["logprob_calibrated"])}
    rows = json.loads((shared_data / GOQA).read_text())
    target = str(rows[0]["id"])
    rows[0]["gold_distribution"] = [0.0] * (len(rows[0]["options"]) - 1) + [1.0]  # all mass on the last option
    (tmp_path / "data" / GOQA).parent.mkdir(parents=True)
    (tmp_path / "data" / GOQA).write_text(json.dumps(rows))
    again = run_cli(run_args(tmp_path / "data", tmp_path / "out", "--elicit", "logprob_calibrated"), env=env)
    assert again.returncode == 0, again.stderr
    assert "0 model calls" in again.stdout  # the same prompts: answered from the cache
    after = {s["id"]: s["calibration"] for s in samples(next((tmp_path / "out").iterdir()))}
    assert after[target] == before[target]
    moved = {i for i in after if after[i]["temperature"] != before[i]["temperature"]}
    assert moved and target not in moved  # the perturbed reference did move the other folds' fits


def test_the_command_writes_the_elicitation_report(two_methods):
    root, _, done = two_methods
    (report_dir,) = [d for d in (root / "out").iterdir() if d.name.startswith("elicitation__")]
    assert f"elicitation report: {report_dir / 'elicitation.md'}" in done.stdout
    assert {p.name for p in report_dir.iterdir()} >= {"elicitation.md", "elicitation.json", "elicitation.png"}
    report = json.loads((report_dir / "elicitation.json").read_text())
    (section,) = report["sections"]
    assert section["methods"] == ["logprob", "logprob_calibrated"]
    (pair,) = section["paired"]
    assert (pair["a"], pair["b"], pair["rows"]) == ("logprob", "logprob_calibrated", 8)
    assert section["by_method"]["logprob_calibrated"]["fitted"]["k_folds"] == 5
    assert section["by_method"]["logprob"]["cost"]["model_calls"] == 8
    # The human reference points beside each method's numbers are the run's own (metrics.json), per metric.
    for method in section["methods"]:
        run = json.loads((Path(section["by_method"][method]["path"]) / "metrics.json").read_text())
        points = section["by_method"][method]["reference_points"]
        assert points["tv"] == run["reference_points"]["tv"] and points["jsd"] == run["reference_points"]["jsd_base2"]
    uniform_tv = section["by_method"]["logprob"]["reference_points"]["tv"]["uniform"]["value"]
    assert f"| `logprob` | tv | {uniform_tv:.4f} |" in (report_dir / "elicitation.md").read_text()


def test_compare_labels_two_read_outs_of_one_model(two_methods, tmp_path):
    root, env, _ = two_methods
    by_method = runs_by_method(root / "out")
    done = run_cli(["compare", str(by_method["logprob"]), str(by_method["logprob_calibrated"]),
                    "--out", str(tmp_path / "cmp")], env=env)
    assert done.returncode == 0, done.stderr
    assert "embedded:smollm2-135m-instruct [logprob_calibrated]" in done.stdout
    assert "same model" not in done.stdout
    result = json.loads((tmp_path / "cmp" / "compare.json").read_text())
    assert (result["a"]["elicitation_method"], result["b"]["elicitation_method"]) == ("logprob", "logprob_calibrated")


def test_a_leaderboard_never_merges_two_read_outs_into_one_cell(two_methods, tmp_path):
    root, env, _ = two_methods
    refused = run_cli(["leaderboard", str(root / "out"), "--out", str(tmp_path / "board")], env=env)
    assert_user_error(refused, "differ in method", "where:")
    spec = tmp_path / "spec.yaml"
    spec.write_text("name: readouts\nobjectives:\n"
                    "  - {name: jsd_logprob, task: distributional_globalopinionqa, metric: overall.jsd_base2,"
                    " direction: lower, where: {method: logprob}}\n"
                    "  - {name: jsd_calibrated, task: distributional_globalopinionqa, metric: overall.jsd_base2,"
                    " direction: lower, where: {method: logprob_calibrated}}\n")
    board = run_cli(["leaderboard", str(root / "out"), "--spec", str(spec), "--out", str(tmp_path / "board")], env=env)
    assert board.returncode == 0, board.stderr
    text = (tmp_path / "board" / "leaderboard.md").read_text()
    assert "| read-out |" in text and "logprob\\_calibrated" in text


def test_calibration_refuses_a_task_without_human_distributions(shared_data, isolated_env, tmp_path):
    done = run_cli(["run", "--tasks", "dailydilemmas_actions", "--elicit", "logprob_calibrated", "--limit", "2",
                    "--data-dir", str(shared_data), "--output", str(tmp_path / "out")], env=isolated_env)
    assert_user_error(done, "dailydilemmas_actions", "'logprob_calibrated' fits to human reference distributions")
    assert "loaded" not in done.stderr  # refused before the model loads


def test_calibrated_shards_merge_to_the_unsharded_run(two_methods, shared_data, tmp_path):
    """merge refits the temperatures on every shard's items together, as the unsharded run fitted them."""
    root, env, _ = two_methods
    for shard in ("1/2", "2/2"):
        done = run_cli(run_args(shared_data, tmp_path / "shards", "--elicit", "logprob_calibrated", "--shard", shard),
                       env=env)
        assert done.returncode == 0, done.stderr
        assert "0 model calls" in done.stdout
    shards = sorted(p for p in (tmp_path / "shards").iterdir() if p.is_dir())
    merged = run_cli(["merge", *map(str, shards), "--output", str(tmp_path / "merged"), "--data-dir", str(shared_data)],
                     env=env)
    assert merged.returncode == 0, merged.stderr
    full = runs_by_method(root / "out")["logprob_calibrated"]
    (merged_dir,) = [p for p in (tmp_path / "merged").iterdir() if p.is_dir()]
    assert merged_dir.name == full.name
    assert (merged_dir / "metrics.json").read_text() == (full / "metrics.json").read_text()
    assert (merged_dir / "samples.jsonl").read_text() == (full / "samples.jsonl").read_text()
    assert json.loads((merged_dir / "manifest.json").read_text())["elicitation_method"]["fitted"]["k_folds"] == 5
