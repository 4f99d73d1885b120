"""ValuePrism valence items (Modular Pluralism `steerable_test_valuekaleidoscope_*.json`).

Rows: {situation, vrd (one value, right or duty), label (A/B/C), label_text (Supports/Opposes/Either),
input (the prompt, ending "A. Support B. Oppose C. Either\\nAnswer:"), output, id}. Items come out as
ValenceItems (id, prompt, label, situation, vrd, vrd_type). The file does not say whether a VRD is a value,
right or duty; the VRD's own wording does ("Right to ...", "Duty of/to ..."), everything else is a value.
"""
from __future__ import annotations

from pathlib import Path

from pluralbench.core.items import ValenceItem
from pluralbench.data.dataset import Dataset
from pluralbench.data.files import read_json_rows, rows_with_ids
from pluralbench.data.loading import NO_CONTEXT, LoadContext
from pluralbench.errors import DataError
from pluralbench.hashing import sha256_file
from pluralbench.registry import data_formats

VALENCE_LABELS = ("A", "B", "C")
LABEL_TEXT = {"A": "Supports", "B": "Opposes", "C": "Either"}


def vrd_type(vrd: str) -> str:
    first = vrd.strip().split(" ", 1)[0].lower()
    if first in ("right", "rights"):
        return "right"
    if first in ("duty", "duties"):
        return "duty"
    return "value"


def _text(row, field, path, index, item_id):
    value = row.get(field)
    if not isinstance(value, str) or not value.strip():
        raise DataError(path, "missing or not a non-empty string", row=index, item_id=item_id, field=field)
    return value


@data_formats.register("modular_pluralism_valence")
def load_valence(path: Path, data_options: dict, context: LoadContext = NO_CONTEXT) -> Dataset:
    rows = read_json_rows(path)
    items, mismatched = [], 0
    for index, row, item_id in rows_with_ids(path, rows):
        label = row.get("label")
        if label not in VALENCE_LABELS:
            raise DataError(path, f"is {label!r}; expected one of A, B, C", row=index, item_id=item_id, field="label")
        if row.get("label_text") not in (None, LABEL_TEXT[label]):
            mismatched += 1
        vrd = _text(row, "vrd", path, index, item_id)
        items.append(ValenceItem(id=item_id, prompt=_text(row, "input", path, index, item_id), label=label,
                                 situation=row.get("situation"), vrd=vrd, vrd_type=vrd_type(vrd)))
    checks = {"rows": len(rows), "label_text_disagrees_with_label": mismatched}
    return Dataset(items, {"kind": "local", "path": str(path), "format": "modular_pluralism_valence"},
                   sha256_file(path), checks)
