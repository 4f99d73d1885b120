"""Shards: `--shard i/n` evaluates the items whose id hashes to slot i of n (1-based).

The slot is sha256(item id) mod n, so it depends on nothing but the id: the same item lands in the
same shard on every machine and every run, whatever the item order or the other items. --limit
applies first, so the n shards of a limited run partition exactly the items the unsharded run uses.
"""
from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass

from pluralbench.core.items import Item
from pluralbench.errors import UserError

_PATTERN = re.compile(r"^\s*(\d+)\s*/\s*(\d+)\s*$")
RULE = "sha256(item id) mod n == i - 1"


@dataclass(frozen=True)
class Shard:
    index: int  # 1..count
    count: int

    def __str__(self) -> str:
        return f"{self.index}/{self.count}"

    def contains(self, item_id) -> bool:
        return shard_slot(item_id, self.count) == self.index - 1

    def select(self, items: list[Item]) -> list[Item]:
        return [it for it in items if self.contains(it["id"])]

    def to_json(self) -> dict:
        return {"index": self.index, "count": self.count, "rule": RULE}


def shard_slot(item_id, count: int) -> int:
    digest = hashlib.sha256(str(item_id).encode("utf-8")).digest()
    return int.from_bytes(digest[:8], "big") % count


def parse_shard(text: str) -> Shard:
    match = _PATTERN.match(text or "")
    if not match:
        raise UserError(f"--shard {text!r} is not of the form i/n (for example 1/3)")
    index, count = int(match.group(1)), int(match.group(2))
    if count < 1 or not 1 <= index <= count:
        raise UserError(f"--shard {text!r}: i must be between 1 and n (shards are numbered 1/{max(count, 1)} to "
                        f"{max(count, 1)}/{max(count, 1)})")
    return Shard(index, count)
