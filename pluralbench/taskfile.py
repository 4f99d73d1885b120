"""Declarative task files (YAML): discovery, safe loading, schema validation, suites.

Built-in task files live in the repository's `tasks/` directory, installed as the package data
`pluralbench.task_files`. Plugins add directories through the `pluralbench.tasks` entry-point group
(the entry point names a package whose directory holds *.yaml task files). Files are read with
yaml.safe_load: a task file is data, and cannot import or run code. A task file may `include:` a base
(task_include.py).
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import lru_cache
from importlib.resources import files
from pathlib import Path

import yaml

from pluralbench import safe_yaml
from pluralbench.data.loading import check_data_options
from pluralbench.errors import UnknownName, UserError
from pluralbench.registry import metrics, task_families, task_sources
from pluralbench.schemas import validate
from pluralbench.task_include import compose, composed_sha256


@dataclass(frozen=True)
class Task:
    name: str
    version: int
    family: str
    description: str
    data: dict
    prompt: dict
    params: dict
    path: str
    file_sha256: str  # of the file's text and the texts of the files it includes
    citation: str | None = None
    raw: dict = field(default_factory=dict, compare=False, repr=False)

    def family_impl(self):
        family = task_families.get(self.family)
        return family() if isinstance(family, type) else family

    @property
    def data_options(self) -> dict:
        """What the task's data loaders read besides the file (seeds, sizes, thresholds, companion files)."""
        return self.data.get("options", {})


def builtin_task_dirs() -> list[Path]:
    # A source checkout (editable install or PYTHONPATH) reads its own tasks/ directly, so a second
    # checkout never picks up another checkout's task files through the editable-install mapping.
    checkout = Path(__file__).resolve().parent.parent
    if (checkout / "tasks" / "_suites.yaml").is_file() and (checkout / "pyproject.toml").is_file():
        return [checkout / "tasks"]
    packaged = Path(str(files("pluralbench.task_files")))
    return [packaged]


def _plugin_task_dirs() -> list[Path]:
    dirs = []
    for name, target in task_sources.items():
        path = _plugin_dir(target)
        if path is None or not path.is_dir():
            raise UserError(f"task plugin {name!r} points at {path}, which is not a directory")
        dirs.append(path)
    return dirs


def _plugin_dir(target) -> Path | None:
    """The directory a `pluralbench.tasks` entry point names: a package (regular or namespace) or a path."""
    if getattr(target, "__file__", None):
        return Path(target.__file__).parent
    locations = list(getattr(target, "__path__", []))  # a namespace package has no __file__
    if locations:
        return Path(locations[0])
    return None if hasattr(target, "__name__") else Path(str(target))


def read_yaml(path: Path):
    """(data, text) of a task file or leaderboard spec: safe YAML within safe_yaml's size, depth and alias limits."""
    try:
        safe_yaml.check_size(path)
    except safe_yaml.YAMLLimitError as exc:
        raise UserError(f"{path}: {exc}") from None
    raw = path.read_bytes()
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = raw[:exc.start].count(b"\n") + 1
        raise UserError(f"{path}: not valid UTF-8 (byte {exc.start}, line {line})") from None
    try:
        return safe_yaml.load(text), text
    except safe_yaml.YAMLLimitError as exc:
        raise UserError(f"{path}: {exc}") from None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" at line {mark.line + 1} column {mark.column + 1}" if mark else ""
        problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
        tag = _UNSAFE_TAG.search(problem) if isinstance(exc, yaml.constructor.ConstructorError) else None
        if tag:  # !!python/object/apply:..., !function ...: safe_load refused to build it, nothing ran
            raise UserError(f"{path}{where}: YAML tag {tag.group(1)!r} is not allowed; these files are plain data "
                            "and cannot import or run code (code comes only from plugins installed as Python "
                            "packages)") from None
        raise UserError(f"{path}: malformed YAML{where}: {problem}") from None


_UNSAFE_TAG = re.compile(r"could not determine a constructor for the tag '([^']*)'")


def load_task_file(path: Path) -> Task:
    raw, texts = compose(path, read_yaml, _task_path)
    validate(raw, "task", str(path))
    try:
        family = task_families.get(raw["family"])
    except UnknownName as exc:  # only registered names: a task file cannot point at a module to import
        raise UserError(f"{path} $.family: {exc}") from None
    schema = getattr(family, "params_schema", {"type": "object"})
    validate(raw.get("params", {}), schema, f"{path} (params)")
    check_metric_names(raw.get("params", {}), path, getattr(family, "metric_slots", {}))
    check_data_options(raw["data"], path)
    return Task(name=raw["name"], version=raw["version"], family=raw["family"], description=raw["description"],
                data=raw["data"], prompt=raw.get("prompt", {}), params=raw.get("params", {}), path=str(path),
                file_sha256=composed_sha256(texts), citation=raw.get("citation"), raw=raw)


def _metric_references(node, where: str):
    """(JSON path, name, the mapping that names it) of every metric a task's params name: `metric:` keys
    anywhere, and welfare `function:`s."""
    if isinstance(node, dict):
        for key, value in node.items():
            if key == "metric" and isinstance(value, str):
                yield f"{where}.{key}", value, node
            elif key == "welfare" and isinstance(value, list):
                for i, spec in enumerate(value):
                    if isinstance(spec, dict) and isinstance(spec.get("function"), str):
                        yield f"{where}.welfare[{i}].function", spec["function"], spec
            else:
                yield from _metric_references(value, f"{where}.{key}")
    elif isinstance(node, list):
        for i, value in enumerate(node):
            yield from _metric_references(value, f"{where}[{i}]")


_LIST_INDEX = re.compile(r"\[\d+\]")


def check_metric_names(params: dict, path, slots: dict | None = None) -> None:
    """Metric names resolve when the task file loads (before data or model), only through the registry:
    a task file cannot name a module or function to import. Where the family says what a place needs
    (`slots`: JSON path, [*] for any list index -> MetricSlot), the metric must fit it; a `direction`
    stated next to a metric must be the metric's own."""
    for where, name, holder in _metric_references(params, "$"):
        try:
            metric = metrics.get(name)
        except UserError as exc:  # an unknown name, or a plugin metric that failed to load or is undeclared
            raise UserError(f"{path} (params) {where}: {exc}") from None
        slot = (slots or {}).get(_LIST_INDEX.sub("[*]", where))
        problem = slot.problem(metric) if slot else None
        if problem:
            raise UserError(f"{path} (params) {where}: {problem}")
        stated = holder.get("direction", metric.direction)
        if stated != metric.direction:
            raise UserError(f"{path} (params) {where.rpartition('.')[0]}.direction: {stated!r} contradicts metric "
                            f"{name!r}, for which {metric.better}; leave direction out, it comes from the metric")


@lru_cache(maxsize=1)
def _task_paths() -> dict[str, Path]:
    found: dict[str, Path] = {}
    for directory in builtin_task_dirs() + _plugin_task_dirs():
        for path in sorted(directory.glob("*.yaml")):
            if path.name.startswith("_"):
                continue
            found.setdefault(path.stem, path)  # built-ins first: a plugin cannot shadow a built-in task
    return found


def task_names() -> list[str]:
    return sorted(_task_paths())


def _task_path(name: str) -> Path:
    paths = _task_paths()
    if name not in paths:
        raise UnknownName("task", name, list(paths))
    return paths[name]


def get_task(name: str) -> Task:
    candidate = Path(name)
    if candidate.suffix in (".yaml", ".yml") and candidate.is_file():
        return load_task_file(candidate)  # a task file given by path
    path = _task_path(name)
    task = load_task_file(path)
    if task.name != name:
        raise UserError(f"{path}: name {task.name!r} differs from the file name {name!r}")
    return task


def suites() -> dict[str, dict]:
    out: dict[str, dict] = {}
    for directory in builtin_task_dirs():
        path = directory / "_suites.yaml"
        if path.is_file():
            data, _ = read_yaml(path)
            out.update(data or {})
    return out


def expand_tasks(spec: str) -> tuple[list[str], int | None]:
    """'a,b' or a suite name -> (task names, the suite's default limit or None)."""
    names = [s.strip() for s in spec.split(",") if s.strip()]
    if not names:
        raise UserError("--tasks is empty")
    known_suites = suites()
    if len(names) == 1 and names[0] in known_suites:
        suite = known_suites[names[0]]
        return list(suite["tasks"]), suite.get("limit")
    out = []
    for name in names:
        if name in known_suites:
            out.extend(known_suites[name]["tasks"])
        else:
            out.append(name)
    return list(dict.fromkeys(out)), None
