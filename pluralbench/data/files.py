"""Reading data files with errors that name the file and line."""
from __future__ import annotations

import json
import unicodedata
from pathlib import Path

from pluralbench.errors import DataError, UserError


def resolve_local(relative: str, data_dir: Path | None) -> Path:
    if data_dir is None:
        raise UserError(f"no data directory given for {relative}: pass --data-dir DIR or set PLURALBENCH_DATA")
    if not data_dir.is_dir():
        what = "is a file, not a directory" if data_dir.exists() else "does not exist"
        raise UserError(f"data directory {data_dir} {what} (from --data-dir or PLURALBENCH_DATA)")
    path = data_dir / relative
    if relative.endswith("/"):  # a directory of files (e.g. one folder per Polis conversation)
        if not path.is_dir():
            raise DataError(path, f"data directory not found; --data-dir (or PLURALBENCH_DATA) must point at a "
                                  f"directory containing {relative}")
        return path
    if not path.is_file() and not path.is_dir():  # a few formats read a directory of files
        raise DataError(path, f"data file not found; --data-dir (or PLURALBENCH_DATA) must point at a directory "
                              f"containing {relative}")
    return path


def read_text(path: Path) -> str:
    raw = path.read_bytes()
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        raise DataError(path, f"not valid UTF-8 (byte {exc.start}, line {line})") from None


def read_json(path: Path):
    text = read_text(path)
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise DataError(path, f"invalid JSON at line {exc.lineno} column {exc.colno}: {exc.msg}") from None
    except ValueError as exc:  # e.g. an integer of more than 4,300 digits
        raise DataError(path, f"invalid JSON: {str(exc).splitlines()[0]}") from None
    if "\\ud" in text.lower():  # a \uD800-\uDFFF escape may leave a lone surrogate, which no tokenizer takes
        _refuse_lone_surrogates(data, path)
    return data


def _refuse_lone_surrogates(node, path: Path, where: str = "$") -> None:
    if isinstance(node, str):
        try:
            node.encode("utf-8")
        except UnicodeEncodeError:
            raise DataError(path, f"{where}: text holds a lone UTF-16 surrogate (\\ud800-\\udfff escape), "
                                  "not a character") from None
    elif isinstance(node, dict):
        for key, value in node.items():
            _refuse_lone_surrogates(value, path, f"{where}.{key}")
    elif isinstance(node, list):
        for i, value in enumerate(node):
            _refuse_lone_surrogates(value, path, f"{where}[{i}]")


def read_json_rows(path: Path) -> list[dict]:
    """A JSON file holding a non-empty list of objects; the first bad row is named."""
    rows = read_json(path)
    if not isinstance(rows, list):
        raise DataError(path, "expected a JSON list of rows")
    if not rows:
        raise DataError(path, "the dataset is empty")
    for index, row in enumerate(rows):
        if not isinstance(row, dict):
            raise DataError(path, f"expected an object, got {type(row).__name__}", row=index)
    return rows


def rows_with_ids(path: Path, rows: list[dict]):
    """(row index, row, id as text) for rows from read_json_rows(path) that must carry unique ids."""
    seen: dict[str, int] = {}
    for index, row in enumerate(rows):
        if "id" not in row:
            raise DataError(path, "missing", row=index, field="id")
        if isinstance(row["id"], bool) or not isinstance(row["id"], (str, int)) or row["id"] == "":
            raise DataError(path, f"is {str(row['id'])[:40]!r}: an id must be a non-empty string or an integer",
                            row=index, field="id")
        item_id = str(row["id"])
        if item_id in seen:
            raise DataError(path, f"duplicate id (first seen at row {seen[item_id]})", row=index, item_id=item_id,
                            field="id")
        seen[item_id] = index
        yield index, row, item_id


def has_visible_text(text: str) -> bool:
    """False for text of only whitespace, control or format characters (e.g. a zero-width space)."""
    stripped = text.strip()  # whitespace is Z or C: almost every real text is decided by its first character
    if stripped and unicodedata.category(stripped[0])[0] not in "ZC":
        return True
    return any(unicodedata.category(c)[0] not in "ZC" for c in stripped)
