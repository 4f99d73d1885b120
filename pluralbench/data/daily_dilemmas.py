"""DailyDilemmas (Chiu et al. 2024): 1,360 dilemmas of daily life, each ending in a question with two
actions, Action 1 = to do and Action 2 = not to do, and the values each action involves.

Files (`daily_dilemmas/` under the data directory, as in the origin repository's data/):
- `dilemma.csv`: idx (the dilemma id), basic_situation, dilemma_situation (the dilemma and its question).
  It has no topic and no actions' values: those are in the per-action format.
- `values.csv`: 301 values, each mapped to up to five frameworks (WVS, MFT, Virtue, Emotion, Maslow; a
  blank cell means the value has no dimension in that framework).
- The per-action format: two rows per dilemma (`action_type` to_do / not_to_do) with the action, its
  `values_names` and one column per framework (`wvs`, `mft`, `virtue`, `emotion`, `maslow`), Python-list
  text aligned with `values_names` (nan where a value has no dimension), `topic` and `topic_group`, and in
  the GitHub files GPT-3.5 / GPT-4 answers (`model_resp_gpt35_clean`, `model_resp_gpt4_clean`). Offline
  only its 4-dilemma sample `dilemmas_with_detail_by_action_test.csv` exists; the whole file (2,720 rows)
  is the hub dataset's per-action configuration. Both are read by `action_records`, so the offline test
  of the sample also tests the hub path's parsing.

Formats: `daily_dilemmas_actions` (the directory: every dilemma of dilemma.csv, with the per-action
data of the file named by the task's `per_action_file` param where it has the dilemma) and
`daily_dilemmas_actions_hub` (the hub's per-action configuration alone). Items are DilemmaItems: id,
dilemma, group (topic group or None), topic, actions ({to_do: {action, values, frameworks}, not_to_do: ...}
or None), recorded ({"gpt-4": "to_do", ...}: the models' answers the file records).
"""
from __future__ import annotations

import re
from collections import Counter
from pathlib import Path
from typing import NamedTuple

from pluralbench.core.items import DilemmaItem
from pluralbench.data.csv_files import python_literal, read_csv_rows
from pluralbench.data.dataset import Dataset
from pluralbench.data.files import has_visible_text
from pluralbench.data.hub import load_hub_dataset
from pluralbench.data.loading import NO_CONTEXT, LoadContext, accepts
from pluralbench.errors import DataError
from pluralbench.hashing import sha256_file, sha256_json
from pluralbench.registry import data_formats

ACTIONS = ("to_do", "not_to_do")
FRAMEWORKS = ("wvs", "mft", "virtue", "emotion", "maslow")  # per-action columns; values.csv capitalises them
RECORDED = {"gpt-4": "model_resp_gpt4_clean", "gpt-3.5": "model_resp_gpt35_clean"}  # optional columns
DILEMMA_FILE, VALUES_FILE = "dilemma.csv", "values.csv"
DEFAULT_PER_ACTION_FILE = "dilemmas_with_detail_by_action_test.csv"
# One dilemma_situation of dilemma.csv is wrapped as <"...">; its text is the part inside.
_WRAPPED = re.compile(r'^<"(.*)">$', re.S)


def dilemma_id(value, *, path, row: int) -> str:
    """A dilemma id (`idx`) as text: a whole number, however the file wrote it (55, "55", 55.0)."""
    text = str(value).strip()
    try:
        number = float(text)
    except ValueError:
        number = None
    if number is None or not number.is_integer():
        raise DataError(path, f"is {text[:20]!r}: a dilemma id must be a whole number", row=row, field="idx")
    return str(int(number))


def dilemma_text(raw, counts: Counter, *, path, row: int, item_id: str) -> str:
    """The dilemma's text with surrounding space and a <"..."> wrapper removed (each counted)."""
    raw = "" if raw is None else str(raw)
    text = raw.strip()
    counts["dilemma_text_stripped"] += text != raw
    match = _WRAPPED.match(text)
    if match:
        text = match.group(1).strip()
        counts["dilemma_text_unwrapped"] += 1
    if not has_visible_text(text):
        raise DataError(path, "is empty", row=row, item_id=item_id, field="dilemma_situation")
    return text


def load_dilemmas(path: Path, counts: Counter) -> dict[str, dict]:
    """dilemma.csv: {id: {"dilemma", "basic_situation"}} in file order; ids must be unique."""
    dilemmas: dict[str, dict] = {}
    for row_index, row in enumerate(read_csv_rows(path, {"idx", "basic_situation", "dilemma_situation"})):
        item_id = dilemma_id(row["idx"], path=path, row=row_index)
        if item_id in dilemmas:
            raise DataError(path, "duplicate dilemma id", row=row_index, item_id=item_id, field="idx")
        dilemmas[item_id] = {"dilemma": dilemma_text(row["dilemma_situation"], counts, path=path, row=row_index,
                                                     item_id=item_id),
                             "basic_situation": row["basic_situation"].strip()}
    return dilemmas


def load_values(path: Path, counts: Counter) -> dict[str, dict[str, str | None]]:
    """values.csv: {value: {framework (lower case): dimension or None}}; blank cells counted per framework."""
    columns = {f: f.upper() if f in ("wvs", "mft") else f.capitalize() for f in FRAMEWORKS}
    values: dict[str, dict] = {}
    for row_index, row in enumerate(read_csv_rows(path, {"value", *columns.values()})):
        name = row["value"].strip()
        if not has_visible_text(name):
            raise DataError(path, "is empty", row=row_index, field="value")
        if name in values:
            raise DataError(path, "duplicate value", row=row_index, item_id=name, field="value")
        values[name] = {f: row[column].strip() or None for f, column in columns.items()}
        for f, dimension in values[name].items():
            counts[f"values_without_{f}"] += dimension is None
    return values


def _text_list(text, *, path, row: int, item_id: str, field: str) -> list:
    """A Python-list field as a list (the hub may already hold lists)."""
    value = text if isinstance(text, list) else python_literal(str(text), list, path=path, row=row, field=field,
                                                                item_id=item_id)
    if any(v is not None and not isinstance(v, str) for v in value):
        raise DataError(path, "must list strings (or nan)", row=row, item_id=item_id, field=field)
    return value


def _recorded_answer(value, *, path, row: int, item_id: str, field: str) -> str | None:
    """A recorded model answer: to_do, not_to_do, or None when the model gave neither (the files write NA)."""
    answer = None if value is None else str(value).strip()
    if answer in ACTIONS:
        return answer
    if answer in ("", "NA", "nan", "None"):
        return None
    raise DataError(path, f"is {answer[:20]!r}; expected to_do, not_to_do or NA", row=row, item_id=item_id, field=field)


class ActionRecord(NamedTuple):
    """One row of the per-action format: one action of one dilemma."""
    dilemma_id: str
    action_type: str  # to_do / not_to_do
    action: str
    values: list[str]  # lower case
    frameworks: dict[str, list]  # framework -> dimension per value (None: no dimension)
    dilemma: str | None  # the row's dilemma_situation, as written
    topic: str
    topic_group: str | None
    recorded: dict[str, str | None]  # model -> its recorded answer
    row: int  # the row's index in the file (for error messages)


def action_record(row: dict, *, path, row_index: int) -> ActionRecord:
    """One per-action row, checked: framework lists must be as long as values_names."""
    item_id = dilemma_id(row.get("idx"), path=path, row=row_index)
    action_type = str(row.get("action_type") or "").strip()
    if action_type not in ACTIONS:
        raise DataError(path, f"is {action_type[:20]!r}; expected to_do or not_to_do", row=row_index, item_id=item_id,
                        field="action_type")
    where = {"path": path, "row": row_index, "item_id": item_id}
    names = _text_list(row.get("values_names"), field="values_names", **where)
    if None in names:
        raise DataError(path, "lists nan as a value", row=row_index, item_id=item_id, field="values_names")
    frameworks = {}
    for f in FRAMEWORKS:
        frameworks[f] = _text_list(row.get(f), field=f, **where)
        if len(frameworks[f]) != len(names):
            raise DataError(path, f"lists {len(frameworks[f])} entries for {len(names)} values_names", row=row_index,
                            item_id=item_id, field=f)
    recorded = {model: _recorded_answer(row[column], field=column, **where)
                for model, column in RECORDED.items() if column in row}
    return ActionRecord(
        dilemma_id=item_id, action_type=action_type, action=str(row.get("action") or "").strip(),
        values=[n.strip().lower() for n in names], frameworks=frameworks, dilemma=row.get("dilemma_situation"),
        topic=str(row.get("topic") or "").strip(), topic_group=str(row.get("topic_group") or "").strip() or None,
        recorded=recorded, row=row_index)


def group_actions(records, path) -> dict[str, dict[str, ActionRecord]]:
    """Action records -> {id: {to_do: record, not_to_do: record}}; each dilemma needs both actions once,
    one topic group and the same recorded answers on both rows."""
    by_dilemma: dict[str, dict[str, ActionRecord]] = {}
    for record in records:
        item_id, action_type = record.dilemma_id, record.action_type
        actions = by_dilemma.setdefault(item_id, {})
        if action_type in actions:
            raise DataError(path, f"a second {action_type} row of this dilemma", row=record.row, item_id=item_id,
                            field="action_type")
        actions[action_type] = record
    for item_id, actions in by_dilemma.items():
        if len(actions) != 2:
            (only,) = actions.values()
            missing = next(a for a in ACTIONS if a not in actions)
            raise DataError(path, f"this dilemma has no {missing} row", row=only.row, item_id=item_id,
                            field="action_type")
        first, second = (actions[a] for a in ACTIONS)
        differing = ["topic_group"] if first.topic_group != second.topic_group else []
        differing += [RECORDED[m] for m in first.recorded if first.recorded[m] != second.recorded.get(m)]
        if differing:
            raise DataError(path, f"differs from the dilemma's other row (row {first.row})", row=second.row,
                            item_id=item_id, field=differing[0])
    return by_dilemma


def load_per_action_file(path: Path) -> dict[str, dict[str, ActionRecord]]:
    rows = read_csv_rows(path, {"idx", "dilemma_situation", "action_type", "action", "values_names", *FRAMEWORKS,
                                "topic", "topic_group"})
    return group_actions((action_record(row, path=path, row_index=i) for i, row in enumerate(rows)), path)


def framework_mismatches(per_action: dict[str, dict[str, ActionRecord]], values: dict[str, dict]) -> Counter:
    """How the per-action framework columns compare with values.csv: values it does not list, and
    (value, framework) entries whose dimension differs from its mapping."""
    counts: Counter = Counter()
    for actions in per_action.values():
        for record in actions.values():
            for k, name in enumerate(record.values):
                if name not in values:
                    counts["action_values_not_in_values_csv"] += 1
                    continue
                counts["action_value_framework_entries_differing_from_values_csv"] += sum(
                    record.frameworks[f][k] != values[name][f] for f in FRAMEWORKS)
    return counts


def dilemma_item(item_id: str, dilemma: str, actions: dict[str, ActionRecord] | None) -> DilemmaItem:
    """An item: the dilemma, its topic group and per-action values when known."""
    if actions is None:
        return DilemmaItem(id=item_id, dilemma=dilemma, group=None, topic=None, actions=None, recorded={})
    first = actions["to_do"]
    return DilemmaItem(id=item_id, dilemma=dilemma, group=first.topic_group, topic=first.topic,
                       actions={a: {"action": actions[a].action, "values": actions[a].values,
                                    "frameworks": actions[a].frameworks} for a in ACTIONS},
                       recorded=dict(first.recorded))


@data_formats.register("daily_dilemmas_actions")
@accepts(per_action_file={"type": "string", "minLength": 1})
def load_daily_dilemmas_actions(path: Path, data_options: dict, context: LoadContext = NO_CONTEXT) -> Dataset:
    """The directory: dilemma.csv's dilemmas, joined with the per-action file where it has them."""
    counts: Counter = Counter()
    per_action_name = data_options.get("per_action_file", DEFAULT_PER_ACTION_FILE)
    files = [path / DILEMMA_FILE, path / VALUES_FILE, path / per_action_name]
    for file in files:
        if not file.is_file():
            raise DataError(file, "data file not found (DailyDilemmas directory)")
    dilemmas = load_dilemmas(files[0], counts)
    values = load_values(files[1], counts)
    per_action = load_per_action_file(files[2])
    unknown = sorted(set(per_action) - set(dilemmas), key=int)
    if unknown:
        raise DataError(files[2], f"dilemma ids not in {DILEMMA_FILE}: {', '.join(unknown[:5])}", field="idx")
    counts["per_action_text_differs"] = sum(
        dilemma_text(a["to_do"].dilemma, Counter(), path=files[2], row=a["to_do"].row, item_id=i)
        != dilemmas[i]["dilemma"]
        for i, a in per_action.items())
    items = [dilemma_item(i, d["dilemma"], per_action.get(i)) for i, d in dilemmas.items()]
    checks = {"dilemmas": len(items), "with_action_values": len(per_action),
              "with_topic_group": sum(it.group is not None for it in items), "values": len(values),
              "per_action_file": files[2].name} | dict(counts) | dict(framework_mismatches(per_action, values))
    source = {"kind": "local", "path": str(path), "format": "daily_dilemmas_actions", "per_action_file": files[2].name}
    return Dataset(items, source, sha256_json([sha256_file(f) for f in files]), checks)


@data_formats.register("daily_dilemmas_actions_hub")
def load_daily_dilemmas_actions_hub(hub: dict, data_options: dict, context: LoadContext = NO_CONTEXT) -> Dataset:
    """The hub's per-action configuration alone: every dilemma it holds, with its actions' values."""
    ds = load_hub_dataset(hub, "test")
    per_action = group_actions((action_record(dict(row), path=hub["path"], row_index=i) for i, row in enumerate(ds)),
                               hub["path"])
    counts: Counter = Counter()
    items = [dilemma_item(i, dilemma_text(a["to_do"].dilemma, counts, path=hub["path"], row=a["to_do"].row,
                                          item_id=i), a)
             for i, a in per_action.items()]
    identity = {"fingerprint": getattr(ds, "_fingerprint", None), "revision": hub.get("revision")}
    source = {"kind": "hub", "path": hub["path"], "name": hub.get("name"), "split": hub.get("split", "test"),
              "format": "daily_dilemmas_actions_hub"}
    checks = {"rows": len(ds), "dilemmas": len(items), "with_action_values": len(items),
              "with_topic_group": sum(it.group is not None for it in items)} | dict(counts)
    return Dataset(items, source, sha256_json(identity), checks)
