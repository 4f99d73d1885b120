"""The steerable-distribution family's aggregate, as matrices so that a bootstrap resample costs two
matrix products: per-item metric values -> group means -> each group's best style -> the mean over
categories of the mean over each category's groups. The best style is re-chosen inside every resample,
so CIs include the optimism of picking a maximum.

Row kinds are the steering styles, the unsteered answers and the baseline; a `Column` names one
statistic read from them (what metrics.json reports under that name).
"""
from __future__ import annotations

from typing import NamedTuple

import numpy as np


class Column(NamedTuple):
    """One reported statistic: `metric` of row kind `kind`, or (kind None) of each group's best style,
    minus row kind `minus` when set (the steering gain). `block` is the metrics.json block it goes in:
    "metrics" (by name), or "baselines" / "styles" (by kind, then metric)."""
    name: str
    metric: str
    direction: str
    block: str
    kind: str | None = None
    minus: str | None = None

    def per_item(self, values: dict[str, dict[str, np.ndarray]], best_style: str) -> np.ndarray:
        """This column's value per item, for items of a group whose best style is `best_style`."""
        series = values[best_style if self.kind is None else self.kind][self.metric]
        return series - values[self.minus][self.metric] if self.minus else series


class GroupLayout(NamedTuple):
    """How items fall into groups (sorted names) and groups into categories (in task-file order)."""
    groups: list[str]
    group_of_item: np.ndarray  # index into groups
    category_of_group: list[str]
    categories: list[str]


def metric_blocks(stats: dict, columns: list[Column]) -> dict:
    """{column name: statistic} -> metrics.json's "metrics", "baselines" and "styles" blocks, and the
    "reference_points" block ({metric: {point: statistic}}) when there are reference columns."""
    out: dict = {"metrics": {}, "baselines": {}, "styles": {}}
    for c in columns:
        if c.block == "metrics":
            out["metrics"][c.name] = stats[c.name]
        elif c.block == "reference_points":
            out.setdefault(c.block, {}).setdefault(c.metric, {})[c.kind.partition(":")[2]] = stats[c.name]
        else:
            out[c.block].setdefault(c.kind, {})[c.metric] = stats[c.name]
    return out


def _one_hot(labels, width: int) -> np.ndarray:
    out = np.zeros((len(labels), width))
    out[np.arange(len(labels)), labels] = 1.0
    return out


def _ratio(sums: np.ndarray, counts: np.ndarray) -> np.ndarray:
    """sums / counts where a count is positive, NaN where nothing was counted."""
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(counts > 0, sums / np.maximum(counts, 1e-300), np.nan)


class SteeringStatistic:
    """`statistic(positions)`: every column's category-averaged value over the items at `positions` (a
    bootstrap resample repeats positions). Rows of the item matrix are (kind, metric) pairs in the order of
    `values`; the order of rows and columns fixes the floating-point sums, so it is kept as given."""

    def __init__(self, values: dict[str, dict[str, np.ndarray]], columns: list[Column], styles: list[str],
                 select_by: str, higher_is_better: bool, layout: GroupLayout):
        self.columns, self.styles, self.categories = columns, styles, layout.categories
        self.select_by, self.sign = select_by, 1.0 if higher_is_better else -1.0
        pairs = [(kind, metric) for kind, by_metric in values.items() for metric in by_metric]
        self.row_of = {pair: r for r, pair in enumerate(pairs)}
        matrix = np.vstack([values[kind][metric] for kind, metric in pairs])
        self.defined = ~np.isnan(matrix)
        self.filled = np.where(self.defined, matrix, 0.0)
        self.n_items, self.n_groups = len(layout.group_of_item), len(layout.groups)
        self.item_group = _one_hot(layout.group_of_item, self.n_groups)
        category_index = [layout.categories.index(c) for c in layout.category_of_group]
        self.group_category = _one_hot(category_index, len(layout.categories))
        # Per column, the matrix rows it reads (-1: none): its kind's, each style's (for a best-style
        # column), and the row it subtracts; so every column's group means come from one gather.
        self.kind_rows = np.array([self.row_of[(c.kind, c.metric)] if c.kind else -1 for c in columns], dtype=np.int64)
        self.style_rows = np.array([[self.row_of[(s, c.metric)] if c.kind is None else -1 for s in styles]
                                    for c in columns], dtype=np.int64).reshape(len(columns), len(styles))
        self.minus_rows = np.array([self.row_of[(c.minus, c.metric)] if c.minus else -1 for c in columns],
                                   dtype=np.int64)

    def group_means(self, positions) -> np.ndarray:
        """(kind, metric) rows x groups: each group's mean over its items at `positions` (NaN if none defined)."""
        weights = np.bincount(positions, minlength=self.n_items).astype(np.float64)
        return _ratio((self.filled * weights) @ self.item_group, (self.defined * weights) @ self.item_group)

    def best_styles(self, group_means: np.ndarray) -> np.ndarray:
        """Per group, the index into styles of the best style by select_by (the first one on ties)."""
        chosen_by = self._by_style(group_means, self.select_by)
        return np.argmax(np.where(np.isnan(chosen_by), -np.inf, self.sign * chosen_by), axis=0)

    def category_average(self, rows: np.ndarray, only: str | None = None) -> np.ndarray:
        """Per row of group means: the mean over categories (or only category `only`) of the mean over
        the category's groups."""
        rows = np.atleast_2d(rows)
        ok = ~np.isnan(rows)
        sums, counts = np.where(ok, rows, 0.0) @ self.group_category, ok.astype(np.float64) @ self.group_category
        if only is not None:
            counts = counts * np.asarray([c == only for c in self.categories], dtype=np.float64)
        category_means = _ratio(sums, counts)
        have = (counts > 0).sum(axis=1)
        return np.where(have > 0, np.nansum(category_means, axis=1) / np.maximum(have, 1), np.nan)

    def __call__(self, positions, only: str | None = None) -> np.ndarray:
        group_means = self.group_means(positions)
        return self.category_average(self.column_rows(group_means, self.best_styles(group_means)), only)

    def _by_style(self, group_means: np.ndarray, metric: str) -> np.ndarray:
        return np.vstack([group_means[self.row_of[(s, metric)]] for s in self.styles])

    def column_rows(self, group_means: np.ndarray, best: np.ndarray) -> np.ndarray:
        """columns x groups: each column's group means, under each group's best style when the column has
        no kind, less the subtracted kind's."""
        rows = np.empty((len(self.columns), self.n_groups))
        free = self.kind_rows < 0
        if free.any():
            rows[free] = group_means[self.style_rows[free][:, best], np.arange(self.n_groups)]
        rows[~free] = group_means[self.kind_rows[~free]]
        minus = self.minus_rows >= 0
        rows[minus] -= group_means[self.minus_rows[minus]]
        return rows
