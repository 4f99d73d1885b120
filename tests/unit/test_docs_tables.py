"""The generated tables of docs/tasks.md and docs/cli.md are current, and the headline each family names for a task is the one
its metrics.json states (checked against the stored golden outputs of every shipped task that has one)."""
import json
from pathlib import Path

import pytest

from pluralbench.commands.tasks import metrics_markdown, tasks_markdown
from pluralbench.taskfile import builtin_task_dirs, get_task

ROOT = Path(__file__).resolve().parents[2]
TASKS_DOC = ROOT / "docs" / "tasks.md"
GOLDEN = ROOT / "tests" / "golden" / "outputs"
REGENERATE = "regenerate it: .venv/bin/python scripts/regenerate_docs.py"


def builtin_tasks() -> list[str]:
    return sorted(p.stem for d in builtin_task_dirs() for p in d.glob("*.yaml") if not p.name.startswith("_"))


def committed_table(kind: str) -> str:
    text = TASKS_DOC.read_text(encoding="utf-8")
    start, end = f"<!-- {kind}-table:start -->\n", f"<!-- {kind}-table:end -->"
    assert start in text and end in text, f"docs/tasks.md lost its {kind} table markers"
    return text[text.index(start) + len(start):text.index(end)]


def test_tasks_table_is_current():
    assert committed_table("tasks") == tasks_markdown(builtin_tasks()), REGENERATE.format(kind="tasks")


def test_metrics_table_is_current():
    assert committed_table("metrics") == metrics_markdown(), REGENERATE.format(kind="metrics")


def test_every_shipped_task_has_a_row_with_its_suites():
    rows = {line.split("|")[1].strip(" `"): line for line in committed_table("tasks").splitlines()[2:]}
    assert sorted(rows) == builtin_tasks()
    assert "`quick` (first 200)" in rows["distributional_globalopinionqa"]
    assert "`jury`" in rows["jury_polis"] and "`tradeoff`" not in rows["jury_polis"]


def test_the_cli_prints_the_tables(capsys):
    """`pluralbench tasks --markdown` is the command the page names; plain `tasks` still lists one line each."""
    from pluralbench.cli import main

    def cli(*args):
        assert main(["tasks", *args]) == 0
        return capsys.readouterr().out
    assert cli("--markdown") == tasks_markdown(builtin_tasks())
    assert cli("--markdown", "metrics") == metrics_markdown()
    assert cli().startswith("tasks:\n")


def test_cli_reference_is_current():
    from pluralbench.cli_reference import reference

    committed = (ROOT / "docs" / "cli.md").read_text(encoding="utf-8")
    assert committed == reference(), "regenerate it: .venv/bin/python scripts/regenerate_docs.py"
    assert "| `--on-long-prompt {skip,truncate,error}` | `skip` |" in committed  # a row reads as the parser says


def golden_metrics():
    """(task name, metrics.json) of every golden run or re-score of a shipped task."""
    for directory in sorted(GOLDEN.iterdir()):
        name = directory.name.removeprefix("rescore_").split("__")[0]
        if name in builtin_tasks() and (directory / "metrics.json").is_file():
            yield pytest.param(name, json.loads((directory / "metrics.json").read_text()), id=directory.name)


@pytest.mark.parametrize("task_name,metrics", list(golden_metrics()))
def test_headline_metric_is_what_metrics_json_states(task_name, metrics):
    task = get_task(task_name)
    name, direction = task.family_impl().headline_metric(task)
    assert name == metrics["headline"]
    assert direction == metrics["overall"][name].get("direction")  # a descriptive number has none


def test_mpi_headline_follows_a_human_distribution_file():
    from dataclasses import replace

    task = get_task("distributional_mpi")
    with_humans = replace(task, data={**task.data, "options": {"human_distributions": "mpi/human.json"}})
    assert task.family_impl().headline_metric(task) == ("normalised_entropy", None)
    assert task.family_impl().headline_metric(with_humans) == ("jsd_base2", "lower")
