"""Declared metrics: every metric in the registry says what it takes (its kind), which way is better (its
direction), the range of its values (bounds) and what it measures, in one line.

Kinds, and the call each one means (the model's side always comes first, the reference second):

    distribution_pair  fn(model distribution, reference distribution, **params) -> float
    distribution       fn(distribution, **params) -> float
    labels             fn(predicted labels, gold labels, **params) -> float
    separation         fn(scores, is_positive) -> float
    welfare            fn(utilities (jurors x items), juror weights=None, **params) -> one welfare per item

A metric is declared next to its function with `@declare_metric(name, kind, direction=..., bounds=...,
description=...)`, which registers it in `pluralbench.registry.metrics`; looking a name up there returns
its `DeclaredMetric`, which calls the function when called. Task families say which kind they need at
each place a task file names a metric (`TaskFamily.metric_slots`), and the task file is refused when it
loads if a name there has another kind: accuracy among GlobalOpinionQA's distribution metrics would
otherwise score every item 0. Results take a metric's direction from here; a task file may restate it
(`direction:` next to `metric:`), and one that states another is refused.

Plugins declare their metrics the same way and name the decorated function in the `pluralbench.metrics`
entry-point group (loading the entry point runs the decorator). A plain function without a declaration
is refused with a one-line error saying how to declare it: with no kind, nothing could check where a
task file may use it, and with no direction, results could not say which way is better.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

from pluralbench.errors import UserError
from pluralbench.registry import metrics

KINDS = {
    "distribution_pair": "fn(model distribution, reference distribution, **params) -> float",
    "distribution": "fn(distribution, **params) -> float",
    "labels": "fn(predicted labels, gold labels, **params) -> float",
    "separation": "fn(scores, is_positive) -> float",
    "welfare": "fn(utilities as jurors x items, juror weights, **params) -> one welfare per item",
}
DIRECTIONS = ("higher", "lower", None)  # None: a descriptive value (entropy) that is neither better nor worse


@dataclass(frozen=True)
class DeclaredMetric:
    """A registered metric; calling it calls `fn`."""
    name: str
    fn: Callable
    kind: str
    direction: str | None
    # Every value lies in [low, high] (for Jensen-Shannon: with the log bases task files use, 2 and e);
    # None when the range depends on the inputs (welfare lies between the jurors' utilities).
    bounds: tuple[float, float] | None
    description: str

    def __post_init__(self):
        if self.kind not in KINDS:
            raise ValueError(f"metric {self.name!r}: unknown kind {self.kind!r}; kinds: {', '.join(KINDS)}")
        if self.direction not in DIRECTIONS:
            raise ValueError(f"metric {self.name!r}: direction must be 'higher', 'lower' or None, "
                             f"not {self.direction!r}")
        if self.bounds is not None and not self.bounds[0] < self.bounds[1]:
            raise ValueError(f"metric {self.name!r}: bounds {self.bounds} need low < high")

    def __call__(self, *args, **kwargs):
        return self.fn(*args, **kwargs)

    @property
    def better(self) -> str:
        """Which values are better, in words (for messages)."""
        return f"{self.direction} is better" if self.direction else "no direction is better (descriptive)"


def declare_metric(name: str, kind: str, *, direction: str | None, description: str,
                   bounds: tuple[float, float] | None = None):
    """Decorator: declare `fn` as metric `name` and register it; `fn` itself is returned unchanged."""

    def declare(fn: Callable) -> Callable:
        metric = DeclaredMetric(name, fn, kind, direction, None if bounds is None else tuple(bounds), description)
        fn.declared_metric = metric  # what an entry point naming fn resolves to
        metrics.register(name, metric)
        return fn

    return declare


def admit(name: str, obj) -> DeclaredMetric:
    """The metric registry's check on every entry (built-in or plugin): only declared metrics go in."""
    metric = obj if isinstance(obj, DeclaredMetric) else getattr(obj, "declared_metric", None)
    if metric is None:
        origin = f"{getattr(obj, '__module__', '?')}.{getattr(obj, '__qualname__', type(obj).__name__)}"
        raise UserError(f"metric {name!r} ({origin}) is not declared: decorate it with "
                        f"@pluralbench.metrics.declared.declare_metric({name!r}, kind, direction=..., "
                        f"description=...) where kind is one of {', '.join(KINDS)}")
    if metric.name != name:
        raise UserError(f"metric registered as {name!r} is declared as {metric.name!r}; use one name for both")
    return metric


def direction_of(name: str) -> str | None:
    """'higher' / 'lower' (which value is better) or None for a descriptive metric."""
    return metrics.get(name).direction


def names_of_kind(kind: str) -> list[str]:
    return [name for name, metric in metrics.items() if metric.kind == kind]


@dataclass(frozen=True)
class MetricSlot:
    """What a task family needs of the metric a task file names at one place: its kind and, where the
    family relies on it (a juror's utility must grow with agreement), its direction."""
    kind: str
    direction: str | None = None

    def problem(self, metric: DeclaredMetric) -> str | None:
        """Why `metric` cannot fill this slot, in words, or None when it can."""
        if metric.kind != self.kind:
            return (f"metric {metric.name!r} is a {metric.kind} metric, but this place needs a {self.kind} metric, "
                    f"{KINDS[self.kind]} (registered: {', '.join(names_of_kind(self.kind)) or 'none'})")
        if self.direction and metric.direction != self.direction:
            return (f"for metric {metric.name!r} {metric.better}, but this place needs a {self.kind} metric for "
                    f"which {self.direction} is better")
        return None
