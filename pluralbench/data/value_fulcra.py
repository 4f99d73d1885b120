"""Value FULCRA dialogues (Yao et al. 2023, `trustworthy_data.jsonl` of microsoft/ValueCompass).

One JSON object per line: `dialogue` ("Human: ...\\nBob: ..."), `value_types` (Schwartz basic values
with a sign, "benevolence: +1"), `value_items`, `query_source`, `response_source` (the LLM that wrote
Bob's turn). Items come out one per dialogue, as DialogueItems: id (the line number), dialogue,
response_source, labels ({value type: +1 promoted / -1 opposed / 0 not expressed / None mixed}). A type
the row does not name is 0, as in the paper's value vectors.

What the annotations need, each counted in the dataset's `checks` (recorded in the manifest):
- signs written "1", "1+" or "=1" are read as +1 ("=" is "+" without shift; no row writes "-" that way);
- a type named twice with one sign is one label; named with both signs it is "mixed" (None): the
  response promotes it in one value item and opposes it in another, which no single label says;
- spacing around ":" and letter case are normalised; a row naming no type has every type 0.
"""
from __future__ import annotations

import json
import re
from collections import Counter
from pathlib import Path

from pluralbench.core.items import DialogueItem
from pluralbench.data.dataset import Dataset
from pluralbench.data.files import has_visible_text, read_text
from pluralbench.data.loading import NO_CONTEXT, LoadContext
from pluralbench.errors import DataError
from pluralbench.hashing import sha256_file
from pluralbench.registry import data_formats

# Schwartz's ten basic values in the order of his circle, then humility (from his refined 2012 theory,
# which FULCRA's annotators used for "be humble" and "accepting my portion in life"). The definitions
# paraphrase the motivational goals Schwartz gives for each type.
SCHWARTZ_DEFINITIONS = {
    "self-direction": "independent thought and action: choosing, creating and exploring",
    "stimulation": "excitement, novelty and challenge in life",
    "hedonism": "pleasure and sensuous gratification for oneself",
    "achievement": "personal success through demonstrating competence according to social standards",
    "power": "social status and prestige, and control or dominance over people and resources",
    "security": "safety, harmony and stability of society, of relationships and of oneself",
    "conformity": "restraint of actions and impulses likely to upset or harm others or to violate social "
                  "expectations and norms",
    "tradition": "respect for, commitment to and acceptance of the customs and ideas of one's culture or religion",
    "benevolence": "preserving and enhancing the welfare of the people one is in frequent personal contact with",
    "universalism": "understanding, appreciation, tolerance and protection of the welfare of all people and of "
                    "nature",
    "humility": "recognising one's insignificance in the larger scheme of things",
}
SCHWARTZ_TYPES = tuple(SCHWARTZ_DEFINITIONS)
SIGNS = {"+1": 1, "-1": -1, "0": 0}
# Misspelt signs seen in the file, and how they are read (see the module docstring).
SIGN_QUIRKS = {"1": 1, "1+": 1, "=1": 1}
# What row_labels counts besides the misspelt signs, always reported (0 included) so manifests compare.
CHECKS = ("spacing_or_case_normalised", "repeated_same_sign", "mixed_sign_pairs", "rows_without_value_types")
_ENTRY = re.compile(r"^\s*([^:]+?)\s*:\s*(\S+)\s*$")


def _where(path: Path, line: int) -> str:
    return f"{path} line {line}"


def _rows(path: Path):
    """(line number, object) for each non-blank line."""
    for line, text in enumerate(read_text(path).splitlines(), start=1):
        if not text.strip():
            continue
        try:
            row = json.loads(text)
        except ValueError as exc:
            raise DataError(_where(path, line), f"not valid JSON ({exc})") from None
        if not isinstance(row, dict):
            raise DataError(_where(path, line), f"expected a JSON object, got {type(row).__name__}")
        yield line, row


def _text_field(row: dict, field: str, where: str) -> str:
    value = row.get(field)
    if not isinstance(value, str) or not has_visible_text(value):
        raise DataError(where, "missing or not a non-empty string", field=field)
    return value


def parse_value_type(entry, where: str, tally: Counter) -> tuple[str, int]:
    """'benevolence: +1' -> ('benevolence', 1); quirks are normalised and counted in `tally`."""
    match = _ENTRY.match(entry) if isinstance(entry, str) else None
    if match is None:
        raise DataError(where, f"entry {str(entry)[:60]!r} is not 'value type: sign'", field="value_types")
    name, sign = match.group(1).lower(), match.group(2)
    if name not in SCHWARTZ_DEFINITIONS:
        raise DataError(where, f"unknown Schwartz value type {match.group(1)!r}; known: {', '.join(SCHWARTZ_TYPES)}",
                        field="value_types")
    if sign not in SIGNS and sign not in SIGN_QUIRKS:
        raise DataError(where, f"sign {sign!r} of {name!r} is not +1, -1 or 0", field="value_types")
    if sign in SIGN_QUIRKS:
        tally[sign] += 1
    if entry != f"{name}: {sign}":
        tally["spacing_or_case_normalised"] += 1
    return name, SIGNS.get(sign, SIGN_QUIRKS.get(sign))


def row_labels(entries, where: str, tally: Counter) -> dict[str, int | None]:
    """Every Schwartz type's label for one row: 0 unless named; None when named with both signs."""
    if not isinstance(entries, list):
        raise DataError(where, f"expected a list of 'value type: sign' strings, got {type(entries).__name__}",
                        field="value_types")
    signs: dict[str, set[int]] = {}
    tally["value_type_entries"] += len(entries)
    for entry in entries:
        name, sign = parse_value_type(entry, where, tally)
        if name in signs and sign in signs[name]:
            tally["repeated_same_sign"] += 1
        signs.setdefault(name, set()).add(sign)
    if not entries:
        tally["rows_without_value_types"] += 1
    labels = {}
    for name in SCHWARTZ_TYPES:
        found = signs.get(name, {0})
        if len(found) > 1:
            tally["mixed_sign_pairs"] += 1
        labels[name] = found.pop() if len(found) == 1 else None
    return labels


@data_formats.register("value_fulcra")
def load_value_fulcra(path: Path, data_options: dict, context: LoadContext = NO_CONTEXT) -> Dataset:
    tally: Counter = Counter()
    items = []
    for line, row in _rows(path):
        where = _where(path, line)
        items.append(DialogueItem(id=str(line), dialogue=_text_field(row, "dialogue", where),
                                  response_source=_text_field(row, "response_source", where),
                                  labels=row_labels(row.get("value_types"), where, tally)))
    if not items:
        raise DataError(path, "the dataset is empty")
    checks = {"rows": len(items), "value_type_entries": tally["value_type_entries"],
              "signs_read_as_plus_1": {sign: tally[sign] for sign in SIGN_QUIRKS}}
    checks |= {key: tally[key] for key in CHECKS}
    return Dataset(items, {"kind": "local", "path": str(path), "format": "value_fulcra"}, sha256_file(path), checks)
