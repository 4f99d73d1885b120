"""Reading a distribution a model wrote out ("{"A": 30, "B": 70}") from its answer text.

Tolerant where the meaning is plain, strict where it is not:
- the first {...} in the answer is read; prose around it is ignored; keys may be quoted with " or ',
  or bare; a trailing comma is fine;
- keys name options by label or text (elicitation/answer_text.py); options left out get 0;
- values may carry a percent sign, be decimals, or fractions such as 1/3, quoted or not; they are
  percentages when any carries "%" or exceeds 1, and probabilities otherwise;
- the values are always renormalised to sum to 1; an answer whose stated total is off by more than
  the tolerance (e.g. 90 or 110 percent) is flagged `renormalised` (counted downstream).
Unparseable, with the reason: no {...} object (refusals, prose), an entry that is not `key: value`, a
key naming no option or one named twice, a value that is not a number, is negative, or all zero, or
a stated total outside TOTAL_RANGE (no distribution: 100% for every option, say).
"""
from __future__ import annotations

import math
import re
from dataclasses import dataclass
from typing import Sequence

from pluralbench.elicitation.answer_text import key_index

SUM_TOLERANCE = 0.05  # a stated total within 5 percentage points of 100% counts as summing to it
# A stated total outside [50%, 150%] is no distribution at all (e.g. 100% for every option): unparseable,
# since renormalising it would turn nonsense into a plausible-looking (often uniform) answer.
TOTAL_RANGE = (0.5, 1.5)
_NUMBER = re.compile(r"^(\d+(?:\.\d*)?|\.\d+)(?:\s*/\s*(\d+(?:\.\d*)?|\.\d+))?\s*(%?)$")


@dataclass(frozen=True)
class VerbalizedAnswer:
    distribution: list[float] | None  # None: unparseable (never replaced by a guess)
    failure: str | None = None  # why it could not be read: "<kind>: <detail>"
    stated_total: float | None = None  # the values' sum as the model stated it (1.0 = 100%)
    renormalised: bool = False  # stated_total was off by more than the tolerance


def _fail(reason: str) -> VerbalizedAnswer:
    return VerbalizedAnswer(None, reason)


def parse_verbalized(text: str | None, labels: Sequence[str], options: Sequence[str],
                     tolerance: float = SUM_TOLERANCE) -> VerbalizedAnswer:
    if not text or not text.strip():
        return _fail("empty answer")
    start = text.find("{")
    if start < 0:
        return _fail("no JSON object: no { in the answer")
    end = text.find("}", start)
    if end < 0:
        return _fail("unclosed JSON object: no } after the { (answer cut off?)")
    values: dict[int, tuple[float, bool]] = {}
    for entry in re.split(r"[,;\n]", text[start + 1:end]):
        if not entry.strip():
            continue
        read = _entry(entry, labels, options)
        if isinstance(read, str):
            return _fail(read)
        index, value, percent = read
        if index in values:
            return _fail(f"duplicate key: option {labels[index]} is given twice")
        values[index] = (value, percent)
    if not values:
        return _fail("empty JSON object")
    return _normalised(values, len(options), tolerance)


def _entry(entry: str, labels: Sequence[str], options: Sequence[str]) -> tuple[int, float, bool] | str:
    """(option index, value, whether it carried %) for one `key: value` entry, or why it cannot be read."""
    key, sep, raw = entry.rpartition(":")
    if not sep or not key.strip():
        return f"malformed entry: {entry.strip()[:40]!r} is not key: value"
    index = key_index(key, labels, options)
    if index is None:
        return f"unknown key: {key.strip()[:40]!r} names no option"
    match = _NUMBER.match(raw.strip().strip("\"'").strip())
    if match is None:
        value = raw.strip()[:40]
        kind = "negative value" if value.lstrip("\"'").startswith("-") else "non-numeric value"
        return f"{kind}: {value!r} for option {labels[index]}"
    numerator, denominator, percent = match.groups()
    if denominator is not None and float(denominator) == 0:
        return f"non-numeric value: a fraction over zero for option {labels[index]}"
    value = float(numerator) / float(denominator) if denominator else float(numerator)
    if not math.isfinite(value):
        return f"non-numeric value: not finite for option {labels[index]}"
    return index, value, bool(percent)


def _normalised(values: dict[int, tuple[float, bool]], n_options: int, tolerance: float) -> VerbalizedAnswer:
    percent = any(p for _, p in values.values()) or any(v > 1 for v, _ in values.values())
    scale = 100.0 if percent else 1.0
    dist = [values[i][0] / scale if i in values else 0.0 for i in range(n_options)]
    total = sum(dist)
    if total <= 0:
        return _fail("all zero: every value is 0")
    if not TOTAL_RANGE[0] <= total <= TOTAL_RANGE[1]:
        return VerbalizedAnswer(None, f"implausible total: the values sum to {100 * total:.4g}%", total)
    return VerbalizedAnswer([v / total for v in dist], None, total, abs(total - 1.0) > tolerance)
