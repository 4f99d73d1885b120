"""pluralbench tasks: list tasks and suites."""
from __future__ import annotations


def register(sub) -> None:
    p = sub.add_parser("tasks", help="list tasks and suites")
    p.set_defaults(handler=handle)


def handle(args) -> int:
    from pluralbench.taskfile import get_task, suites, task_names

    names = task_names()
    width = max((len(n) for n in names), default=10)
    print("tasks:")
    for name in names:
        task = get_task(name)
        print(f"  {name:<{width}}  v{task.version}  {task.description}")
    print("suites (use as --tasks NAME):")
    for name, suite in sorted(suites().items()):
        limit = f", limit {suite['limit']}" if suite.get("limit") else ""
        print(f"  {name:<{width}}  {', '.join(suite['tasks'])}{limit}: {suite.get('description', '')}")
    return 0
