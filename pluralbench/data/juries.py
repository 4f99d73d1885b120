"""Juries that rate a shared set of candidates (Polis comments, summary statements): the common shape
(`Jury`), CSV reading with row/field errors, seeded candidate sets (`CandidateItem`s), and the rating
distribution of a group of raters (the rater-group loaders).
"""
from __future__ import annotations

import csv
import io
import zlib
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from pluralbench.core.items import CandidateItem
from pluralbench.data.files import read_text
from pluralbench.errors import DataError

# data.options of the loaders that draw seeded candidate sets (sample_candidate_sets)
CANDIDATE_SET_OPTIONS = {"items_per_jury": {"type": "integer", "minimum": 1},
                         "candidates_per_item": {"type": "integer", "minimum": 2, "maximum": 26},
                         "sample_seed": {"type": "integer"}}
# data.options of the loaders whose jurors are demographic groups of raters
RATER_GROUP_OPTIONS = {"demographics": {"type": "array", "items": {"type": "string"}},
                       "min_raters_per_group": {"type": "integer", "minimum": 1}}


@dataclass(frozen=True)
class Jury:
    """A jury that rated a shared set of candidates, as a loader reads it."""
    name: str
    topic: str
    description: str
    candidates: list[dict]  # [{id, text}]
    votes: np.ndarray  # jurors x candidates; NaN = no rating
    juror_groups: list  # one per juror; None = no opinion group
    scale: dict  # {low, high}
    counts: dict  # what the loader read (its `checks`)


def rating_distribution(indices: list[int], size: int) -> list[float]:
    """The share of raters choosing each of `size` options, from their option indices."""
    counts = np.bincount(indices, minlength=size).astype(float)
    return (counts / counts.sum()).tolist()


def read_csv_rows(path: Path, required: tuple[str, ...] = ()) -> tuple[list[str], list[dict]]:
    """(header, rows) of a comma-separated file; rows are numbered from 1 (the header excluded) in errors."""
    if not path.is_file():
        raise DataError(path, "file not found")
    reader = csv.DictReader(io.StringIO(read_text(path), newline=""))
    header = list(reader.fieldnames or [])
    missing = [c for c in required if c not in header]
    if missing:
        raise DataError(path, f"missing column(s) {', '.join(missing)}", row=0)
    try:
        rows = list(reader)
    except csv.Error as exc:
        raise DataError(path, f"malformed CSV ({exc})", row=reader.line_num) from None
    return header, rows


def sample_candidate_sets(juries: list[Jury], rounds: int, size: int, seed: int) -> list[CandidateItem]:
    """`rounds` candidate sets of `size` per jury, in a seeded random order; round-robin over juries so
    `--limit N` takes early rounds of every jury rather than all rounds of the first."""
    per_jury = []
    for jury in juries:
        n = len(jury.candidates)
        k = min(size, n)
        # Seeded by the jury's name, so adding a jury does not change another's candidate sets.
        rng = np.random.default_rng([seed, zlib.crc32(jury.name.encode("utf-8"))])
        sets = []
        for r in range(rounds):
            chosen = rng.choice(n, size=k, replace=False)
            votes = jury.votes[:, chosen]
            voted = ~np.isnan(votes).all(axis=1)
            sets.append(CandidateItem(
                id=f"{jury.name}#{r}", jury=jury.name, topic=jury.topic, description=jury.description,
                candidates=[jury.candidates[c] for c in chosen],
                utilities=[[None if np.isnan(v) else float(v) for v in row] for row in votes[voted]],
                juror_groups=[g for g, keep in zip(jury.juror_groups, voted) if keep],
                scale=dict(jury.scale)))
        per_jury.append(sets)
    items = []
    for r in range(rounds):
        items.extend(sets[r] for sets in per_jury if r < len(sets))
    return items
