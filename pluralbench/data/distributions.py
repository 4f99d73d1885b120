"""Checking reference answer distributions row by row."""
from __future__ import annotations

import math

from pluralbench.errors import DataError

SUM_TOLERANCE = 1e-6  # rounding in the shipped files stays below 1e-9; anything larger is renormalised and counted


def check_distribution(values, n_options: int, *, path, row: int, item_id, field: str) -> tuple[list[float], bool]:
    """Return (distribution summing to 1, was_renormalised). Raise DataError for unusable rows."""
    if not isinstance(values, list):
        raise DataError(path, f"expected a list of numbers, got {type(values).__name__}", row=row, item_id=item_id, field=field)
    if len(values) != n_options:
        raise DataError(path, f"has {len(values)} values but there are {n_options} options", row=row,
                        item_id=item_id, field=field)
    out = []
    for i, v in enumerate(values):
        if isinstance(v, bool) or not isinstance(v, (int, float)):
            raise DataError(path, f"value {i} is {v!r}, not a number", row=row, item_id=item_id, field=field)
        if not math.isfinite(v):
            raise DataError(path, f"value {i} is {v}, not finite", row=row, item_id=item_id, field=field)
        if v < 0:
            raise DataError(path, f"value {i} is negative ({v})", row=row, item_id=item_id, field=field)
        out.append(float(v))
    total = math.fsum(out)
    if total <= 0:
        raise DataError(path, "all values are zero", row=row, item_id=item_id, field=field)
    renormalised = abs(total - 1.0) > SUM_TOLERANCE
    return [v / total for v in out], renormalised
