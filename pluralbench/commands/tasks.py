"""pluralbench tasks: list tasks and suites (--markdown: the tasks table of docs/tasks.md)."""
from __future__ import annotations

ARROWS = {"lower": "↓ lower is better", "higher": "↑ higher is better", None: "descriptive"}


def register(sub) -> None:
    p = sub.add_parser("tasks", help="list tasks and suites")
    p.add_argument("--markdown", nargs="?", const="tasks", choices=["tasks", "metrics"],
                   help="print a table of docs/tasks.md: the tasks (family, suites, data, headline metric; the "
                        "default) or the declared metrics")
    p.set_defaults(handler=handle)


def handle(args) -> int:
    from pluralbench.taskfile import get_task, suites, task_names

    names = task_names()
    if args.markdown:
        print(tasks_markdown(names) if args.markdown == "tasks" else metrics_markdown(), end="")
        return 0
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


def tasks_markdown(names: list[str]) -> str:
    """One row per task, read from the task files and their families; tests compare it with docs/tasks.md."""
    from pluralbench.taskfile import get_task, suites

    in_suites: dict[str, list[str]] = {}
    for suite_name, suite in sorted(suites().items()):
        limit = f" (first {suite['limit']})" if suite.get("limit") else ""
        for task_name in suite["tasks"]:
            in_suites.setdefault(task_name, []).append(f"`{suite_name}`{limit}")
    lines = ["| task | family | suites | items from (data directory; hub) | headline metric |",
             "|---|---|---|---|---|"]
    for name in names:
        task = get_task(name)
        headline, direction = task.family_impl().headline_metric(task)
        lines.append(f"| `{name}` | `{task.family}` | {', '.join(in_suites.get(name, [])) or '—'} | "
                     f"{_source(task.data)} | `{headline}` ({ARROWS[direction]}) |")
    return "\n".join(lines) + "\n"


def _source(data: dict) -> str:
    local = (data.get("local") or {}).get("path")
    hub = (data.get("hub") or {}).get("path")
    parts = [f"`{local}`" if local else "no local file", f"hub `{hub}`" if hub else "offline only"]
    return "; ".join(parts)


def metrics_markdown() -> str:
    """The metric registry's declarations (built-in and installed plugins) as a Markdown table."""
    import pluralbench.metrics  # noqa: F401  (registers the built-in metrics)
    from pluralbench.registry import metrics

    lines = ["| metric | kind | direction | bounds | what it is |", "|---|---|---|---|---|"]
    for name, metric in sorted(metrics.items()):
        bounds = _interval(metric.bounds)
        lines.append(f"| `{name}` | `{metric.kind}` | {ARROWS[metric.direction]} | {bounds} | {metric.description} |")
    return "\n".join(lines) + "\n"


def _interval(bounds) -> str:
    if bounds is None:
        return "—"  # the range depends on the inputs
    low, high = bounds
    return f"[{low}, ∞)" if high == float("inf") else f"[{low}, {high}]"
