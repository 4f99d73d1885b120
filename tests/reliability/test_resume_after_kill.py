"""A run killed with SIGKILL and started again finishes without recomputing finished work, and its
metrics equal an uninterrupted run's byte for byte."""
import json
import os
import signal
import subprocess

import pytest

from conftest import run_cli, start_cli_until


def command(shared_data, output):
    return ["run", "--model", "embedded:smollm2-135m-instruct", "--tasks", "distributional_globalopinionqa",
            "--limit", "48", "--batch-size", "4", "--data-dir", str(shared_data), "--output", str(output),
            "--no-progress"]


def journal_lines(output) -> int:
    found = list(output.glob("*/journal.jsonl"))
    return len(found[0].read_text().splitlines()) if found else 0


@pytest.mark.model
@pytest.mark.shared_data
def test_sigkill_then_resume(tmp_path, isolated_env, shared_data):
    isolated_env = dict(isolated_env, OMP_NUM_THREADS="1")  # see test_soak_kills: no spinning threads on 2 cores
    output = tmp_path / "killed"
    proc = start_cli_until(command(shared_data, output), isolated_env, lambda: journal_lines(output) >= 12)
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    finished_before = journal_lines(output)
    run_dir = next(output.iterdir())
    assert json.loads((run_dir / "manifest.json").read_text())["status"] == "running"
    assert not (run_dir / "metrics.json").exists()

    # Resume with a fresh response cache: only the journal can save work, so every saved prompt is from it.
    env = dict(isolated_env, PLURALBENCH_CACHE=str(tmp_path / "cache2"))
    resumed = run_cli(command(shared_data, output), env=env)
    assert resumed.returncode == 0, resumed.stderr
    counts = json.loads((run_dir / "manifest.json").read_text())["counts"]
    assert counts["journal_hits"] == finished_before >= 12
    assert counts["model_calls"] == counts["unique_requests"] - finished_before
    assert len((run_dir / "journal.jsonl").read_text().splitlines()) == counts["unique_requests"]

    clean_out = tmp_path / "clean"
    clean = run_cli(command(shared_data, clean_out), env=dict(isolated_env, PLURALBENCH_CACHE=str(tmp_path / "cache3")))
    assert clean.returncode == 0, clean.stderr
    clean_dir = next(clean_out.iterdir())
    assert clean_dir.name == run_dir.name
    assert (clean_dir / "metrics.json").read_bytes() == (run_dir / "metrics.json").read_bytes()
    assert (clean_dir / "samples.jsonl").read_bytes() == (run_dir / "samples.jsonl").read_bytes()


def test_torn_journal_line_is_dropped(tmp_path):
    from pluralbench.runner.journal import Journal

    path = tmp_path / "journal.jsonl"
    path.write_text('{"key": "a", "output": 1}\n{"key": "b", "outp')
    journal = Journal(path)
    assert journal.entries == {"a": 1} and journal.dropped_torn_line
    journal.append({"c": 3})
    assert Journal(path).entries == {"a": 1, "c": 3}


def test_second_concurrent_run_is_refused(tmp_path):
    from pluralbench.errors import UserError
    from pluralbench.runner.rundir import RunLock

    with RunLock(tmp_path):
        with pytest.raises(UserError, match="being written by another pluralbench run"):
            with RunLock(tmp_path):
                pass
    with RunLock(tmp_path):  # released after the first run ends
        pass


def test_lock_holder_removes_temp_files_left_by_a_killed_write(tmp_path):
    """atomic_write_text's temp files (.NAME.XXXXXXXX) left by a SIGKILL go once the next run holds the lock;
    other hidden files and finished files stay."""
    from pluralbench.core.files import atomic_write_text
    from pluralbench.runner.rundir import RunLock

    atomic_write_text(tmp_path / "metrics.json", "{}\n")
    leftovers = [tmp_path / ".metrics.json.k2f_9xqa", tmp_path / ".samples.jsonl.0a1b2c3d"]
    for path in leftovers:
        path.write_text("half a file")
    keep = tmp_path / ".keep"
    keep.write_text("mine")
    with RunLock(tmp_path):
        assert not any(p.exists() for p in leftovers)
    assert keep.read_text() == "mine" and (tmp_path / "metrics.json").read_text() == "{}\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == [".keep", ".lock", "metrics.json"]


@pytest.mark.model
@pytest.mark.shared_data
def test_sigterm_says_so_and_resumes(tmp_path, isolated_env, shared_data):
    """SIGTERM (a scheduler's stop) is handled like Ctrl-C: one line on stderr, exit 143, work kept."""
    isolated_env = dict(isolated_env, OMP_NUM_THREADS="1")
    output = tmp_path / "term"
    proc = start_cli_until(command(shared_data, output), isolated_env, lambda: journal_lines(output) >= 4,
                           stderr=subprocess.PIPE, text=True)
    proc.send_signal(signal.SIGTERM)
    _, err = proc.communicate(timeout=120)
    assert proc.returncode == 143, err
    assert "pluralbench: terminated; finished work is saved, the same command resumes" in err
    assert "Traceback" not in err
    kept = journal_lines(output)
    result = run_cli(command(shared_data, output), env=isolated_env)
    assert result.returncode == 0, result.stderr
    (run_dir,) = output.iterdir()
    assert json.loads((run_dir / "manifest.json").read_text())["counts"]["journal_hits"] == kept
