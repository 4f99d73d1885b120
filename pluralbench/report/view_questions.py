"""The text of each item's question. Most families' samples.jsonl rows hold only the prompt's hash, so the
text is read back from the run's task data, found where the manifest says it was, and used only when the
task file and the data still hash to what the run recorded (otherwise the text could be another item's)."""
from __future__ import annotations

import os
from functools import lru_cache
from pathlib import Path

from pluralbench.errors import UserError
from pluralbench.report.results import RunResult

# Where a row or a data item keeps the text a person was asked about, most specific first.
QUESTION_FIELDS = ("question", "prompt", "dilemma", "dialogue", "description", "text", "situation")


def question_of(record: dict) -> str | None:
    for field in QUESTION_FIELDS:
        value = record.get(field)
        if isinstance(value, str) and value.strip():
            return value
    return None


def question_texts(run: RunResult, data_dir: Path | None) -> tuple[dict[str, str], str | None]:
    """{item id: question text} for the run's task, and a note when the texts could not be had."""
    task_info, source = run.manifest.get("task", {}), run.manifest.get("data", {}).get("source", {})
    if source.get("kind") != "local":
        return {}, f"{run.run_id}: question texts not shown (data came from {source.get('kind', 'an unknown source')})"
    try:
        return _texts(task_info.get("file") or "", task_info.get("file_sha256") or "", run.task,
                      str(_data_dir(source, data_dir) or ""), run.metrics["task"]["data_sha256"]), None
    except (UserError, OSError, ValueError) as exc:
        return {}, f"{run.run_id}: question texts not shown ({exc})"


def _data_dir(source: dict, given: Path | None) -> Path | None:
    """The data directory to read: --data-dir when given, else where the run read its data (the recorded
    path, less the task's relative path: see _texts), else $PLURALBENCH_DATA."""
    if given is not None:
        return given
    if source.get("path") and Path(source["path"]).exists():
        return Path(source["path"])
    return Path(os.environ["PLURALBENCH_DATA"]) if os.environ.get("PLURALBENCH_DATA") else None


@lru_cache(maxsize=8)
def _texts(task_file: str, task_sha256: str, task_name: str, data: str, data_sha256: str) -> dict[str, str]:
    from pluralbench.data import load_task_data
    from pluralbench.runner.execute import loader_context
    from pluralbench.taskfile import get_task, load_task_file

    task = load_task_file(Path(task_file)) if task_file and Path(task_file).is_file() else get_task(task_name)
    if task.file_sha256 != task_sha256:
        raise UserError(f"task file {task.path} changed since the run")
    local_path = (task.data.get("local") or {}).get("path", "")
    data_dir = Path(data)
    if local_path and data.endswith(local_path.rstrip("/")):  # the recorded file itself: strip its relative path
        data_dir = Path(data[: len(data) - len(local_path.rstrip("/"))])
    dataset = load_task_data(task.data, loader_context(task, data_dir))
    if dataset.sha256 != data_sha256:
        raise UserError(f"the data under {data_dir} differs from the run's (sha256 {dataset.sha256[:12]})")
    return {str(item["id"]): text for item in dataset.items if (text := question_of(item))}
