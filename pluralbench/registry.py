"""Named plugins: tasks, task families, model adapters, metrics, judges.

Built-ins register themselves in code; third-party packages add more through the entry-point
groups `pluralbench.<kind>` (e.g. `pluralbench.models`), loaded lazily on first lookup.
"""
from __future__ import annotations

import importlib
from importlib.metadata import entry_points
from typing import Any, Iterator

from pluralbench.errors import UnknownName, UserError


class Registry:
    def __init__(self, kind: str, group: str, builtins: tuple[str, ...] = (), admit: str | None = None):
        self.kind = kind
        self.group = group
        self._builtins = builtins  # modules whose import registers the built-in entries
        # "module:function" called as function(name, obj) on every entry, built-in or plugin, returning what
        # is stored or raising UserError; named rather than imported, as that module imports this one.
        self._admit = admit
        self._items: dict[str, Any] = {}
        self._entry_points_loaded = False

    def register(self, name: str, obj: Any = None, *, replace: bool = False):
        """Register obj under name; usable as a decorator when obj is omitted (it returns obj unchanged)."""

        def add(target):
            entry = self._admitted(name, target)
            if name in self._items and not replace and self._items[name] is not entry:
                raise UserError(f"{self.kind} {name!r} is registered twice")
            self._items[name] = entry
            return target

        return add if obj is None else add(obj)

    def _admitted(self, name: str, obj: Any) -> Any:
        if self._admit is None:
            return obj
        module, _, function = self._admit.partition(":")
        return getattr(importlib.import_module(module), function)(name, obj)

    def _load_entry_points(self) -> None:
        if self._entry_points_loaded:
            return
        self._entry_points_loaded = True
        for module in self._builtins:
            importlib.import_module(module)
        for ep in entry_points(group=self.group):
            if ep.name in self._items:
                continue  # built-ins win; a plugin cannot shadow them silently
            try:
                loaded = ep.load()
            except Exception as exc:  # a broken plugin must not break every command
                raise UserError(f"{self.kind} plugin {ep.name!r} ({ep.value}) failed to load: {exc}") from exc
            self._items[ep.name] = self._admitted(ep.name, loaded)

    def get(self, name: str) -> Any:
        if name not in self._items:
            self._load_entry_points()
        if name not in self._items:
            raise UnknownName(self.kind, name, list(self._items))
        return self._items[name]

    def names(self) -> list[str]:
        self._load_entry_points()
        return sorted(self._items)

    def items(self) -> Iterator[tuple[str, Any]]:
        for name in self.names():
            yield name, self._items[name]

    def __contains__(self, name: str) -> bool:
        self._load_entry_points()
        return name in self._items


model_kinds = Registry("model kind", "pluralbench.models", ("pluralbench.models",))
task_families = Registry("task family", "pluralbench.task_families", ("pluralbench.families",))
# Metrics are declared with their kind, direction and bounds (pluralbench/metrics/declared.py).
metrics = Registry("metric", "pluralbench.metrics", ("pluralbench.metrics",),
                   admit="pluralbench.metrics.declared:admit")
judges = Registry("judge", "pluralbench.judges", ("pluralbench.judges",))
# How a distribution over options is read out of a model (log-prob today; see pluralbench/elicitation).
elicitation_methods = Registry("elicitation method", "pluralbench.elicitation_methods", ("pluralbench.elicitation",))
data_formats = Registry("data format", "pluralbench.data_formats", ("pluralbench.data",))
# Functions that fold a model's normalised objective scores into one number (leaderboard re-ranking).
commensurators = Registry("commensurating function", "pluralbench.commensurators", ("pluralbench.report.commensurate",))
# Entry points in `pluralbench.tasks` name a package (or directory) holding task YAML files.
task_sources = Registry("task source", "pluralbench.tasks")

