"""A `sampled:N` run killed with SIGKILL mid-way resumes without drawing a finished prompt's samples
again: every journalled prompt is answered from the journal, each key is journalled once. (--batch-size 1:
generate batches of 4 prompts on the hf adapter, so the run has several batches to be killed between.)"""
import json
import os
import signal
from collections import Counter

import pytest

from conftest import run_cli, start_cli_until


def command(shared_data, output):
    return ["run", "--model", "embedded:smollm2-135m-instruct", "--tasks", "distributional_globalopinionqa",
            "--elicit", "sampled:3", "--limit", "16", "--batch-size", "1", "--data-dir", str(shared_data),
            "--output", str(output), "--no-progress"]


def journal_keys(output) -> list[str]:
    found = list(output.glob("*/journal.jsonl"))
    if not found:
        return []
    return [json.loads(line)["key"] for line in found[0].read_text().splitlines() if line.strip()]


@pytest.mark.model
@pytest.mark.shared_data
def test_sigkill_in_a_sampled_run_then_resume(tmp_path, isolated_env, shared_data):
    env = dict(isolated_env, OMP_NUM_THREADS="1")
    output = tmp_path / "killed"
    proc = start_cli_until(command(shared_data, output), env, lambda: len(journal_keys(output)) >= 2, timeout=600)
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    finished = journal_keys(output)
    assert len(finished) >= 2
    run_dir = next(output.iterdir())
    assert json.loads((run_dir / "manifest.json").read_text())["status"] == "running"

    # A fresh response cache: only the journal can spare the finished prompts.
    resumed = run_cli(command(shared_data, output), env=dict(env, PLURALBENCH_CACHE=str(tmp_path / "cache2")))
    assert resumed.returncode == 0, resumed.stderr
    manifest = json.loads((run_dir / "manifest.json").read_text())
    counts = manifest["counts"]
    assert counts["journal_hits"] == len(finished)
    assert counts["model_calls"] == counts["unique_requests"] - len(finished)
    per_key = Counter(journal_keys(output))
    assert len(per_key) == counts["unique_requests"] and set(per_key.values()) == {1}  # no prompt sampled twice
    assert manifest["elicitation_method"]["spec"] == "sampled:3"
    fitted = manifest["elicitation_method"]["fitted"]
    assert fitted["samples"] == 3 * counts["unique_requests"]
