"""JSON Schemas shipped with the package, and validation with errors that show the JSON path."""
from __future__ import annotations

import json
from functools import lru_cache
from importlib.resources import files
from pathlib import Path

from pluralbench.errors import UserError

SCHEMA_VERSION = 1  # of manifest.json, metrics.json and samples.jsonl


@lru_cache(maxsize=None)
def load_schema(name: str) -> dict:
    return json.loads(files("pluralbench.schemas").joinpath(f"{name}.schema.json").read_text(encoding="utf-8"))


def json_path(error) -> str:
    path = "$"
    for part in error.absolute_path:
        path += f"[{part}]" if isinstance(part, int) else f".{part}"
    return path


def validation_errors(instance, schema: dict | str) -> list[str]:
    from jsonschema import Draft202012Validator

    if isinstance(schema, str):
        schema = load_schema(schema)
    validator = Draft202012Validator(schema)
    errors = sorted(validator.iter_errors(instance), key=lambda e: list(map(str, e.absolute_path)))
    return [f"{json_path(e)}: {e.message}" for e in errors]


def validate(instance, schema: dict | str, where: str) -> None:
    """Raise a one-line UserError naming `where` and the first failing JSON path."""
    errors = validation_errors(instance, schema)
    if errors:
        more = f" (and {len(errors) - 1} more)" if len(errors) > 1 else ""
        raise UserError(f"{where}: {errors[0]}{more}")


class IncompatibleResults(UserError):
    """Results written by a pluralbench with another results schema: never read, never skipped quietly."""


def check_schema_version(doc, path: Path) -> None:
    """Results written by an incompatible pluralbench are refused by name, not misread."""
    found = doc.get("schema_version") if isinstance(doc, dict) else None
    if found != SCHEMA_VERSION:
        by = doc.get("pluralbench_version") if isinstance(doc, dict) else None
        raise IncompatibleResults(f"{path}: results schema version {found!r}{f' (pluralbench {by})' if by else ''}; "
                                  f"this pluralbench reads version {SCHEMA_VERSION}: re-run the task, or use the "
                                  "pluralbench that wrote it")
