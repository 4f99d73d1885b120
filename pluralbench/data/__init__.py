"""Data loaders: a local file under the data directory, or the Hugging Face hub through `datasets`."""
from __future__ import annotations

from pluralbench.data import (  # noqa: F401  (register their formats)  # noqa: F401
    country_juries,
    daily_dilemmas,
    dilemma_principles,
    mpi,
    multiple_choice,  # noqa: F401  (registers its formats)
    nyt_books,
    opinionqa_ordinals,
    opinionqa_waves,
    polis,
    popquorn,
    social_choice,
    valence,
    value_fulcra,
    value_pairs,
    valueprism,  # noqa: F401  (registers its formats)
)
from pluralbench.data.dataset import Dataset
from pluralbench.data.files import resolve_local
from pluralbench.data.loading import LoadContext, call_loader


def load_task_data(data_cfg: dict, context: LoadContext) -> Dataset:
    """Local files when a data directory is given (offline first); otherwise the hub. Either source's
    loader gets the task's `data.options` it reads."""
    local, hub = data_cfg.get("local"), data_cfg.get("hub")
    options = data_cfg.get("options", {})
    if context.data_dir is not None or hub is None:
        if local is None:
            from pluralbench.errors import UserError

            raise UserError("this task has no local data source; run without --data-dir to use the hub")
        path = resolve_local(local["path"], context.data_dir)
        return call_loader(local["format"], path, options, context)
    return call_loader(hub["format"], hub, options, context)


__all__ = ["Dataset", "LoadContext", "load_task_data"]
