"""Leaderboard spec files: YAML validated by schemas/leaderboard.schema.json, then cross-checked.

Shipped specs live in the repository's `leaderboards/` (installed as pluralbench.leaderboard_specs);
`--spec` takes a path or the name of a shipped spec.
"""
from __future__ import annotations

from dataclasses import dataclass, field, replace
from importlib.resources import files
from itertools import combinations
from pathlib import Path

from pluralbench.errors import UnknownName, UserError
from pluralbench.registry import commensurators
from pluralbench.schemas import validate
from pluralbench.taskfile import read_yaml

DEFAULT_SPEC = "default"
MAX_DEFAULT_PAIRS = 15


@dataclass(frozen=True)
class Objective:
    name: str
    task: str
    path: tuple[str, ...]
    direction: str
    label: str
    description: str = ""
    bounds: tuple[float, float] | None = None
    where: dict = field(default_factory=dict)
    allow_mixed: frozenset = frozenset()

    @property
    def metric_path(self) -> str:
        return ".".join(self.path)


@dataclass(frozen=True)
class Commensurator:
    name: str
    function: str
    objectives: tuple[str, ...]
    normalise: str
    params: dict
    label: str
    description: str = ""


@dataclass(frozen=True)
class GroupView:
    name: str
    task: str
    by: str
    metric: str
    label: str
    top: int
    objective: str | None


@dataclass(frozen=True)
class LeaderboardSpec:
    name: str
    description: str
    path: str
    objectives: tuple[Objective, ...]
    commensurating: tuple[Commensurator, ...]
    groups: tuple[GroupView, ...]
    pareto_pairs: tuple[tuple[str, str], ...]
    allow_mixed: frozenset = frozenset()
    default_pairs: bool = False  # pareto_pairs were not given in the file but derived from the objectives

    def objective(self, name: str) -> Objective:
        return next(o for o in self.objectives if o.name == name)

    def restricted_to(self, names: set[str]) -> "LeaderboardSpec":
        """The spec over the objectives in `names` only: commensurating functions lose the others (and
        their weights), functions left with none are dropped, and so are group views and scatter pairs
        of a dropped objective. For boards on which some objectives have no run at all."""
        functions = []
        for f in self.commensurating:
            kept = tuple(n for n in f.objectives if n in names)
            if not kept:
                continue
            params = dict(f.params)
            if isinstance(params.get("weights"), dict):
                params["weights"] = {n: w for n, w in params["weights"].items() if n in names}
                if not any(params["weights"].values()):
                    continue  # only zero-weight objectives left: nothing to rank by
            functions.append(replace(f, objectives=kept, params=params))
        objectives = tuple(o for o in self.objectives if o.name in names)
        if self.default_pairs:
            pairs = tuple(combinations([o.name for o in objectives], 2))[:MAX_DEFAULT_PAIRS]
        else:
            pairs = tuple(p for p in self.pareto_pairs if p[0] in names and p[1] in names)
        return replace(self, objectives=objectives, commensurating=tuple(functions), pareto_pairs=pairs,
                       groups=tuple(g for g in self.groups if g.objective is None or g.objective in names))


def shipped_spec_dir() -> Path:
    # A source checkout reads its own leaderboards/ (as taskfile does for tasks/).
    checkout = Path(__file__).resolve().parent.parent.parent
    if (checkout / "leaderboards" / f"{DEFAULT_SPEC}.yaml").is_file() and (checkout / "pyproject.toml").is_file():
        return checkout / "leaderboards"
    return Path(str(files("pluralbench.leaderboard_specs")))


def shipped_spec_names() -> list[str]:
    return sorted(p.stem for p in shipped_spec_dir().glob("*.yaml"))


def resolve_spec_path(spec: str | None) -> Path:
    if spec is None:
        spec = DEFAULT_SPEC
    candidate = Path(spec)
    if candidate.suffix in (".yaml", ".yml") or candidate.exists():
        if not candidate.is_file():
            raise UserError(f"{candidate}: no such leaderboard spec file")
        return candidate
    path = shipped_spec_dir() / f"{spec}.yaml"
    if not path.is_file():
        raise UnknownName("leaderboard spec", spec, shipped_spec_names())
    return path


def _metric_path(metric) -> tuple[str, ...]:
    if isinstance(metric, list):
        return tuple(metric)
    parts = tuple(metric.split("."))
    return ("overall", *parts) if len(parts) == 1 else parts


def load_spec(spec: str | None = None) -> LeaderboardSpec:
    path = resolve_spec_path(spec)
    raw, _ = read_yaml(path)
    if not isinstance(raw, dict):
        raise UserError(f"{path}: a leaderboard spec must be a YAML mapping")
    validate(raw, "leaderboard", str(path))
    where = str(path)

    spec_mixed = frozenset(raw.get("allow_mixed", []))
    objectives = [_objective(i, o, where, spec_mixed) for i, o in enumerate(raw["objectives"])]
    names = [o.name for o in objectives]
    _unique(names, where, "objectives")
    functions = [_commensurator(i, c, where, objectives) for i, c in enumerate(raw.get("commensurating", []))]
    _unique([f.name for f in functions], where, "commensurating")
    groups = [_group_view(i, g, where, set(names)) for i, g in enumerate(raw.get("groups", []))]
    _unique([g.name for g in groups], where, "groups")
    pairs = raw.get("figures", {}).get("pareto")
    default_pairs = pairs is None
    if pairs is None:
        pairs = list(combinations(names, 2))[:MAX_DEFAULT_PAIRS]
    _check_pairs(pairs, where, set(names))
    return LeaderboardSpec(name=raw["name"], description=raw.get("description", ""), path=str(path),
                           objectives=tuple(objectives), commensurating=tuple(functions), groups=tuple(groups),
                           pareto_pairs=tuple((a, b) for a, b in pairs), allow_mixed=spec_mixed,
                           default_pairs=default_pairs)


def _objective(i: int, o: dict, where: str, spec_mixed: frozenset) -> Objective:
    bounds = tuple(o["bounds"]) if "bounds" in o else None
    if bounds is not None and bounds[0] >= bounds[1]:
        raise UserError(f"{where}: $.objectives[{i}].bounds: the low bound must be below the high bound")
    return Objective(
        name=o["name"], task=o["task"], path=_metric_path(o["metric"]), direction=o["direction"],
        label=o.get("label", o["name"]), description=o.get("description", ""), bounds=bounds,
        where=dict(o.get("where", {})), allow_mixed=spec_mixed | frozenset(o.get("allow_mixed", [])))


def _commensurator(i: int, c: dict, where: str, objectives: list[Objective]) -> Commensurator:
    at = f"{where}: $.commensurating[{i}]"
    try:
        fn = commensurators.get(c["function"])
    except UnknownName as exc:
        raise UserError(f"{at}.function: {exc}") from None
    by_name = {o.name: o for o in objectives}
    used = tuple(c.get("objectives", [o.name for o in objectives]))
    for name in used:
        if name not in by_name:
            raise UserError(f"{at}.objectives: {name!r} is not an objective of this spec")
    params = dict(c.get("params", {}))
    if c["function"] in ("weighted_sum", "weighted_mean") and "weights" in params:
        weights = params["weights"]
        if not isinstance(weights, dict) or set(weights) != set(used) or \
                not all(isinstance(w, (int, float)) and not isinstance(w, bool) for w in weights.values()):
            raise UserError(f"{at}.params.weights: give a number for each of its objectives {list(used)}")
    normalise = c.get("normalise", "minmax")
    if normalise == "bounds":
        for name in used:
            if by_name[name].bounds is None:
                raise UserError(f"{at}.normalise: 'bounds' needs bounds on objective {name!r}")
    _check_params(fn, params, at)
    return Commensurator(name=c["name"], function=c["function"], objectives=used, normalise=normalise,
                         params=params, label=c.get("label", c["name"]), description=c.get("description", ""))


def _group_view(i: int, g: dict, where: str, known: set[str]) -> GroupView:
    if g.get("objective") is not None and g["objective"] not in known:
        raise UserError(f"{where}: $.groups[{i}].objective: {g['objective']!r} is not an objective of this spec")
    return GroupView(name=g["name"], task=g["task"], by=g["by"], metric=g["metric"], label=g.get("label", g["name"]),
                     top=g.get("top", 30), objective=g.get("objective"))


def _check_pairs(pairs: list, where: str, known: set[str]) -> None:
    for i, (a, b) in enumerate(pairs):
        for name in (a, b):
            if name not in known:
                raise UserError(f"{where}: $.figures.pareto[{i}]: {name!r} is not an objective of this spec")
        if a == b:
            raise UserError(f"{where}: $.figures.pareto[{i}]: a scatter needs two different objectives")


def _unique(names: list[str], where: str, section: str) -> None:
    dupes = sorted({n for n in names if names.count(n) > 1})
    if dupes:
        raise UserError(f"{where}: $.{section}: name {dupes[0]!r} is used twice")


def _check_params(fn, params: dict, at: str) -> None:
    """Unknown parameters fail when the spec loads, not halfway through writing outputs."""
    import inspect

    try:
        sig = inspect.signature(fn)
    except (TypeError, ValueError):
        return
    accepts_any = any(p.kind is inspect.Parameter.VAR_KEYWORD for p in sig.parameters.values())
    allowed = [n for n in list(sig.parameters)[1:]]
    for key in params:
        if not accepts_any and key not in allowed:
            raise UserError(f"{at}.params: {key!r} is not a parameter of {fn.__name__} (it takes {allowed or 'none'})")
