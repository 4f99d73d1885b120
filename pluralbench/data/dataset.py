"""A loaded dataset: normalised items plus what identifies the data they came from."""
from __future__ import annotations

from dataclasses import dataclass, field

from pluralbench.core.items import Item


@dataclass
class Dataset:
    items: list[Item]
    source: dict  # {"kind": "local", "path": ..., "format": ...} or {"kind": "hub", "path": ..., "revision": ...}
    sha256: str  # of the file bytes (local) or of the hub dataset's fingerprint
    checks: dict = field(default_factory=dict)  # data-quality counts, e.g. rows renormalised

    def limited(self, limit: int | None) -> "Dataset":
        """The first `limit` items, in file order: deterministic, so two runs with --limit N agree."""
        if limit is None:
            return self
        return Dataset(self.items[:limit], self.source, self.sha256, self.checks)
