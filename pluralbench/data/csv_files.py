"""CSV files, and the Python-literal text some CSV fields hold (lists, dicts, sets, and the reprs of
`defaultdict` and `Counter` that pandas wrote when a column held them), read without `eval`.

Rows are numbered from 0 after the header, as the unnamed index column pandas writes numbers them.
"""
from __future__ import annotations

import ast
import csv
import io
import re
from pathlib import Path

from pluralbench.data.files import read_text
from pluralbench.errors import DataError


def read_csv_rows(path: Path, required: set[str]) -> list[dict[str, str]]:
    """The data rows of a CSV file with a header holding every `required` column (quoted newlines kept)."""
    reader = csv.DictReader(io.StringIO(read_text(path), newline=""))
    missing = required - set(reader.fieldnames or [])
    if missing:
        raise DataError(path, f"missing column(s) {', '.join(sorted(missing))}")
    try:
        rows = list(reader)
    except csv.Error as exc:
        raise DataError(path, f"malformed CSV at line {reader.line_num}: {exc}") from None
    for index, row in enumerate(rows):
        if None in row or None in row.values():  # more fields than the header, or fewer
            raise DataError(path, f"has a different number of fields than the header ({len(reader.fieldnames)})",
                            row=index)
    if not rows:
        raise DataError(path, "the file has no data rows")
    return rows


# A quoted string (kept as is), a bare nan (pandas' missing value), or the opening of a defaultdict/Counter
# repr up to its factory (`defaultdict(<class 'list'>, ` or `defaultdict(<function <lambda> at 0x...>, `).
_TOKENS = re.compile(r"""('(?:[^'\\]|\\.)*'|"(?:[^"\\]|\\.)*")|\bnan\b|\b(?:defaultdict|Counter)\((?:<(?:[^<>]|<[^<>]*>)*>,\s*)?""")


def _as_literal(text: str) -> str:
    """The text with nan as None and defaultdict(<factory>, {...}) / Counter({...}) as a parenthesised dict."""
    return _TOKENS.sub(lambda m: m.group(1) or ("None" if m.group(0) == "nan" else "("), text)


def python_literal(text: str, kind: type, *, path, row: int, field: str, item_id=None):
    """A field's Python-literal value (nan read as None), required to be of `kind`."""
    try:
        value = ast.literal_eval(_as_literal(text))
    except (ValueError, SyntaxError, TypeError, MemoryError, RecursionError) as exc:
        raise DataError(path, f"not a Python literal ({type(exc).__name__}): {text[:60]!r}", row=row, item_id=item_id,
                        field=field) from None
    if not isinstance(value, kind):
        raise DataError(path, f"expected a {kind.__name__}, got {type(value).__name__}", row=row, item_id=item_id,
                        field=field)
    return value
