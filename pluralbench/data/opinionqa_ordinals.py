"""Modular Pluralism's steerable OpinionQA file with OpinionQA's own ordinal positions.

The MP file carries options but no ordinal positions. OpinionQA's info.csv gives positions that are not
the option order 1..k for many of its questions: reordered ([1, 2, 1.5] when the middle answer is listed
last), leaving an option unpositioned ("Not sure": dropped for the ordinal score), or all equal (the
score is undefined). Each row is joined to the info.csv rows of the OpinionQA wave folders (`atp_waves`,
default opinionqa/atp_waves under the data directory) on its question text and options, which are
info.csv's `references` less "Refused" (MP dropped it); the positions then come from
opinionqa_waves.option_positions, the code steerable_opinionqa_full uses. Rows that match no info.csv row
(MP split some options on commas; some questions are in no wave folder), or several with different
positions, keep 1..k (the family's default) and are counted.
"""
from __future__ import annotations

import re
from dataclasses import replace
from pathlib import Path
from typing import NamedTuple

from pluralbench.core.items import OptionItem
from pluralbench.data.dataset import Dataset
from pluralbench.data.files import resolve_local
from pluralbench.data.loading import NO_CONTEXT, LoadContext, accepts
from pluralbench.data.multiple_choice import MC_OPTIONS, load_modular_pluralism_steerable_mc
from pluralbench.data.opinionqa_waves import REFUSAL, option_positions, read_info
from pluralbench.errors import DataError
from pluralbench.hashing import sha256_files, sha256_json
from pluralbench.registry import data_formats

ATP_WAVES = "opinionqa/atp_waves"
FORMAT = "modular_pluralism_steerable_opinionqa"
_QUESTION = re.compile(r"^Question: (.*?)\nOptions: ", re.S)  # how MP's prompts hold the survey question


class JoinKey(NamedTuple):
    """How an MP row and an info.csv row are matched."""
    question: str
    options: tuple[str, ...]  # info.csv's references less "Refused"


@data_formats.register(FORMAT)
@accepts(atp_waves={"type": "string", "minLength": 1}, **MC_OPTIONS)
def load_steerable_opinionqa(path: Path, data_options: dict, context: LoadContext = NO_CONTEXT) -> Dataset:
    dataset = load_modular_pluralism_steerable_mc(path, data_options, context)
    waves = resolve_local(data_options.get("atp_waves", ATP_WAVES), context.data_dir)
    index, files = ordinal_index(waves)
    items, checks = attach_positions(dataset.items, index)
    source = dataset.source | {"format": FORMAT, "ordinal_positions": str(waves)}
    sha = sha256_json([dataset.sha256, sha256_files(files, waves)])
    return Dataset(items, source, sha, dataset.checks | {"ordinal_join": checks})


def ordinal_index(waves: Path) -> tuple[dict[JoinKey, set[tuple]], list[Path]]:
    """(question text, options less "Refused") -> the distinct position lists info.csv gives it; the files read."""
    files = sorted(waves.glob("American_Trends_Panel_W*/info.csv"))
    if not files:
        raise DataError(waves, "no American_Trends_Panel_W*/info.csv files (the OpinionQA wave folders)")
    index: dict[JoinKey, set[tuple]] = {}
    for f in files:
        for row in read_info(f).values():
            key = JoinKey(row.question, tuple(o for o in row.references if o != REFUSAL))
            index.setdefault(key, set()).add(tuple(option_positions(list(key.options), row.ordinal)))
    return index, files


def join_key(item: OptionItem) -> JoinKey | None:
    match = _QUESTION.match(item.prompt)
    return JoinKey(match.group(1).strip(), tuple(item.options)) if match else None


def attach_positions(items: list[OptionItem], index: dict[JoinKey, set[tuple]]) -> tuple[list[OptionItem], dict]:
    """The items, with ordinal_positions where info.csv has the item's question; the join's counts."""
    checks = {"info_csv_questions": len(index), "matched": 0, "unmatched": 0, "ambiguous": 0,
              "unmatched_ids": [], "ambiguous_ids": []}
    out = []
    for item in items:
        found = index.get(join_key(item), set())
        kind = "matched" if len(found) == 1 else "ambiguous" if found else "unmatched"
        checks[kind] += 1
        if kind == "matched":
            item = replace(item, ordinal_positions=list(next(iter(found))))
        elif len(checks[f"{kind}_ids"]) < 20:
            checks[f"{kind}_ids"].append(item.id)
        out.append(item)
    return out, checks
