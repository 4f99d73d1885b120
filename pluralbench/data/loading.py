"""What a data loader is given, and the check of a task's `data.options` against what its loaders read.

A loader is called once as `loader(source, options, context)`: `source` is the local path (under the
data directory) or the task's hub spec, `options` the task file's `data.options` (seeds, sizes,
thresholds, companion files) restricted to those the loader declares with `@accepts(...)`, and
`context` what comes from outside the data block (LoadContext). One `data.options` block serves both
sources of a task (their formats may read different keys); a key that no source's format reads is
refused when the task file loads, before data or model.
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from pluralbench.core.items import Item, as_item
from pluralbench.data.dataset import Dataset
from pluralbench.errors import UnknownName, UserError
from pluralbench.registry import data_formats
from pluralbench.schemas import validate

NO_OPTIONS = {"type": "object", "additionalProperties": False}  # a loader that declares none accepts none
SOURCES = ("local", "hub")


@dataclass(frozen=True)
class LoadContext:
    """What a loader may use besides its source and options."""
    data_dir: Path | None = None  # relative companion files named in the options (MPI's human file) are under it
    prompt_template: str | None = None  # the task's prompt.template, for loaders that render item prompts
    # The item type the task's family reads (TaskFamily.item_type): every loaded item is one, checked here,
    # so a plugin loader's dict with a missing or unknown field fails at load with one line.
    item_type: type[Item] | None = None


NO_CONTEXT = LoadContext()  # a loader called directly (tests): no data directory, the loader's own prompt


def accepts(**properties):
    """Declare the `data.options` a loader reads: option name -> JSON Schema of its value."""
    def declare(loader):
        loader.options_schema = NO_OPTIONS | {"properties": properties}
        return loader
    return declare


def _declared(loader) -> dict:
    return getattr(loader, "options_schema", NO_OPTIONS).get("properties", {})


def call_loader(fmt: str, source, options: dict, context: LoadContext) -> Dataset:
    """Load `source` with format `fmt`, giving the loader the options it declares."""
    loader = data_formats.get(fmt)
    dataset = loader(source, {k: v for k, v in options.items() if k in _declared(loader)}, context)
    return typed(dataset, context.item_type, f"data format {fmt!r} ({source if isinstance(source, Path) else fmt})")


def typed(dataset: Dataset, item_type: type[Item] | None, where: str) -> Dataset:
    """The dataset with every item a `item_type` (items already of that type are kept as they are)."""
    if item_type is None or all(isinstance(it, item_type) for it in dataset.items):
        return dataset
    items = [as_item(item_type, it, where) for it in dataset.items]
    return Dataset(items, dataset.source, dataset.sha256, dataset.checks)


def check_data_options(data: dict, where) -> None:
    """Every option is read by the format of at least one of the task's sources, and valid for each that reads it."""
    options = data.get("options", {})
    loaders = {}
    for kind in (k for k in SOURCES if k in data):
        fmt = data[kind]["format"]
        try:
            loaders[fmt] = data_formats.get(fmt)
        except UnknownName as exc:  # only registered names: a task file cannot point at a module to import
            raise UserError(f"{where} $.data.{kind}.format: {exc}") from None
    read = {key: {} for loader in loaders.values() for key in _declared(loader)}
    validate(options, NO_OPTIONS | {"properties": read}, f"{where} (data.options for {', '.join(loaders)})")
    for fmt, loader in loaders.items():
        validate(options, {"properties": _declared(loader)}, f"{where} (data.options for {fmt})")
