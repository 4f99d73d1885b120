"""Attention over a packed token trie, row by row.

A packed batch (packed_prompts.py) runs its trie as one sequence. Under a dense 4-D mask every node's
query meets every node's key, most of them masked out (~500 x 500 for 8 prompts). Here each node is a
query once, in the row that reaches it first (the trie numbers nodes in that order, so those are the tail
of the row's path), and meets only the keys along that row's path, causally: per row a block of its new
nodes x its path (a long row cut into several blocks of one width), the blocks side by side. The linear
layers still run the packed sequence, unpadded.
Rows never exceed a sliding window (packable_trie refuses those batches), so no window applies.
"""
from __future__ import annotations

from dataclasses import dataclass

import torch
import torch.nn.functional as F

from pluralbench.models.packed_prompts import row_paths

ATTENTION = "pluralbench_trie_rows"


def slot_width(counts: list[int]) -> int:
    """The query width that leaves the fewest query slots (ties: the wider, fewer blocks) when a row with more
    new nodes splits into several blocks: one long row (the first, which owns the shared root) no longer
    pads every other row to its length."""
    candidates = sorted({c for c in counts if c}) or [1]
    return min(candidates, key=lambda w: (w * sum(-(-c // w) for c in counts), -w))


def query_blocks(trie: tuple) -> list[tuple[list[int], int, int]]:
    """-> (row path, position of the block's first node in it, nodes in the block): each row's new nodes
    (those numbered after every earlier row's, the tail of its path), cut to slot_width."""
    paths = row_paths(trie[2], trie[3])
    tails, created = [], 0
    for path in paths:
        tails.append(sum(1 for n in path if n >= created))
        created = max(created, path[-1] + 1)
    width = slot_width(tails)
    return [(path, len(path) - tail + start, min(width, tail - start))
            for path, tail in zip(paths, tails) for start in range(0, tail, width)]


@dataclass
class TrieRows:
    queries: torch.Tensor  # (blocks, query width): the node in each query slot (padding: node 0)
    keys: torch.Tensor  # (blocks, key width): the node in each key column, along the row's path (padding: node 0)
    bias: torch.Tensor  # (blocks, 1, query width, key width): 0 where the slot's node sees the column, else -inf
    place: torch.Tensor  # (nodes,): each node's slot in the flattened blocks x query width

    @classmethod
    def of(cls, trie: tuple, dtype, device) -> "TrieRows":
        blocks = query_blocks(trie)
        query_width, key_width = max(b[2] for b in blocks), max(len(b[0]) for b in blocks)
        queries = torch.zeros((len(blocks), query_width), dtype=torch.long)
        keys = torch.zeros((len(blocks), key_width), dtype=torch.long)
        seen = torch.zeros((len(blocks), query_width, key_width), dtype=torch.bool)
        seen[:, :, 0] = True  # padding slots see one column (a row of -inf would give NaN)
        place = torch.zeros(len(trie[0]), dtype=torch.long)
        for i, (path, first, count) in enumerate(blocks):
            keys[i, :len(path)] = torch.tensor(path)
            queries[i, :count] = torch.tensor(path[first:first + count], dtype=torch.long)
            for j in range(count):
                seen[i, j, :first + j + 1] = True
            place[queries[i, :count]] = i * query_width + torch.arange(count)
        bias = torch.zeros(seen.shape, dtype=dtype).masked_fill(~seen, float("-inf"))[:, None]
        return cls(queries.to(device), keys.to(device), bias.to(device), place.to(device))


def trie_attention(module, query, key, value, attention_mask, scaling=None, trie_rows: TrieRows | None = None, **_):
    """query (1, heads, nodes, dim); key, value (1, kv heads, nodes, dim) -> (1, nodes, heads, dim), None."""
    t = trie_rows
    q = query[0][:, t.queries].transpose(0, 1)  # (rows, heads, query width, dim)
    k, v = (x[0][:, t.keys].transpose(0, 1) for x in (key, value))  # (rows, kv heads, key width, dim)
    out = F.scaled_dot_product_attention(q, k, v, attn_mask=t.bias, scale=scaling, enable_gqa=True)
    return out.transpose(1, 2).flatten(0, 1)[t.place][None], None
