"""`pluralbench merge` sums the shards' counts; a generated-token count unknown in one shard (a server that
reported none, a run made before the count existed) is unknown for the merged run, never a partial sum."""
from __future__ import annotations

from pathlib import Path

import pytest

from pluralbench.runner.merge import ShardRun, _merged_manifest
from pluralbench.runner.shard import parse_shard


def shard(index: int, **counts) -> ShardRun:
    manifest = {"run_id": f"r{index}", "created_at": "2026-01-01T00:00:00+00:00", "environment": {},
                "shard": {"index": index, "count": 2}, "data": {"items_used": 1}, "timings": {"total_s": 1.0},
                "counts": {"unique_requests": 2, "model_calls": 2, **counts}}
    return ShardRun(Path(f"/runs/r{index}"), manifest, parse_shard(f"{index}/2"))


@pytest.mark.parametrize("first, second, fresh, total", [
    ({"generated_tokens": 5, "generated_tokens_total": 9}, {"generated_tokens": 0, "generated_tokens_total": 4}, 5, 13),
    ({"generated_tokens": 0, "generated_tokens_total": 0}, {"generated_tokens": 0, "generated_tokens_total": 0}, 0, 0),
    ({"generated_tokens": 5, "generated_tokens_total": None}, {"generated_tokens": 3, "generated_tokens_total": 3},
     8, None),
    ({}, {"generated_tokens": 3, "generated_tokens_total": 3}, None, None),
])
def test_merged_generated_tokens(first, second, fresh, total):
    counts = _merged_manifest("merged", [shard(1, **first), shard(2, **second)], 2, [])["counts"]
    assert (counts["generated_tokens"], counts["generated_tokens_total"]) == (fresh, total)
    assert counts["model_calls"] == 4
