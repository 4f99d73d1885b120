"""Pareto dominance and non-dominated sorting. Pure functions of objective vectors.

Vectors are oriented so that higher is better on every objective (callers negate lower-is-better
objectives). A missing value (None or NaN) is never treated as a number: one model dominates
another only when both were measured on the same objectives and it is at least as good on each of
them and strictly better on one. Models measured on different objectives are incomparable. This
relation is a strict partial order (irreflexive and transitive), so the layers are well defined.
"""
from __future__ import annotations

import math
from typing import Sequence

Vector = Sequence[float | None]


def is_missing(x) -> bool:
    return x is None or (isinstance(x, float) and math.isnan(x))


def dominates(a: Vector, b: Vector) -> bool:
    """True when a is a Pareto improvement on b (both oriented higher-is-better)."""
    if len(a) != len(b):
        raise ValueError(f"vectors differ in length: {len(a)} vs {len(b)}")
    strictly = False
    for x, y in zip(a, b):
        mx, my = is_missing(x), is_missing(y)
        if mx != my:
            return False  # one was measured and the other not: no claim either way
        if mx:
            continue
        if x < y:
            return False
        if x > y:
            strictly = True
    return strictly


def pareto_layers(vectors: Sequence[Vector]) -> list[int]:
    """Layer of each vector: 1 = dominated by none; k = dominated only by vectors in layers < k.

    Deb et al.'s fast non-dominated sort: count each vector's dominators, peel off the zeros.
    """
    n = len(vectors)
    dominated_by_count = [0] * n
    dominates_list: list[list[int]] = [[] for _ in range(n)]
    for i in range(n):
        for j in range(i + 1, n):
            if dominates(vectors[i], vectors[j]):
                dominates_list[i].append(j)
                dominated_by_count[j] += 1
            elif dominates(vectors[j], vectors[i]):
                dominates_list[j].append(i)
                dominated_by_count[i] += 1
    layers = [0] * n
    current = [i for i in range(n) if dominated_by_count[i] == 0]
    layer = 1
    while current:
        following = []
        for i in current:
            layers[i] = layer
            for j in dominates_list[i]:
                dominated_by_count[j] -= 1
                if dominated_by_count[j] == 0:
                    following.append(j)
        current = following
        layer += 1
    return layers


def front_2d(points: Sequence[tuple[float, float]]) -> list[int]:
    """Indices of the non-dominated points of a 2-D set (higher is better on both), sorted by x."""
    layers = pareto_layers(points)
    return sorted((i for i, layer in enumerate(layers) if layer == 1), key=lambda i: (points[i][0], -points[i][1]))
