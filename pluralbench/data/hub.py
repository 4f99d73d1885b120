"""Datasets on the Hugging Face hub, through the `datasets` package (imported only when used)."""
from __future__ import annotations

from pluralbench.errors import UserError


def load_hub_dataset(hub: dict, default_split: str, note: str = ""):
    """The task's `hub` source (path, optional name/config, split, revision) as a `datasets.Dataset`;
    `note` is added to the error said when it cannot be loaded (e.g. that the dataset is gated)."""
    try:
        import datasets
    except ImportError:
        raise UserError("loading from the hub needs the `datasets` package; or pass --data-dir") from None
    try:
        return datasets.load_dataset(hub["path"], hub.get("name"), split=hub.get("split", default_split),
                                     revision=hub.get("revision"))
    except Exception as exc:  # offline, gated, missing: all end the same way for the user
        raise UserError(f"could not load {hub['path']} from the Hugging Face hub ({type(exc).__name__}{note}); "
                        "offline, pass --data-dir DIR (or set PLURALBENCH_DATA) to a directory holding the local "
                        "files") from None
