"""A damaged journal never costs valid answers: only a torn *last* line is a crash artefact (dropped);
any other unreadable line is reported by file and line, every valid record around it is kept, the
damaged file is kept aside, and commands that only read runs never write to them."""
from __future__ import annotations

import json

import pytest

from conftest import run_cli
from pluralbench.runner.journal import Journal


def write_journal(path, n=10):
    path.write_text("".join(json.dumps({"key": f"k{i}", "output": {"v": i}}) + "\n" for i in range(n)))


def insert_line(path, at: int, text: str):
    lines = path.read_text().splitlines(keepends=True)
    lines.insert(at - 1, text + "\n")
    path.write_text("".join(lines))


@pytest.mark.parametrize("bad", ["garbage {", "[1, 2, 3]", '{"key": 5, "output": 1}', '{"output": 1}'])
def test_a_bad_line_mid_file_keeps_every_valid_record(tmp_path, capsys, bad):
    path = tmp_path / "journal.jsonl"
    write_journal(path)
    insert_line(path, 5, bad)
    original = path.read_bytes()
    journal = Journal(path)
    assert sorted(journal.entries) == sorted(f"k{i}" for i in range(10))
    assert journal.damaged_lines == [5] and not journal.dropped_torn_line
    err = capsys.readouterr().err
    assert str(path) in err and "line 5" in err and "damaged" in err
    assert journal.kept_aside is not None and journal.kept_aside.read_bytes() == original  # nothing lost
    assert len(path.read_text().splitlines()) == 10  # rewritten from the valid records
    again = Journal(path)  # clean now: no second warning
    assert again.damaged_lines == [] and len(again.entries) == 10
    assert capsys.readouterr().err == ""


def test_torn_last_line_is_dropped_quietly(tmp_path, capsys):
    path = tmp_path / "journal.jsonl"
    write_journal(path, 4)
    with path.open("a") as fh:
        fh.write('{"key": "k4", "outp')
    journal = Journal(path)
    assert len(journal.entries) == 4 and journal.dropped_torn_line and journal.damaged_lines == []
    assert path.read_text().endswith("\n") and len(path.read_text().splitlines()) == 4
    assert capsys.readouterr().err == "" and not list(tmp_path.glob("*.damaged-*"))


def test_read_only_journal_never_writes(tmp_path, capsys):
    path = tmp_path / "journal.jsonl"
    write_journal(path)
    insert_line(path, 3, "garbage")
    with path.open("a") as fh:
        fh.write('{"key": "torn')
    before = path.read_bytes()
    journal = Journal(path, writable=False)
    assert len(journal.entries) == 10 and journal.damaged_lines == [3] and journal.dropped_torn_line
    assert path.read_bytes() == before and list(tmp_path.iterdir()) == [path]
    assert "line 3" in capsys.readouterr().err
    with pytest.raises(RuntimeError):
        journal.append({"x": 1})


@pytest.mark.model
@pytest.mark.shared_data
def test_rerun_after_a_garbage_line_recomputes_nothing(tmp_path, isolated_env, shared_data):
    """The hostile-testing repro: a garbage line inserted as line 5 of a finished run's journal."""
    cmd = ["run", "--model", "embedded:smollm2-135m-instruct", "--tasks", "distributional_globalopinionqa",
           "--limit", "40", "--data-dir", str(shared_data), "--output", str(tmp_path / "out"), "--no-progress",
           "--no-cache"]
    first = run_cli(cmd, env=isolated_env)
    assert first.returncode == 0, first.stderr
    (run_dir,) = (tmp_path / "out").iterdir()
    metrics = (run_dir / "metrics.json").read_bytes()
    journal = run_dir / "journal.jsonl"
    assert len(journal.read_text().splitlines()) >= 6
    insert_line(journal, 5, "this is not json")
    second = run_cli(cmd, env=isolated_env)
    assert second.returncode == 0, second.stderr
    assert "line 5" in second.stderr and "journal.jsonl" in second.stderr
    assert json.loads((run_dir / "manifest.json").read_text())["counts"]["model_calls"] == 0
    assert (run_dir / "metrics.json").read_bytes() == metrics
