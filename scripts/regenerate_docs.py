"""Rewrite the generated parts of the docs: docs/cli.md and the tasks and metrics tables in docs/tasks.md.

    .venv/bin/python scripts/regenerate_docs.py

tests/unit/test_docs_tables.py fails when a committed copy is stale; this is the fix it names."""
from pathlib import Path

from pluralbench.cli_reference import reference
from pluralbench.commands.tasks import metrics_markdown, tasks_markdown
from pluralbench.taskfile import builtin_task_dirs

DOCS = Path(__file__).resolve().parents[1] / "docs"


def replace_between(text: str, kind: str, table: str) -> str:
    start, end = f"<!-- {kind}-table:start -->\n", f"<!-- {kind}-table:end -->"
    return text[:text.index(start) + len(start)] + table + text[text.index(end):]


def main() -> None:
    tasks = sorted(p.stem for d in builtin_task_dirs() for p in d.glob("*.yaml") if not p.name.startswith("_"))
    page = DOCS / "tasks.md"
    text = replace_between(page.read_text(encoding="utf-8"), "tasks", tasks_markdown(tasks))
    page.write_text(replace_between(text, "metrics", metrics_markdown()), encoding="utf-8")
    (DOCS / "cli.md").write_text(reference(), encoding="utf-8")


if __name__ == "__main__":
    main()
