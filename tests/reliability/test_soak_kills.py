"""Soak: one run killed with SIGKILL at seeded random moments (during startup, mid-batch, during the final
writes), restarted each time with the same command. At the end every item is in samples.jsonl and the
journal exactly once, no finished prompt was sent to the model twice (counted per attempt from the journal
and the final manifest), and metrics.json equals an uninterrupted run's byte for byte. While the run is
alive a second process with the same command is refused by the run lock and touches nothing.

The soak runs with --no-cache, so the journal is the only thing that can save work: each journal line is
one model answer, and a prompt computed twice would show up as a second line for its key.
"""
from __future__ import annotations

import json
import os
import random
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from conftest import assert_user_error, run_cli

pytestmark = [pytest.mark.model, pytest.mark.shared_data]

# 100 GlobalOpinionQA rows = 93 unique prompts. --batch-size 2 plans 25 batches (of 3 to 5: packed option
# batches grow past the batch size), so six mid-batch kills, and the lock check's seconds of work while the
# second process starts, do not run out of batches to land in (9 batches of 8 at --batch-size 4 did, in CI).
LIMIT, BATCH = 100, 2
SEED = 9
FINAL_FILES = ("requests.jsonl", "samples.jsonl", "metrics.json")  # written in this order, then the manifest
# The kill plan, in order. startup: a random moment in the first seconds (imports, model load, data
# checks, lock, manifest); batch: a random moment after the attempt's first journal append (forward
# passes and appends); final:NAME: a few milliseconds after the attempt starts writing NAME (so the
# files written before it are already in place, and NAME's temp file may be left behind).
PLAN = ["startup", "batch", "startup", "batch", "batch", "batch", "startup", "batch", "batch",
        *(f"final:{name}" for name in FINAL_FILES)]


def command(shared_data: Path, output: Path) -> list[str]:
    return ["run", "--model", "embedded:smollm2-135m-instruct", "--tasks", "distributional_globalopinionqa",
            "--limit", str(LIMIT), "--batch-size", str(BATCH), "--data-dir", str(shared_data), "--output", str(output),
            "--no-cache", "--no-progress"]


def spawn(args: list[str], env: dict) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-m", "pluralbench", *args], env=env, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, stdin=subprocess.DEVNULL, text=True)


def run_dir_of(output: Path) -> Path | None:
    """The one run directory under `output` (hidden ones are staging copies a killed writer left)."""
    found = [p for p in output.iterdir() if p.is_dir() and not p.name.startswith(".")] if output.is_dir() else []
    assert len(found) <= 1, found
    return found[0] if found else None


def journal_keys(run_dir: Path | None) -> list[str]:
    """Keys of the journal's complete lines (a torn last line is what the next attempt drops)."""
    path = run_dir / "journal.jsonl" if run_dir else None
    if path is None or not path.is_file():
        return []
    keys = []
    for line in path.read_bytes().splitlines(keepends=True):
        if not line.endswith(b"\n"):
            break
        keys.append(json.loads(line)["key"])
    return keys


def final_write_started(run_dir: Path | None, target: str, since_ns: int) -> bool:
    """This attempt has started writing `target`: its temp file exists, or it was replaced since the start."""
    if run_dir is None or not run_dir.is_dir():
        return False
    for entry in os.scandir(run_dir):
        if entry.name.startswith(f".{target}."):
            return True  # a temp file of atomic_write_text: the write is under way
        if entry.name == target and entry.stat().st_mtime_ns > since_ns:
            return True
    return False


def unique_prompts(shared_data: Path) -> int:
    """What the run must answer: the distinct prompts among the first LIMIT rows (rows of one question share one)."""
    rows = json.loads((shared_data / "modular_pluralism" / "distributional_test_globalopinionqa_small.json").read_text())
    return len({row["question"] for row in rows[:LIMIT]})


def kill(proc: subprocess.Popen) -> bool:
    """SIGKILL our own child by its pid; True if it was still alive and the kill is what ended it."""
    if proc.poll() is not None:
        return False
    os.kill(proc.pid, signal.SIGKILL)
    proc.communicate(timeout=60)
    return proc.returncode == -signal.SIGKILL


def wait_until(predicate, proc, timeout=300.0, poll=0.01) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        if proc.poll() is not None:
            return False
        time.sleep(poll)
    raise AssertionError("timed out waiting for the run")


def check_lock_refuses_second_run(shared_data, output, env, first: subprocess.Popen) -> None:
    """A second process with the same command, while the first holds the run: one-line error, nothing touched."""
    run_dir = run_dir_of(output)
    manifest_before = (run_dir / "manifest.json").read_bytes()
    second = run_cli(command(shared_data, output), env=env)
    assert first.poll() is None, "the first run ended before the second reached the lock: the check proved nothing"
    line = assert_user_error(second, "being written by another pluralbench run", f"(pid {first.pid})")
    assert str(run_dir) in line
    assert (run_dir / "manifest.json").read_bytes() == manifest_before
    assert run_dir_of(output) == run_dir  # no second directory, no interleaved files


def test_sigkill_soak(tmp_path, isolated_env, shared_data):
    # One torch thread per process: on a busy 2-core machine two spinning threads doubled each attempt's CPU
    # time (22 s vs 11 s for an 8-item run). Every attempt and the clean run use the same setting.
    isolated_env = dict(isolated_env, OMP_NUM_THREADS="1")
    rng = random.Random(SEED)
    output = tmp_path / "soak"
    args = command(shared_data, output)
    kills: list[dict] = []
    attempts: list[dict] = []  # per attempt: journal lines before/after, how it ended
    lock_checked = False
    plan = list(PLAN)
    tries = 0
    while plan:
        tries += 1
        assert tries <= len(PLAN) + 8, f"could not land the kills: {kills}"
        phase, _, target = plan[0].partition(":")
        before = journal_keys(run_dir_of(output) if output.exists() else None)
        started_ns, started = time.time_ns(), time.monotonic()
        proc = spawn(args, isolated_env)
        if phase == "startup":
            delay = rng.uniform(0.05, 3.0)
            time.sleep(delay)
        elif phase == "batch":
            alive = wait_until(lambda: len(journal_keys(run_dir_of(output))) > len(before), proc)
            assert alive, "the run finished before its first batch of this attempt could be seen"
            if not lock_checked:
                check_lock_refuses_second_run(shared_data, output, isolated_env, proc)
                lock_checked = True
            delay = rng.uniform(0.0, 1.5)
            time.sleep(delay)
        else:  # final
            alive = wait_until(lambda: final_write_started(run_dir_of(output), target, started_ns), proc, poll=0.0005)
            delay = rng.uniform(0.0, 0.004)
            time.sleep(delay)
        killed = kill(proc)
        if not killed:
            proc.communicate(timeout=600)
        run_dir = run_dir_of(output)
        manifest = json.loads((run_dir / "manifest.json").read_text()) if run_dir and (
            run_dir / "manifest.json").is_file() else None
        after = journal_keys(run_dir)
        attempts.append({"phase": phase, "killed": killed, "returncode": proc.returncode, "lines_before": len(before),
                         "lines_after": len(after), "status": manifest and manifest["status"],
                         "seconds": round(time.monotonic() - started, 1)})
        if not killed:
            assert proc.returncode == 0, proc.stderr
            continue  # finished before the kill landed: try that phase again
        # A final-phase kill counts only if it landed before the run was recorded complete.
        # (Every attempt rewrites the manifest as running first, so "complete" here is this attempt's own.)
        if phase == "final" and manifest["status"] == "complete":
            continue
        kills.append({"phase": plan[0], "delay_s": round(delay, 3), "journal_lines": len(after),
                      "status": manifest and manifest["status"],
                      "final_files": sorted(f for f in FINAL_FILES if run_dir and (run_dir / f).exists())})
        plan.pop(0)

    # The same command, uninterrupted, finishes the run.
    before = journal_keys(run_dir_of(output))
    last = run_cli(args, env=isolated_env)
    assert last.returncode == 0, last.stderr
    run_dir = run_dir_of(output)
    manifest = json.loads((run_dir / "manifest.json").read_text())
    counts = manifest["counts"]
    print("\nkills:", *kills, "attempts:", *attempts, "final counts:", counts, sep="\n  ")

    assert len(kills) >= 10
    assert {k["phase"].partition(":")[0] for k in kills} == {"startup", "batch", "final"}
    # Killed with some result files already rewritten and the run not yet recorded complete.
    assert any(k["status"] == "running" and k["final_files"] for k in kills if k["phase"].startswith("final"))
    assert any(0 < k["journal_lines"] < counts["unique_requests"] for k in kills)  # killed with work half done

    # Every prompt answered exactly once in the journal; no finished prompt was computed again.
    keys = journal_keys(run_dir)
    assert len(keys) == len(set(keys)) == counts["unique_requests"] == unique_prompts(shared_data)
    assert counts["journal_hits"] == len(before) and counts["cache_hits"] == 0
    assert counts["model_calls"] == counts["unique_requests"] - len(before)
    for a in attempts:  # journal lines only ever grow; a killed attempt loses at most the batch in flight
        assert a["lines_after"] >= a["lines_before"]
    # Every item exactly once in samples.jsonl and in requests.jsonl, each pointing at journal answers.
    samples = [json.loads(line) for line in (run_dir / "samples.jsonl").read_text().splitlines()]
    requests = [json.loads(line) for line in (run_dir / "requests.jsonl").read_text().splitlines()]
    ids = [s["id"] for s in samples]
    assert len(ids) == len(set(ids)) == LIMIT == counts["items"]
    assert [r["id"] for r in requests] == ids
    assert {k for r in requests for k in r["keys"]} == set(keys)
    assert not [p.name for p in run_dir.iterdir() if p.name.startswith(".") and p.name != ".lock"]  # no temp files
    assert run_cli(["validate", str(run_dir)], env=isolated_env).returncode == 0

    # An uninterrupted run of the same command in another directory: byte-identical metrics and samples.
    clean_out = tmp_path / "clean"
    clean = run_cli(command(shared_data, clean_out), env=isolated_env)
    assert clean.returncode == 0, clean.stderr
    clean_dir = run_dir_of(clean_out)
    assert clean_dir.name == run_dir.name
    assert (clean_dir / "metrics.json").read_bytes() == (run_dir / "metrics.json").read_bytes()
    assert (clean_dir / "samples.jsonl").read_bytes() == (run_dir / "samples.jsonl").read_bytes()


# --- multi-file outputs: killed leaderboard, compare and merge leave the complete old or new set ------------

def tree_digest(root: Path) -> dict[str, str] | None:
    import hashlib

    if not root.exists():
        return None
    # What a reader sees: hidden entries (locks, staging directories, the output marker) are not results.
    files = [p for p in sorted(root.rglob("*")) if p.is_file()
             and not any(part.startswith(".") for part in p.relative_to(root).parts)]
    return {str(p.relative_to(root)): hashlib.sha256(p.read_bytes()).hexdigest() for p in files}


def kill_loop(commands: list[list[str]], out: Path, env: dict, attempts: int, seed: int, same=None) -> list[dict]:
    """Run each command once cleanly (its output set), then alternate them, each SIGKILLed at a random
    moment: after every attempt `out` holds the complete set it held before or the attempt's complete set.
    same(state, reference, args) says whether a state is the complete set of args (default: equal digests)."""
    same = same or (lambda state, reference, args: state == reference)
    sets, seconds = [], []
    for args in commands:
        started = time.monotonic()
        done = run_cli(args, env=env)
        assert done.returncode == 0, done.stderr
        seconds.append(time.monotonic() - started)
        sets.append(tree_digest(out))
    assert sets[0] != sets[1]  # the two commands write different sets, so a mix would show
    rng, landed, previous = random.Random(seed), [], sets[1]
    for i in range(attempts):
        args = commands[i % 2]
        proc = spawn(args, env)
        delay = rng.uniform(0.3, max(seconds) * 1.2)
        time.sleep(delay)
        killed = kill(proc)
        if not killed:
            proc.communicate(timeout=300)
        state = tree_digest(out)
        new = same(state, sets[i % 2], args)
        assert state == previous or new, f"after a kill at {delay:.2f}s: neither the old set nor the new one"
        assert killed or new
        landed.append({"delay_s": round(delay, 2), "killed": killed, "new": new})
        previous = state
    assert sum(a["killed"] for a in landed) >= attempts // 2, landed
    return landed


@pytest.fixture(scope="module")
def scored_run(tmp_path_factory, shared_data) -> Path:
    """A finished run from `score` on the shipped example predictions (no model needed)."""
    root = tmp_path_factory.mktemp("scored")
    done = run_cli(["score", "--task", "distributional_moralchoice", "--predictions",
                    str(shared_data / "modular_pluralism" / "distributional_test_moralchoice_example.json"),
                    "--output", str(root)])
    assert done.returncode == 0, done.stderr
    return run_dir_of(root)


def test_killed_leaderboard_and_compare_leave_one_complete_set(scored_run, tmp_path, isolated_env):
    from report_runs import write_run

    board = tmp_path / "board"
    one = write_run(tmp_path / "runs", "m:one", {"jsd_base2": 0.3}, groups={"Japan": {"jsd_base2": 0.2}})
    two = write_run(tmp_path / "runs", "m:two", {"jsd_base2": 0.4}, groups={"Japan": {"jsd_base2": 0.5}})
    landed = kill_loop([["leaderboard", str(one), "--out", str(board)],
                        ["leaderboard", str(one), str(two), "--out", str(board)]], board, isolated_env, 8, SEED)
    print("\nleaderboard kills:", landed)
    study = tmp_path / "study"
    # A copy whose per-item JSD is halved: the two sets differ by the labels written into compare.md and .json.
    other = tmp_path / "other" / scored_run.name
    shutil.copytree(scored_run, other)
    rows = [json.loads(line) for line in (other / "samples.jsonl").read_text().splitlines()]
    for row in rows:
        row["metrics"]["jsd_base2"] /= 2
    (other / "samples.jsonl").write_text("".join(json.dumps(row) + "\n" for row in rows))
    same = ["compare", str(scored_run), str(other), "--out", str(study), "--resamples", "200"]
    landed = kill_loop([same + ["--label-a", "first"], same + ["--label-a", "second"]], study, isolated_env, 8,
                       SEED + 1)
    print("compare kills:", landed)
    assert run_cli(same + ["--label-a", "third"], env=isolated_env).returncode == 0  # clears what the kills left
    assert not [p.name for p in tmp_path.iterdir() if ".staging-" in p.name or ".old-" in p.name]


def _same_merge(merged: Path):
    """A merge's set is its files (the manifest records when and how it ran: compared by its command)."""
    def same(state, reference, args) -> bool:
        manifests = [k for k in state or {} if k.endswith("/manifest.json")]
        if len(manifests) != 1 or {k for k in state if k not in manifests} != {k for k in reference if k not in manifests}:
            return False
        rest = {k: v for k, v in state.items() if k not in manifests}
        manifest = json.loads((merged / manifests[0]).read_text())
        return (rest == {k: v for k, v in reference.items() if k not in manifests} and manifest["status"] == "complete"
                and manifest["command"][1:] == args)
    return same


def test_killed_merge_leaves_one_complete_run(tmp_path, isolated_env, shared_data):
    env = dict(isolated_env, OMP_NUM_THREADS="1")
    common = ["run", "--model", "embedded:smollm2-135m-instruct", "--tasks", "distributional_globalopinionqa",
              "--limit", "6", "--data-dir", str(shared_data), "--no-cache", "--no-progress", "--batch-size", "1"]
    shards = []
    for i in (1, 2):
        done = run_cli(common + ["--shard", f"{i}/2", "--output", str(tmp_path / f"s{i}")], env=env)
        assert done.returncode == 0, done.stderr
        shards.append(run_dir_of(tmp_path / f"s{i}"))
    merged = tmp_path / "merged"
    # The second set differs from the first only by the time and command recorded in the manifest.
    args = ["merge", str(shards[0]), str(shards[1]), "--data-dir", str(shared_data), "--output", str(merged)]
    landed = kill_loop([args, args[:1] + args[1:3][::-1] + args[3:]], merged, env, 6, SEED + 2, _same_merge(merged))
    print("\nmerge kills:", landed)
    run_dir = run_dir_of(merged)
    assert run_cli(["validate", str(run_dir)], env=env).returncode == 0
    # A staging copy a kill left behind is complete, manifest and all: a leaderboard over the results
    # directory must still count the merged run once.
    board = run_cli(["leaderboard", str(merged), "--out", str(tmp_path / "board")], env=env)
    assert board.returncode == 0, board.stderr
    assert "skipped" not in board.stdout + board.stderr
    assert run_cli(args, env=env).returncode == 0  # the next merge clears what the kills left
    assert not [p.name for p in merged.iterdir() if ".staging-" in p.name or ".old-" in p.name]
