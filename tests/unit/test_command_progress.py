"""The whole command's progress line and end-of-command table, pinned on hand-made inputs."""
import io
from pathlib import Path

from pluralbench.runner.command_progress import CommandProgress, eta_seconds, format_duration
from pluralbench.runner.command_summary import reference_cell, summary_table


def _metrics(value, refs=None):
    m = {"headline": "jsd", "overall": {"jsd": {"value": value, "ci_low": value - 0.1, "ci_high": value + 0.1}}}
    return m | ({"reference_points": refs} if refs is not None else {})


def test_eta_is_the_pace_of_the_tasks_that_ran():
    assert eta_seconds(0, 0.0, 100) is None
    assert eta_seconds(200, 80.0, 300) == 120.0
    assert [format_duration(s) for s in (None, 59.6, 125, 3725)] == ["?", "1m00s", "2m05s", "1h02m"]


def test_non_terminal_stream_gets_one_plain_line_per_task_and_one_task_gets_none():
    stream = io.StringIO()
    progress = CommandProgress([200, 100, 300], enabled=True, stream=stream)
    progress.start(1, "a")
    progress.done(200, paced=False)  # answered from its run directory: no pace yet
    progress.start(2, "b")
    progress._t0 -= 40.0  # task b took 40 s
    progress.done(100, paced=True)
    progress.start(3, "c")
    assert stream.getvalue().splitlines() == [
        "pluralbench: task 1 of 3: a | 0 of 600 items done | ETA ?",
        "pluralbench: task 2 of 3: b | 200 of 600 items done | ETA ?",
        "pluralbench: task 3 of 3: c | 300 of 600 items done | ETA 2m00s",  # 300 items at 0.4 s each
    ]
    single, off = io.StringIO(), io.StringIO()
    CommandProgress([5], enabled=True, stream=single).start(1, "a")
    CommandProgress([5, 5], enabled=False, stream=off).start(1, "a")
    assert single.getvalue() == off.getvalue() == ""


def test_reference_cell_shows_uniform_and_the_first_human_floor():
    refs = {"jsd": {"uniform": {"value": 0.41234}, "modal": {"value": 0.7}, "split_half": {"value": 0.05},
                    "sampling_floor": {"value": 0.08}}}
    assert reference_cell(_metrics(0.3, refs)) == "uniform 0.4123; sampling_floor 0.0800"
    assert reference_cell(_metrics(0.3, {"jsd": {"uniform": {"value": 0.5}}})) == "uniform 0.5000"
    assert reference_cell(_metrics(0.3, {"other": {"uniform": {"value": 0.5}}})) == "-"
    assert reference_cell(_metrics(0.3)) == "-"


def test_summary_table_aligns_every_task():
    text = summary_table([("first_task", _metrics(0.25), Path("/r/first")),
                          ("t2", _metrics(0.5, {"jsd": {"uniform": {"value": 0.6}}}), Path("/r/t2"))])
    lines = text.splitlines()
    assert lines[0].split() == ["task", "headline", "value", "[95%", "CI]", "reference", "points", "run", "directory"]
    assert lines[2].split("  ")[0] == "first_task" and lines[3].startswith("t2         ")
    assert "0.2500 [0.1500, 0.3500]" in lines[2] and lines[2].endswith("/r/first")
    assert "uniform 0.6000" in lines[3] and lines[3].endswith("/r/t2")
    assert len({line.index("/r/") for line in lines[2:]}) == 1  # the run directory column lines up
