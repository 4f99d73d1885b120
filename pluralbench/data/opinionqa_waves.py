"""OpinionQA's raw per-wave files (Santurkar et al. 2023; Pew American Trends Panel), read into
steerable items: one item per (question, demographic group).

Directory layout: American_Trends_Panel_W*/{ATTR}_data.json, info.csv. In {ATTR}_data.json each
question maps MC_options, question_text and, per group, {option: count}. Quirks handled here:
- counts are raw and unweighted (the paper used survey weights): they are normalised per group;
- options with zero count are omitted from a group's dict: they become 0;
- `Refused` is both an answer option (kept, and removed only for the ordinal score) and a group
  (income, ideology, party, race): the group is not a demographic to steer to and is skipped, as is
  AGE's `nan` group; both still count toward the population marginal;
- MC_options in the JSON files is the option list split on commas ("Yes, I own a gun" became two
  options) for 1,008 of 5,472 question entries, while the counts use the whole option: the option
  list comes from info.csv's `references` (MC_options only when info.csv lacks the question), and
  a count key matches an option exactly or, failing that, case-insensitively ("noR" in POLICY3_W42);
- info.csv's option_ordinal gives ordinal positions for the leading non-refusal options; options it
  leaves out (e.g. "Not sure") have no position and are dropped for the ordinal score.
Items are ordered question by question (wave, then info.csv order), then category, then group, so
`--limit N` takes whole questions across every group.
"""
from __future__ import annotations

import ast
import csv
import io
from dataclasses import dataclass
from pathlib import Path

from pluralbench.core.items import OptionItem
from pluralbench.core.options import LETTERS
from pluralbench.core.prompts import fill, lettered
from pluralbench.data.dataset import Dataset
from pluralbench.data.distributions import count_vector
from pluralbench.data.files import read_json, read_text
from pluralbench.data.loading import NO_CONTEXT, LoadContext
from pluralbench.data.multiple_choice import MC_TEMPLATE
from pluralbench.errors import DataError
from pluralbench.hashing import sha256_files
from pluralbench.registry import data_formats

ATTRIBUTES = ("POLPARTY", "POLIDEOLOGY", "RELIG", "RACE", "EDUCATION", "INCOME", "CREGION", "SEX", "AGE")
SKIPPED_GROUPS = ("Refused", "nan")
REFUSAL = "Refused"


@dataclass(frozen=True)
class InfoRow:
    """One question of a wave's info.csv."""
    question: str
    references: list[str]  # the option list, "Refused" included
    ordinal: list[float]  # positions of the leading non-refusal options


def read_info(path: Path) -> dict[str, InfoRow]:
    """info.csv's questions by key."""
    rows = {}
    for index, row in enumerate(csv.DictReader(io.StringIO(read_text(path)))):
        lists = {}
        for field, kind in (("option_ordinal", float), ("references", str)):
            try:
                lists[field] = [kind(x) for x in ast.literal_eval(row[field])]
            except (KeyError, ValueError, SyntaxError, TypeError):
                raise DataError(path, f"cannot read as a list of {kind.__name__}", row=index + 2, field=field) from None
        if not row.get("key"):
            raise DataError(path, "missing", row=index + 2, field="key")
        rows[row["key"]] = InfoRow((row.get("question") or "").strip(), lists["references"], lists["option_ordinal"])
    return rows


def option_positions(options: list[str], ordinal: list[float] | None) -> list[float | None]:
    """Ordinal position per option (None for refusals and options info.csv gives no position)."""
    answer_like = [i for i, o in enumerate(options) if o != REFUSAL]
    out: list[float | None] = [None] * len(options)
    if ordinal is None:
        ordinal = [float(k + 1) for k in range(len(answer_like))]
    for k, i in enumerate(answer_like[: len(ordinal)]):
        out[i] = ordinal[k]
    return out


@data_formats.register("opinionqa_waves")
def load_waves(path: Path, data_options: dict, context: LoadContext = NO_CONTEXT) -> Dataset:
    if not path.is_dir():
        raise DataError(path, "expected the atp_waves directory holding American_Trends_Panel_W*/ folders")
    template = context.prompt_template or MC_TEMPLATE
    waves = sorted(p for p in path.iterdir() if p.is_dir() and p.name.startswith("American_Trends_Panel_W"))
    if not waves:
        raise DataError(path, "no American_Trends_Panel_W* folders")
    items, used_files = [], []
    checks = {"waves": len(waves), "questions": 0, "skipped_groups": 0, "empty_groups": 0,
              "options_filled_with_zero": 0, "questions_without_ordinal": 0,
              "case_insensitive_matches": 0}
    for wave in waves:
        items += _wave_items(wave, template, checks, used_files)
    if not items:
        raise DataError(path, "no (question, group) items found")
    _order_question_major(items)
    checks["items"] = len(items)
    return Dataset(items, {"kind": "local", "path": str(path), "format": "opinionqa_waves"},
                   sha256_files(used_files, path), checks)


def _wave_items(wave: Path, template: str, checks: dict, used_files: list[Path]) -> list[OptionItem]:
    """One wave's items, question by question (info.csv order, then the questions it lacks)."""
    info = wave / "info.csv"
    rows = read_info(info) if info.is_file() else {}
    ordinals = {k: r.ordinal for k, r in rows.items()}
    references = {k: r.references for k, r in rows.items()}
    if info.is_file():
        used_files.append(info)
    per_attr = _attribute_files(wave, used_files)
    order = list(ordinals) + sorted({q for _, d in per_attr.values() for q in d} - set(ordinals))
    items = []
    for qkey in order:
        present = [(a, f, d[qkey]) for a, (f, d) in per_attr.items() if qkey in d]
        if not present:
            continue
        checks["questions"] += 1
        if qkey not in ordinals:
            checks["questions_without_ordinal"] += 1
        for attr, f, q in present:
            options, text = _question_fields(f, qkey, q, references.get(qkey))
            counts_by_group = _group_counts(f, qkey, q, options, checks)
            prompt = fill(template, "prompt.template", question=text.strip(), options=lettered(options))
            positions = option_positions(options, ordinals.get(qkey))
            items += _group_items(qkey, attr, options, counts_by_group, prompt, positions, checks)
    return items


def _attribute_files(wave: Path, used_files: list[Path]) -> dict[str, tuple[Path, dict]]:
    per_attr = {}
    for attr in ATTRIBUTES:
        f = wave / f"{attr}_data.json"
        if f.is_file():
            data = read_json(f)
            if not isinstance(data, dict):
                raise DataError(f, "expected a JSON object keyed by question")
            per_attr[attr] = (f, data)
            used_files.append(f)
    return per_attr


def _question_fields(f: Path, qkey: str, q: dict, referenced: list[str] | None) -> tuple[list[str], str]:
    """-> (the options, info.csv's when it has them; the question text)."""
    options = referenced or q.get("MC_options")
    if not isinstance(options, list) or len(options) < 2 or not all(isinstance(o, str) for o in options):
        raise DataError(f, "needs a list of at least two option strings", item_id=qkey, field="MC_options")
    if len(options) > len(LETTERS):  # the prompt letters them
        raise DataError(f, f"has {len(options)} options; at most {len(LETTERS)} are supported", item_id=qkey,
                        field="MC_options")
    text = q.get("question_text")
    if not isinstance(text, str) or not text.strip():
        raise DataError(f, "missing", item_id=qkey, field="question_text")
    return options, text


def _group_counts(f: Path, qkey: str, q: dict, options: list[str], checks: dict) -> dict[str, list[float]]:
    """Each group's count per option (in option order)."""
    folded = {o.casefold(): o for o in options}
    counts_by_group = {}
    for g, counts in q.items():
        if g in ("MC_options", "question_text"):
            continue
        if not isinstance(counts, dict):
            raise DataError(f, "expected {option: count}", item_id=qkey, field=g)
        matched = {}
        for key, c in counts.items():
            option = key if key in options else folded.get(key.casefold())
            if option is None:
                raise DataError(f, f"count for {key!r}, which is not an option of the question", item_id=qkey, field=g)
            checks["case_insensitive_matches"] += option != key
            matched[option] = matched.get(option, 0.0) + c if isinstance(c, (int, float)) else c
        counts_by_group[g] = count_vector(matched, options, path=f, item_id=qkey, field=g)
        checks["options_filled_with_zero"] += sum(o not in matched for o in options)
    return counts_by_group


def _group_items(qkey: str, attr: str, options: list[str], counts_by_group: dict[str, list[float]], prompt: str,
                 positions: list[float | None], checks: dict) -> list[OptionItem]:
    """One item per demographic group with respondents; all groups count toward the population marginal."""
    pooled = [sum(col) for col in zip(*counts_by_group.values())]
    total_pooled = sum(pooled)
    items = []
    for g, vec in counts_by_group.items():
        if g in SKIPPED_GROUPS:
            checks["skipped_groups"] += 1
            continue
        total = sum(vec)
        if total <= 0:
            checks["empty_groups"] += 1
            continue
        items.append(OptionItem(id=f"{qkey}|{attr}_{g}", prompt=prompt, options=options,
                                gold=[c / total for c in vec], group=f"{attr}_{g}", question_key=qkey,
                                ordinal_positions=positions, respondents=total,
                                population=[c / total_pooled for c in pooled] if total_pooled > 0 else None))
    return items


def _order_question_major(items: list[OptionItem]) -> None:
    """Question-major order across attributes, as the module docstring says (a stable sort in place)."""
    rank = {a: i for i, a in enumerate(ATTRIBUTES)}
    qorder = {}
    for it in items:
        qorder.setdefault(it.question_key, len(qorder))
    items.sort(key=lambda it: (qorder[it.question_key], rank[it.group.split("_", 1)[0]]))
