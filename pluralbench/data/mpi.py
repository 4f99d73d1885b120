"""Machine Personality Inventory items (IPIP-NEO; Jiang et al. 2023) and an optional human file.

Item files: CSV with columns label_raw (facet), text (item stem, "Worry about things"), label_ocean
(O/C/E/A/N) and key (1 positively keyed, -1 reverse keyed, 0 unkeyed: one mpi_1k item, which
counts for distributions and entropy but not for trait scores). `mpi_questions.csv` is TAB-separated,
`mpi_1k.csv` comma-separated; the delimiter is read from the header line.

Human answer distributions are not available offline. A file can be given in the task's data options
(`data.options.human_distributions`, a path relative to the data directory or absolute), in this JSON format:

    {"format": "pluralbench-mpi-human/1",
     "options": ["Very Accurate", "Moderately Accurate", "Neither Accurate Nor Inaccurate",
                 "Moderately Inaccurate", "Very Inaccurate"],
     "reverse_keyed_already_flipped": false,
     "items": [{"text": "Worry about things", "distribution": [120, 340, 210, 200, 130]}, ...]}

`distribution` holds counts or probabilities of the answers people gave to the item as worded, in
the `options` order. Some sources (Johnson's IPIP120.dat) store reverse-keyed items already
reverse-scored: set `reverse_keyed_already_flipped` to true and those items are flipped back, so that
keying is applied exactly once, when trait scores are computed.
"""
from __future__ import annotations

import csv
import io
from dataclasses import replace
from pathlib import Path

from pluralbench.core.items import ScaleItem
from pluralbench.core.prompts import fill
from pluralbench.data.dataset import Dataset
from pluralbench.data.distributions import check_distribution
from pluralbench.data.files import read_json, read_text
from pluralbench.data.loading import NO_CONTEXT, LoadContext, accepts
from pluralbench.errors import DataError
from pluralbench.hashing import sha256_file, sha256_json
from pluralbench.registry import data_formats

MPI_OPTIONS = ("Very Accurate", "Moderately Accurate", "Neither Accurate Nor Inaccurate", "Moderately Inaccurate",
               "Very Inaccurate")
TRAITS = ("O", "C", "E", "A", "N")
HUMAN_FORMAT = "pluralbench-mpi-human/1"


def statement(text: str) -> str:
    """'Worry about things' -> 'worry about things' (the MPI template reads 'You {statement}.')."""
    text = text.strip().rstrip(".")
    return text[:1].lower() + text[1:] if not text[:2].isupper() else text


@data_formats.register("mpi_csv")
@accepts(human_distributions={"type": "string", "minLength": 1})
def load_mpi(path: Path, data_options: dict, context: LoadContext = NO_CONTEXT) -> Dataset:
    text = read_text(path)
    header = text.splitlines()[0] if text.strip() else ""
    delimiter = "\t" if "\t" in header else ","
    reader = csv.DictReader(io.StringIO(text), delimiter=delimiter)
    missing = {"label_raw", "text", "label_ocean", "key"} - set(reader.fieldnames or [])
    if missing:
        raise DataError(path, f"missing column(s) {', '.join(sorted(missing))} (delimiter {delimiter!r})", row=0)
    template = context.prompt_template or "{statement}"
    items = []
    for index, row in enumerate(reader):
        line = index + 2  # 1-based, after the header
        stem = (row.get("text") or "").strip()
        if not stem:
            raise DataError(path, "empty item text", row=line, field="text")
        trait = (row.get("label_ocean") or "").strip()
        if trait not in TRAITS:
            raise DataError(path, f"is {trait!r}; expected one of {', '.join(TRAITS)}", row=line, field="label_ocean")
        try:
            key = int(float(row.get("key") or ""))
        except ValueError:
            key = None
        if key not in (1, -1, 0):
            raise DataError(path, f"is {row.get('key')!r}; expected 1, -1 or 0 (unkeyed)", row=line, field="key")
        items.append(ScaleItem(id=str(index), text=stem, trait=trait, facet=(row.get("label_raw") or "").strip(),
                               key=key, options=list(MPI_OPTIONS),
                               prompt=fill(template, "prompt.template", statement=statement(stem), question=stem)))
    if not items:
        raise DataError(path, "the file has no items")
    source = {"kind": "local", "path": str(path), "format": "mpi_csv", "delimiter": delimiter}
    sha = sha256_file(path)
    checks = {"rows": len(items), "reverse_keyed": sum(it.key == -1 for it in items),
              "unkeyed": sum(it.key == 0 for it in items)}
    human_path = data_options.get("human_distributions")
    if human_path:
        human_file = _resolve(human_path, context.data_dir)
        items, matched = attach_human(items, human_file)
        source["human_distributions"] = str(human_file)
        sha = sha256_json([sha, sha256_file(human_file)])
        checks |= {"human_items_matched": matched}
    return Dataset(items, source, sha, checks)


def _resolve(relative: str, data_dir) -> Path:
    path = Path(relative).expanduser()
    if not path.is_absolute() and data_dir is not None:
        path = Path(data_dir) / path
    if not path.is_file():
        raise DataError(path, "human distribution file not found (data.options.human_distributions)")
    return path


def attach_human(items: list[ScaleItem], path: Path) -> tuple[list[ScaleItem], int]:
    """The items, with `human` (a distribution over MPI_OPTIONS as worded) where the file has the item; how
    many have one."""
    data = read_json(path)
    if not isinstance(data, dict) or data.get("format") != HUMAN_FORMAT:
        raise DataError(path, f"expected a JSON object with \"format\": \"{HUMAN_FORMAT}\"", field="format")
    if list(data.get("options") or []) != list(MPI_OPTIONS):
        raise DataError(path, f"options must be {list(MPI_OPTIONS)} in that order", field="options")
    flipped = data.get("reverse_keyed_already_flipped", False)
    if not isinstance(flipped, bool):
        raise DataError(path, "must be true or false", field="reverse_keyed_already_flipped")
    rows = data.get("items")
    if not isinstance(rows, list) or not rows:
        raise DataError(path, "must be a non-empty list", field="items")
    by_text = {}
    for index, row in enumerate(rows):
        if not isinstance(row, dict) or not isinstance(row.get("text"), str):
            raise DataError(path, "each item needs a 'text' string", row=index, field="text")
        dist, _ = check_distribution(row.get("distribution"), len(MPI_OPTIONS), path=path, row=index,
                                     item_id=row["text"], field="distribution")
        by_text[row["text"].strip().lower()] = dist
    out = []
    for item in items:
        dist = by_text.get(item.text.lower())
        if dist is not None and flipped and item.key == -1:
            dist = dist[::-1]  # undo the source's reverse scoring: answers as given to the item's wording
        out.append(item if dist is None else replace(item, human=dist))
    return out, sum(it.has("human") for it in out)
