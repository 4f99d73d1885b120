"""matplotlib figures (Agg backend, no display): Pareto scatters, per-group bars, compare plots.

Labels come from results and are drawn as plain text (usetex off, mathtext disabled per string),
so a model named '$x$' or '<b>' is shown as typed.
"""
from __future__ import annotations

from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

from pluralbench.report.pareto import front_2d  # noqa: E402

DPI = 110


def _plain(text: str) -> str:
    return text.replace("$", r"\$")  # '$...$' would otherwise be typeset as mathtext


def pareto_scatter(points: list[dict], x_label: str, y_label: str, x_dir: str, y_dir: str, path: Path) -> Path:
    """points: {label, x, y, x_ci, y_ci, layer}; the 2-D front of this pair is drawn as a staircase."""
    fig, ax = plt.subplots(figsize=(6.4, 4.8))
    oriented = [((p["x"] if x_dir == "higher" else -p["x"]), (p["y"] if y_dir == "higher" else -p["y"])) for p in points]
    front = set(front_2d(oriented)) if points else set()
    for i, p in enumerate(points):
        on_front = i in front
        xerr = _err(p["x"], p.get("x_ci"))
        yerr = _err(p["y"], p.get("y_ci"))
        ax.errorbar(p["x"], p["y"], xerr=xerr, yerr=yerr, fmt="o", ms=8 if on_front else 6,
                    color="tab:red" if on_front else "tab:gray", ecolor="0.7", capsize=3, zorder=3)
        ax.annotate(_plain(p["label"]), (p["x"], p["y"]), textcoords="offset points", xytext=(6, 6), fontsize=8)
    if len(front) >= 1:
        ordered = sorted((points[i] for i in front), key=lambda p: p["x"], reverse=(x_dir == "lower"))
        xs, ys = [], []
        for j, p in enumerate(ordered):  # staircase: the edge of the region the front dominates
            if j:
                xs.append(ordered[j - 1]["x"])
                ys.append(p["y"])
            xs.append(p["x"])
            ys.append(p["y"])
        ax.plot(xs, ys, "-", color="tab:red", alpha=0.6, label="Pareto front (this pair)", zorder=2)
        ax.legend(loc="best", fontsize=8)
    ax.set_xlabel(_plain(f"{x_label} ({'higher' if x_dir == 'higher' else 'lower'} is better)"))
    ax.set_ylabel(_plain(f"{y_label} ({'higher' if y_dir == 'higher' else 'lower'} is better)"))
    ax.grid(alpha=0.3)
    fig.tight_layout()
    return _save(fig, path)


def _err(value, ci):
    if not ci or ci[0] is None or ci[1] is None:
        return None
    return [[max(value - ci[0], 0.0)], [max(ci[1] - value, 0.0)]]


def group_bars(groups: list[str], series: dict[str, list[tuple[float, float, float] | None]], title: str,
               x_label: str, path: Path) -> Path:
    """Horizontal bars per group, one bar per model, with CI whiskers; a missing value draws nothing."""
    n_models = max(len(series), 1)
    height = 0.8 / n_models
    fig, ax = plt.subplots(figsize=(7.5, max(2.5, 0.28 * len(groups) * max(1, n_models / 2) + 1.2)))
    for m, (label, values) in enumerate(series.items()):
        ys, xs, lo, hi = [], [], [], []
        for g, v in enumerate(values):
            if v is None:
                continue
            ys.append(g + (m - (n_models - 1) / 2) * height)
            xs.append(v[0])
            lo.append(max(v[0] - v[1], 0.0) if v[1] is not None else 0.0)
            hi.append(max(v[2] - v[0], 0.0) if v[2] is not None else 0.0)
        ax.barh(ys, xs, height=height, xerr=[lo, hi], capsize=2, label=_plain(label), error_kw={"ecolor": "0.4"})
    _label_rows(ax, groups, x_label, title)
    ax.legend(fontsize=7, loc="lower right")
    fig.tight_layout()
    return _save(fig, path)


def delta_dots(labels: list[str], deltas: list[tuple[float, float | None, float | None]], title: str,
               x_label: str, path: Path) -> Path:
    """Paired differences (B - A) per group with their CIs, a zero line for reference."""
    fig, ax = plt.subplots(figsize=(7, max(2.5, 0.24 * len(labels) + 1.2)))
    for i, (d, lo, hi) in enumerate(deltas):
        err = None if lo is None or hi is None else [[max(d - lo, 0.0)], [max(hi - d, 0.0)]]
        excludes_zero = lo is not None and hi is not None and (lo > 0 or hi < 0)
        ax.errorbar(d, i, xerr=err, fmt="o", color="tab:blue" if excludes_zero else "tab:gray", capsize=2, ms=4)
    ax.axvline(0, color="black", lw=0.8)
    _label_rows(ax, labels, x_label, title)
    fig.tight_layout()
    return _save(fig, path)


def _label_rows(ax, labels: list[str], x_label: str, title: str) -> None:
    """A chart of one row per label, the first at the top, values along x."""
    ax.set_yticks(range(len(labels)))
    ax.set_yticklabels([_plain(x) for x in labels], fontsize=7)
    ax.invert_yaxis()
    ax.set_xlabel(_plain(x_label))
    ax.set_title(_plain(title), fontsize=10)
    ax.grid(axis="x", alpha=0.3)


def item_scatter(a: list[float], b: list[float], a_label: str, b_label: str, title: str, path: Path) -> Path:
    fig, ax = plt.subplots(figsize=(5.2, 5.2))
    ax.scatter(a, b, s=10, alpha=0.5)
    lo = min(min(a, default=0), min(b, default=0))
    hi = max(max(a, default=1), max(b, default=1))
    ax.plot([lo, hi], [lo, hi], "k--", lw=0.8, label="no change")
    ax.set_xlabel(_plain(a_label))
    ax.set_ylabel(_plain(b_label))
    ax.set_title(_plain(title), fontsize=10)
    ax.legend(fontsize=8)
    ax.grid(alpha=0.3)
    fig.tight_layout()
    return _save(fig, path)


def _save(fig, path: Path) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=DPI)
    plt.close(fig)
    return path
