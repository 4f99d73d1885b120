"""ValuePrism situations with their values, rights and duties (VRDs), for Overton coverage.

Local format `valueprism_overton` (Modular Pluralism's `overton_test_valuekaleidoscope_small.json`
and VITAL's `vital_overton_valuekaleidoscope.json`): a JSON list of rows {situation, vrd (list of
VRD texts), explanation (list, aligned with vrd), input (the prompt), output (null), id}.
Hub format `valueprism_hub` (`allenai/ValuePrism`, config `full`, gated): one row per (situation,
VRD) with columns situation, vrd (Value / Right / Duty), text, explanation; rows are grouped by
situation in first-seen order.

Items come out as OvertonItems: id, prompt, situation, vrds ([{text, kind, explanation}]).

The local files do not say whether a VRD is a value, a right or a duty; the kind is inferred from
its wording (see `vrd_kind`) and the rule is recorded with the data checks.
"""
from __future__ import annotations

import re
from collections import Counter
from pathlib import Path
from typing import Iterable

from pluralbench.core.items import OvertonItem
from pluralbench.core.prompts import fill
from pluralbench.data.dataset import Dataset
from pluralbench.data.files import read_json_rows, rows_with_ids
from pluralbench.data.hub import load_hub_dataset
from pluralbench.data.loading import NO_CONTEXT, LoadContext
from pluralbench.errors import DataError
from pluralbench.hashing import sha256_file, sha256_json
from pluralbench.registry import data_formats

KINDS = ("value", "right", "duty")
TEMPLATE_PLACE = "prompt.template (ValuePrism situations)"  # where a template naming an unknown field fails
KIND_RULE = ("local files: 'duty' when the text starts with 'duty' or contains the word duty; else 'right' when it "
             "starts with 'right' or contains the word right(s); else 'value' (ValuePrism's own labels on the hub)")
_DUTY = re.compile(r"\bdut(y|ies)\b", re.I)
_RIGHT = re.compile(r"\brights?\b", re.I)


def vrd_kind(text: str) -> str:
    """'Duty to protect' -> duty, 'Right to privacy' / 'Property rights' -> right, 'Justice' -> value."""
    stripped = text.strip()
    if _DUTY.match(stripped):
        return "duty"
    if _RIGHT.match(stripped):
        return "right"
    if _DUTY.search(stripped):
        return "duty"
    if _RIGHT.search(stripped):
        return "right"
    return "value"


def _text(value, path, index, item_id, field) -> str:
    if not isinstance(value, str) or not value.strip():
        raise DataError(path, "expected a non-empty string", row=index, item_id=item_id, field=field)
    return value.strip()


@data_formats.register("valueprism_overton")
def load_valueprism_overton(path: Path, data_options: dict, context: LoadContext = NO_CONTEXT) -> Dataset:
    rows = read_json_rows(path)
    template = context.prompt_template or "{situation}"
    items = []
    kinds: Counter = Counter()
    for index, row, item_id in rows_with_ids(path, rows):
        situation = _text(row.get("situation"), path, index, item_id, "situation")
        vrds, explanations = row.get("vrd"), row.get("explanation")
        if not isinstance(vrds, list) or not vrds:
            raise DataError(path, "needs a non-empty list of values/rights/duties", row=index, item_id=item_id,
                            field="vrd")
        if not isinstance(explanations, list) or len(explanations) != len(vrds):
            n = len(explanations) if isinstance(explanations, list) else type(explanations).__name__
            raise DataError(path, f"needs one explanation per vrd ({len(vrds)}), got {n}", row=index,
                            item_id=item_id, field="explanation")
        entries = []
        for j, (text, explanation) in enumerate(zip(vrds, explanations)):
            text = _text(text, path, index, item_id, f"vrd[{j}]")
            explanation = _text(explanation, path, index, item_id, f"explanation[{j}]")
            kind = vrd_kind(text)
            kinds[kind] += 1
            entries.append({"text": text, "kind": kind, "explanation": explanation})
        prompt = row.get("input")
        prompt = _text(prompt, path, index, item_id, "input") if prompt is not None else fill(
            template, TEMPLATE_PLACE, situation=situation)
        items.append(OvertonItem(id=item_id, prompt=prompt, situation=situation, vrds=entries))
    checks = {"rows": len(rows), "vrds": sum(kinds.values()), "vrd_kinds": {k: kinds.get(k, 0) for k in KINDS},
              "vrd_kind_rule": KIND_RULE}
    return Dataset(items, {"kind": "local", "path": str(path), "format": "valueprism_overton"}, sha256_file(path),
                   checks)


# Hugging Face hub: allenai/ValuePrism (gated; needs an accepted licence and a token) --------------------

HUB_COLUMNS = ("situation", "vrd", "text", "explanation")


def group_valueprism_rows(rows: Iterable[dict], template: str, source: str = "allenai/ValuePrism") -> list[OvertonItem]:
    """One item per situation, VRDs in row order; a (situation, kind, text) seen twice is kept once."""
    first_row: dict[str, int] = {}  # situation -> the row it first appears in (its item's id)
    vrds: dict[str, list[dict]] = {}
    seen: set[tuple[str, str, str]] = set()
    for index, row in enumerate(rows):
        missing = [c for c in HUB_COLUMNS if c not in row]
        if missing:
            raise DataError(source, f"missing column(s) {', '.join(missing)}", row=index)
        situation = _text(row["situation"], source, index, None, "situation")
        text = _text(row["text"], source, index, None, "text")
        explanation = _text(row["explanation"], source, index, None, "explanation")
        kind = str(row["vrd"]).strip().lower()
        if kind not in KINDS:
            raise DataError(source, f"is {row['vrd']!r}; expected Value, Right or Duty", row=index, field="vrd")
        first_row.setdefault(situation, index)
        if (situation, kind, text) not in seen:
            seen.add((situation, kind, text))
            vrds.setdefault(situation, []).append({"text": text, "kind": kind, "explanation": explanation})
    return [OvertonItem(id=str(index), prompt=fill(template, TEMPLATE_PLACE, situation=situation),
                        situation=situation, vrds=vrds[situation]) for situation, index in first_row.items()]


@data_formats.register("valueprism_hub")
def load_valueprism_hub(hub: dict, data_options: dict, context: LoadContext = NO_CONTEXT) -> Dataset:
    ds = load_hub_dataset(hub, "train", note="; it is gated: accept its licence and log in")
    items = group_valueprism_rows(ds, context.prompt_template or "{situation}", hub["path"])
    kinds = Counter(v["kind"] for it in items for v in it.vrds)
    identity = {"fingerprint": getattr(ds, "_fingerprint", None), "revision": hub.get("revision")}
    source = {"kind": "hub", "path": hub["path"], "name": hub.get("name"), "split": hub.get("split", "train"),
              "format": "valueprism_hub"}
    checks = {"rows": len(ds), "situations": len(items), "vrds": sum(kinds.values()),
              "vrd_kinds": {k: kinds.get(k, 0) for k in KINDS}, "vrd_kind_rule": "ValuePrism's own vrd column"}
    return Dataset(items, source, sha256_json(identity), checks)
