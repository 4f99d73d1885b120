"""Checking reference answer distributions row by row."""
from __future__ import annotations

import math

from pluralbench.errors import DataError

SUM_TOLERANCE = 1e-6  # rounding in the shipped files stays below 1e-9; anything larger is renormalised and counted
# A reference (human) distribution whose sum is further from 1 than this is refused, not renormalised:
# it is more likely counts, a dropped option or a typo than rounding (rounded percentages stay well inside).
REFERENCE_SUM_LIMIT = 0.02


def check_distribution(values, n_options: int, *, path, row: int, item_id, field: str,
                       max_sum_error: float | None = None) -> tuple[list[float], bool]:
    """Return (distribution summing to 1, was_renormalised). Raise DataError for unusable rows.

    max_sum_error: refuse a row whose sum differs from 1 by more than this (None: renormalise any
    positive sum, as for predictions, which may be scores or counts).
    """
    if not isinstance(values, list):
        raise DataError(path, f"expected a list of numbers, got {type(values).__name__}", row=row, item_id=item_id, field=field)
    if len(values) != n_options:
        raise DataError(path, f"has {len(values)} values but there are {n_options} options", row=row,
                        item_id=item_id, field=field)
    out = []
    for i, v in enumerate(values):
        if isinstance(v, bool) or not isinstance(v, (int, float)):
            raise DataError(path, f"value {i} is {_short(v)}, not a number", row=row, item_id=item_id, field=field)
        number = _as_float(v)
        if number is None or not math.isfinite(number):
            raise DataError(path, f"value {i} is {_short(v)}, not finite", row=row, item_id=item_id, field=field)
        if number < 0:
            raise DataError(path, f"value {i} is negative ({_short(v)})", row=row, item_id=item_id, field=field)
        out.append(number)
    try:
        total = math.fsum(out)
    except OverflowError:  # e.g. [1e308, 1e308]
        raise DataError(path, "values too large to add up", row=row, item_id=item_id, field=field) from None
    if total <= 0:
        raise DataError(path, "all values are zero", row=row, item_id=item_id, field=field)
    if max_sum_error is not None and abs(total - 1.0) > max_sum_error:
        raise DataError(path, f"sums to {total:.6g}, not 1 (a reference distribution may be off by at most "
                              f"{max_sum_error:g}, and is then renormalised and counted)", row=row, item_id=item_id,
                        field=field)
    renormalised = abs(total - 1.0) > SUM_TOLERANCE
    return [v / total for v in out], renormalised


def _as_float(v) -> float | None:
    """float(v), or None for an integer too large for a float (10**400)."""
    try:
        return float(v)
    except OverflowError:
        return None


def _short(v) -> str:
    text = repr(v)
    return text if len(text) <= 40 else f"{text[:20]}...({len(text)} characters)"


def count_vector(counts: dict, options: list[str], *, path, item_id, field: str) -> list[float]:
    """Counts in option order from {option: count}, where omitted options count 0 (OpinionQA and NYT
    files leave zero counts out); a negative or non-numeric count is an error naming the option."""
    vec = []
    for option in options:
        c = counts.get(option, 0)
        number = None if isinstance(c, bool) or not isinstance(c, (int, float)) else _as_float(c)
        if number is None or not math.isfinite(number) or number < 0:
            raise DataError(path, f"count for {option!r} is {_short(c)}", item_id=item_id, field=field)
        vec.append(number)
    return vec
