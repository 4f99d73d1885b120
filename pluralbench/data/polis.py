"""Polis conversations as juries (compdemocracy/openData layout, one directory per conversation).

Per conversation: `summary.csv` (key,value rows, no header), `comments.csv` (comment-id, moderated,
comment-body, ...) and `participants-votes.csv` (one row per participant: group-id, then one column per
comment id; 1 = agree, 0 = pass, -1 = disagree, blank = did not vote). participants-votes already holds
each participant's last vote, so re-votes need no handling here. Comments with moderated = -1 were
hidden from participants and are never candidates.
"""
from __future__ import annotations

import csv
import io
from pathlib import Path

import numpy as np

from pluralbench.data.dataset import Dataset
from pluralbench.data.files import read_text
from pluralbench.data.juries import CANDIDATE_SET_OPTIONS, Jury, read_csv_rows, sample_candidate_sets
from pluralbench.data.loading import NO_CONTEXT, LoadContext, accepts
from pluralbench.errors import DataError
from pluralbench.hashing import sha256_files
from pluralbench.registry import data_formats

FILES = ("summary.csv", "comments.csv", "participants-votes.csv")
VOTES = {"1": 1.0, "0": 0.0, "-1": -1.0}


def _summary(path: Path) -> dict:
    out = {}
    for row in csv.reader(io.StringIO(read_text(path), newline="")):
        if len(row) >= 2:
            out[row[0].strip()] = row[1].strip()
    return out


def _int(value: str, path: Path, row: int, field: str) -> int:
    try:
        return int(value.strip())
    except ValueError:
        raise DataError(path, f"expected an integer, got {value!r}", row=row, field=field) from None


def read_conversation(directory: Path, min_votes: int) -> Jury:
    for name in FILES:
        if not (directory / name).is_file():
            raise DataError(directory / name, "file not found (a Polis conversation needs "
                                              f"{', '.join(FILES)})")
    summary = _summary(directory / "summary.csv")
    cpath = directory / "comments.csv"
    _, comment_rows = read_csv_rows(cpath, ("comment-id", "moderated", "comment-body"))
    comments = {}
    for i, row in enumerate(comment_rows, start=1):
        cid = str(_int(row["comment-id"], cpath, i, "comment-id"))
        moderated = _int(row["moderated"], cpath, i, "moderated")
        if moderated not in (-1, 0, 1):
            raise DataError(cpath, f"must be -1, 0 or 1, got {moderated}", row=i, field="moderated")
        comments[cid] = {"text": (row["comment-body"] or "").strip(), "moderated": moderated}

    vpath = directory / "participants-votes.csv"
    header, vote_rows = read_csv_rows(vpath, ("participant", "group-id"))
    # Comment columns are the integer-named ones (london.youth.policing adds an `xid` column).
    columns = [c for c in header if c.strip().lstrip("-").isdigit()]
    unknown = [c for c in columns if c not in comments]
    if unknown:
        raise DataError(vpath, f"comment column(s) {', '.join(unknown[:5])} not in comments.csv", row=0)
    votes = np.full((len(vote_rows), len(columns)), np.nan)
    groups = []
    for i, row in enumerate(vote_rows, start=1):
        g = (row["group-id"] or "").strip()
        groups.append(None if g == "" else f"group {_int(g, vpath, i, 'group-id')}")
        for j, c in enumerate(columns):
            cell = (row.get(c) or "").strip()
            if cell == "":
                continue
            if cell not in VOTES:
                raise DataError(vpath, f"a vote must be 1, 0, -1 or blank, got {cell!r}", row=i, field=c)
            votes[i - 1, j] = VOTES[cell]

    keep = [j for j, c in enumerate(columns)
            if comments[c]["moderated"] != -1 and comments[c]["text"]
            and int((~np.isnan(votes[:, j])).sum()) >= min_votes]
    return Jury(
        name=directory.name, topic=summary.get("topic", directory.name),
        description=summary.get("conversation-description", ""),
        candidates=[{"id": columns[j], "text": comments[columns[j]]["text"]} for j in keep],
        votes=votes[:, keep], juror_groups=groups, scale={"low": -1.0, "high": 1.0},
        counts={"comments": len(comments), "hidden": sum(1 for c in comments.values() if c["moderated"] == -1),
                "candidates": len(keep), "participants": len(vote_rows)})


@data_formats.register("polis_conversations")
@accepts(**CANDIDATE_SET_OPTIONS, conversations={"type": "array", "items": {"type": "string"}},
         min_votes_per_candidate={"type": "integer", "minimum": 1})
def load_polis_conversations(path: Path, data_options: dict, context: LoadContext = NO_CONTEXT) -> Dataset:
    if not path.is_dir():
        raise DataError(path, "expected a directory with one sub-directory per Polis conversation")
    names = data_options.get("conversations") or sorted(d.name for d in path.iterdir()
                                                        if (d / "participants-votes.csv").is_file())
    if not names:
        raise DataError(path, "no Polis conversations (sub-directories with participants-votes.csv) found")
    min_votes = int(data_options.get("min_votes_per_candidate", 1))
    size = int(data_options.get("candidates_per_item", 5))
    juries = []
    for name in names:
        jury = read_conversation(path / name, min_votes)
        if len(jury.candidates) < 2:
            raise DataError(path / name, f"fewer than two candidate comments with at least {min_votes} votes")
        juries.append(jury)
    items = sample_candidate_sets(juries, int(data_options.get("items_per_jury", 10)), size,
                                  int(data_options.get("sample_seed", 0)))
    files = [path / n / f for n in names for f in FILES]
    checks = {"conversations": {j.name: j.counts for j in juries}}
    return Dataset(items, {"kind": "local", "path": str(path), "format": "polis_conversations"},
                   sha256_files(files, path), checks)
