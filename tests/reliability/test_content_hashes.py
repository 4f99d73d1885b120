"""Every writer of a run directory (run, score, merge) records the sha256 of its result files in the
manifest at completion; `validate` recomputes them, so a hand-edited metrics.json, samples.jsonl or
journal.jsonl is reported in one line. A run from before hashes were recorded validates with a note."""
from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pytest

from conftest import mc_row, run_cli, write_mc_file

GOQA = "modular_pluralism/distributional_test_globalopinionqa_small.json"
TASK = "distributional_globalopinionqa"


def _validate(run_dir: Path, env: dict):
    result = run_cli(["validate", str(run_dir)], env=env)
    assert "Traceback" not in result.stderr
    return result


def _recorded(run_dir: Path) -> dict:
    return json.loads((run_dir / "manifest.json").read_text())["content_sha256"]


@pytest.fixture
def scored_run(tmp_path, isolated_env) -> Path:
    rows = [mc_row(i, attribute=["Japan", "Peru"][i % 2]) | {"pred_distribution": [0.4, 0.4, 0.2]} for i in range(1, 5)]
    write_mc_file(tmp_path / "data" / GOQA, rows)
    preds = write_mc_file(tmp_path / "preds.json", rows)
    result = run_cli(["score", "--task", TASK, "--predictions", str(preds), "--output", str(tmp_path / "runs"),
                      "--data-dir", str(tmp_path / "data")], env=isolated_env)
    assert result.returncode == 0, result.stderr
    [run_dir] = (tmp_path / "runs").iterdir()
    return run_dir


def test_score_records_hashes_and_validate_catches_edits(scored_run, isolated_env):
    recorded = _recorded(scored_run)
    assert set(recorded) == {"samples.jsonl", "metrics.json"}
    for name, digest in recorded.items():
        assert hashlib.sha256((scored_run / name).read_bytes()).hexdigest() == digest
    ok = _validate(scored_run, isolated_env)
    assert ok.returncode == 0 and "note: no content hashes" not in ok.stdout

    metrics = json.loads((scored_run / "metrics.json").read_text())
    metrics["overall"]["jsd_base2"]["value"] += 0.01  # a better number, still schema-valid
    (scored_run / "metrics.json").write_text(json.dumps(metrics, indent=2))
    bad = _validate(scored_run, isolated_env)
    assert bad.returncode == 2
    assert f"{scored_run}: invalid run directory: metrics.json: changed after the run finished" in bad.stderr


def test_an_edited_sample_is_caught(scored_run, isolated_env):
    lines = (scored_run / "samples.jsonl").read_text().splitlines()
    sample = json.loads(lines[0])
    sample["model_distribution"] = [0.2, 0.4, 0.4]
    (scored_run / "samples.jsonl").write_text("\n".join([json.dumps(sample), *lines[1:]]) + "\n")
    bad = _validate(scored_run, isolated_env)
    assert bad.returncode == 2 and "samples.jsonl: changed after the run finished" in bad.stderr
    assert "metrics.json" not in bad.stderr


def test_a_run_without_hashes_validates_with_a_note(scored_run, isolated_env):
    manifest = json.loads((scored_run / "manifest.json").read_text())
    del manifest["content_sha256"]  # as an older pluralbench wrote it
    (scored_run / "manifest.json").write_text(json.dumps(manifest))
    result = _validate(scored_run, isolated_env)
    assert result.returncode == 0, result.stderr
    assert f"{scored_run}: note: no content hashes in manifest.json" in result.stdout


@pytest.mark.model
def test_a_model_run_hashes_its_journal_and_requests(shared_data, tmp_path, isolated_env):
    result = run_cli(["run", "--model", "embedded:smollm2-135m-instruct", "--tasks", TASK, "--limit", "2",
                      "--data-dir", str(shared_data), "--output", str(tmp_path / "runs"), "--no-progress"],
                     env=isolated_env)
    assert result.returncode == 0, result.stderr
    [run_dir] = (tmp_path / "runs").iterdir()
    assert set(_recorded(run_dir)) == {"samples.jsonl", "metrics.json", "journal.jsonl", "requests.jsonl"}
    assert _validate(run_dir, isolated_env).returncode == 0

    journal = (run_dir / "journal.jsonl").read_text().splitlines()
    record = json.loads(journal[0])
    record["output"]["covered_mass"] = 0.5  # a changed answer, still a valid journal record
    (run_dir / "journal.jsonl").write_text("\n".join([json.dumps(record), *journal[1:]]) + "\n")
    bad = _validate(run_dir, isolated_env)
    assert bad.returncode == 2 and "journal.jsonl: changed after the run finished" in bad.stderr


def test_validate_recomputes_the_metrics_from_the_samples(scored_run, isolated_env):
    """An edit that also rewrites the manifest's hash is still caught: the samples give other numbers."""
    data = scored_run.parents[1] / "data"
    ok = run_cli(["validate", str(scored_run), "--data-dir", str(data)], env=isolated_env)
    assert ok.returncode == 0 and "note:" not in ok.stdout, ok.stdout + ok.stderr
    without_data = _validate(scored_run, isolated_env)
    assert without_data.returncode == 0 and "note: metrics not recomputed from samples: no data directory" \
        in without_data.stdout

    metrics = json.loads((scored_run / "metrics.json").read_text())
    true_value = metrics["overall"]["jsd_base2"]["value"]
    metrics["overall"]["jsd_base2"]["value"] = 0.001
    (scored_run / "metrics.json").write_text(json.dumps(metrics, indent=2))
    manifest = json.loads((scored_run / "manifest.json").read_text())
    manifest["content_sha256"]["metrics.json"] = hashlib.sha256((scored_run / "metrics.json").read_bytes()).hexdigest()
    (scored_run / "manifest.json").write_text(json.dumps(manifest))
    bad = run_cli(["validate", str(scored_run), "--data-dir", str(data)], env=isolated_env)
    assert bad.returncode == 2 and "Traceback" not in bad.stderr
    assert (f"{scored_run}: invalid run directory: metrics.json: overall.jsd_base2.value is 0.001 but the samples "
            f"give {true_value!r}") in bad.stderr
