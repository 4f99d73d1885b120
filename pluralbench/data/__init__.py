"""Data loaders: a local file under the data directory, or the Hugging Face hub through `datasets`."""
from __future__ import annotations

from pathlib import Path

from pluralbench.data import (  # noqa: F401  (register their formats)  # noqa: F401
    country_juries,
    daily_dilemmas,
    dilemma_principles,
    mpi,
    multiple_choice,  # noqa: F401  (registers its formats)
    nyt_books,
    opinionqa_waves,
    polis,
    popquorn,
    social_choice,
    valence,
    value_pairs,
    valueprism,  # noqa: F401  (registers its formats)
)
from pluralbench.data.dataset import Dataset
from pluralbench.data.files import resolve_local
from pluralbench.registry import data_formats


def load_task_data(data_cfg: dict, data_dir: Path | None, params: dict) -> Dataset:
    """Local files when a data directory is given (offline first); otherwise the hub."""
    local, hub = data_cfg.get("local"), data_cfg.get("hub")
    if data_dir is not None or hub is None:
        if local is None:
            from pluralbench.errors import UserError

            raise UserError("this task has no local data source; run without --data-dir to use the hub")
        path = resolve_local(local["path"], data_dir)
        return data_formats.get(local["format"])(path, params)
    return data_formats.get(hub["format"])(hub, params)


__all__ = ["Dataset", "load_task_data"]
