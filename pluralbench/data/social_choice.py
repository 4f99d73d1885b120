"""Generative-social-choice survey data (Fish et al.) as juries.

In each survey's validation sample, every participant rates the same summary statements
(abortion: 10 statements on a 7-point scale 0-6; chatbot personalisation: 5 on 0-4). A rating row is a
`multiple choice + text` row of a `validation` user; the statement is the quoted text inside
`question_text` (HTML in the abortion survey, plain text in the other), the rating `choice_numeric`.
"""
from __future__ import annotations

import ast
import html
import json
import re
from pathlib import Path

import numpy as np

from pluralbench.data.dataset import Dataset
from pluralbench.data.juries import CANDIDATE_SET_OPTIONS, Jury, read_csv_rows, sample_candidate_sets
from pluralbench.data.loading import NO_CONTEXT, LoadContext, accepts
from pluralbench.errors import DataError
from pluralbench.hashing import sha256_files
from pluralbench.registry import data_formats

COLUMNS = ("user_id", "question_type", "question_text", "json_choices", "choice_numeric", "sample_type")
_TAG = re.compile(r"<[^>]+>")
_QUOTED = re.compile(r"[“\"](.+)[”\"]", re.S)  # first opening to last closing quote: inner quotes survive


def statement_of(question_text: str) -> str | None:
    text = html.unescape(_TAG.sub("", question_text))
    match = _QUOTED.search(text)
    return " ".join(match.group(1).split()) if match else None


def _choices(value: str):
    for parse in (json.loads, ast.literal_eval):
        try:
            out = parse(value)
            if isinstance(out, list) and len(out) >= 2:
                return out
        except (ValueError, SyntaxError):
            continue
    return None


def read_survey(path: Path, name: str, topic: str) -> Jury:
    _, rows = read_csv_rows(path, COLUMNS)
    statements: dict[str, int] = {}
    jurors: dict[str, int] = {}
    ratings: dict[tuple[int, int], float] = {}
    scale_size = None
    for i, row in enumerate(rows, start=1):
        if row["sample_type"] != "validation" or not row["question_type"].startswith("multiple choice"):
            continue
        statement = statement_of(row["question_text"] or "")
        if not statement:
            raise DataError(path, "no quoted statement found", row=i, field="question_text")
        choices = _choices(row["json_choices"] or "")
        if choices is None:
            raise DataError(path, f"expected a list of choices, got {row['json_choices']!r}", row=i, field="json_choices")
        if scale_size is None:
            scale_size = len(choices)
        elif len(choices) != scale_size:
            raise DataError(path, f"has {len(choices)} choices; earlier rows have {scale_size}", row=i,
                            field="json_choices")
        try:
            rating = float(row["choice_numeric"])
        except (TypeError, ValueError):
            raise DataError(path, f"expected a number, got {row['choice_numeric']!r}", row=i,
                            field="choice_numeric") from None
        if not (0 <= rating <= scale_size - 1):
            raise DataError(path, f"rating {rating} outside the scale 0..{scale_size - 1}", row=i, field="choice_numeric")
        s = statements.setdefault(statement, len(statements))
        j = jurors.setdefault(row["user_id"], len(jurors))
        if (j, s) in ratings:
            raise DataError(path, f"{row['user_id']} rated this statement twice", row=i, field="choice_numeric")
        ratings[(j, s)] = rating
    if len(statements) < 2:
        raise DataError(path, "fewer than two rated statements in the validation sample")
    votes = np.full((len(jurors), len(statements)), np.nan)
    for (j, s), r in ratings.items():
        votes[j, s] = r
    return Jury(
        name=name, topic=topic, description="",
        candidates=[{"id": f"s{k}", "text": text} for text, k in sorted(statements.items(), key=lambda x: x[1])],
        votes=votes, juror_groups=[None] * len(jurors), scale={"low": 0.0, "high": float(scale_size - 1)},
        counts={"participants": len(jurors), "statements": len(statements), "ratings": len(ratings)})


SURVEYS_OPTION = {"type": "array", "items": {
    "type": "object", "additionalProperties": False, "required": ["file", "topic"],
    "properties": {"file": {"type": "string"}, "topic": {"type": "string"}, "name": {"type": "string"}}}}


@data_formats.register("generative_social_choice")
@accepts(**CANDIDATE_SET_OPTIONS, surveys=SURVEYS_OPTION)
def load_generative_social_choice(path: Path, data_options: dict, context: LoadContext = NO_CONTEXT) -> Dataset:
    if not path.is_dir():
        raise DataError(path, "expected the directory holding the generative social choice survey CSVs")
    surveys = data_options.get("surveys")
    if not surveys:
        raise DataError(path, "the task's data.options.surveys lists no survey files")
    juries = [read_survey(path / s["file"], s.get("name", Path(s["file"]).stem), s["topic"]) for s in surveys]
    items = sample_candidate_sets(juries, int(data_options.get("items_per_jury", 10)),
                                  int(data_options.get("candidates_per_item", 5)),
                                  int(data_options.get("sample_seed", 0)))
    checks = {"surveys": {j.name: j.counts for j in juries}}
    return Dataset(items, {"kind": "local", "path": str(path), "format": "generative_social_choice"},
                   sha256_files([path / s["file"] for s in surveys], path), checks)
