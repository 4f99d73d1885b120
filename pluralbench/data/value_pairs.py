"""ValuePrism situations with one value that supports and one that opposes the action.

Reads the Modular-Pluralism steerable file (rows {situation, vrd, label_text in Supports / Opposes /
Either, id}); for each situation with at least one Supports and one Opposes value, picks one of each
with a seed of its own. Item fields: name_a (the supporting value), name_b (the opposing one), a_first
(seeded: which the prompt names first, so order is not confounded with valence), and objectives:
o_A = P(yes) (agreeing with A's valence), o_B = P(no).
"""
from __future__ import annotations

import zlib
from pathlib import Path

import numpy as np

from pluralbench.core.items import TradeoffItem
from pluralbench.data.dataset import Dataset
from pluralbench.data.files import read_json_rows
from pluralbench.data.loading import NO_CONTEXT, LoadContext, accepts
from pluralbench.errors import DataError
from pluralbench.hashing import sha256_file
from pluralbench.registry import data_formats

LABELS = ("Supports", "Opposes", "Either")


@data_formats.register("valueprism_value_pairs")
@accepts(pair_seed={"type": "integer"})
def load_value_pairs(path: Path, data_options: dict, context: LoadContext = NO_CONTEXT) -> Dataset:
    rows = read_json_rows(path)
    seed = int(data_options.get("pair_seed", 0))
    by_situation: dict[str, dict] = {}
    for index, row in enumerate(rows):
        for field in ("situation", "vrd", "label_text"):
            if not isinstance(row.get(field), str) or not row[field].strip():
                raise DataError(path, "missing or not a non-empty string", row=index, item_id=row.get("id"), field=field)
        if row["label_text"] not in LABELS:
            raise DataError(path, f"must be one of {', '.join(LABELS)}, got {row['label_text']!r}", row=index,
                            item_id=row.get("id"), field="label_text")
        entry = by_situation.setdefault(row["situation"].strip(), {"Supports": [], "Opposes": [], "Either": []})
        vrd = row["vrd"].strip()
        if vrd not in entry[row["label_text"]]:
            entry[row["label_text"]].append(vrd)
    items = []
    for situation, entry in by_situation.items():
        support = [v for v in entry["Supports"] if v not in entry["Opposes"]]
        oppose = [v for v in entry["Opposes"] if v not in entry["Supports"]]
        if not support or not oppose:
            continue
        rng = np.random.default_rng([seed, zlib.crc32(situation.encode("utf-8"))])
        a, b = support[int(rng.integers(len(support)))], oppose[int(rng.integers(len(oppose)))]
        items.append(TradeoffItem(id=f"{situation}|{a}|{b}", situation=situation, name_a=a, name_b=b,
                                  a_first=bool(rng.random() < 0.5), options=["Yes", "No"],
                                  objectives=[{"agree_option": 0}, {"agree_option": 1}]))
    if not items:
        raise DataError(path, "no situation has both a supporting and an opposing value")
    checks = {"rows": len(rows), "situations": len(by_situation), "situations_with_a_pair": len(items)}
    return Dataset(items, {"kind": "local", "path": str(path), "format": "valueprism_value_pairs"}, sha256_file(path),
                   checks)
