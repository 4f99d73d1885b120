"""Scoring a batch of prompts as one packed token tree: every token the batch's prompts share is run once.

Prompts sorted side by side share beginnings (a system prompt, an instruction, a persona). The batch's
rows are merged into a trie of tokens; the trie goes through the model as one sequence in which each
token attends only to its own ancestors (a 4-D boolean mask) at its depth as position, and the logits
are read at each row's last token. No padding is run and no shared token is run twice, in one forward
call (batch-1 prefix passes cost a full read of the weights each). The numbers depend on the batch
alone, never on what ran before, so a resumed run reproduces an uninterrupted one; they match the plain
padded pass to float rounding (~1e-5 in log-probabilities).
"""
from __future__ import annotations

from typing import Sequence

import numpy as np
import torch

from pluralbench.models.own_attention import attention_as, placeholder_mask

# Pack only when the trie saves at least this share of a plain padded batch's tokens: attention over the
# packed sequence grows with its length squared, and small savings do not pay for it.
MIN_SAVING = 0.2
# ... and only up to this many packed tokens: the attention scores of one sequence take heads x T^2 floats.
MAX_PACKED_TOKENS = 2048


def token_trie(rows: Sequence[Sequence[int]]) -> tuple[list[int], list[int], list[int], list[int]]:
    """-> (token of each trie node, its depth, its parent node (-1 at a root), each row's last node).
    Nodes are numbered in the order rows reach them, so a parent always comes before its children."""
    tokens: list[int] = []
    depths: list[int] = []
    parents: list[int] = []
    ends: list[int] = []
    child: dict[tuple[int, int], int] = {}
    for row in rows:
        node = -1
        for depth, token in enumerate(row):
            nxt = child.get((node, token))
            if nxt is None:
                nxt = child[(node, token)] = len(tokens)
                tokens.append(int(token))
                depths.append(depth)
                parents.append(node)
            node = nxt
        ends.append(node)
    return tokens, depths, parents, ends


def ancestor_mask(parents: Sequence[int]) -> np.ndarray:
    """mask[i, j]: node j is node i or one of its ancestors (what a token may attend to)."""
    mask = np.zeros((len(parents), len(parents)), dtype=bool)
    for i, parent in enumerate(parents):
        if parent >= 0:
            mask[i] = mask[parent]
        mask[i, i] = True
    return mask


def worth_packing(rows: Sequence[Sequence[int]], trie_size: int) -> bool:
    plain = len(rows) * max(len(r) for r in rows)
    return len(rows) > 1 and trie_size <= min((1 - MIN_SAVING) * plain, MAX_PACKED_TOKENS)


def sliding_window(model) -> int | None:
    """The attention window of a model with sliding-window layers (Gemma 3: 512), else None."""
    config = model.config
    text = config.get_text_config() if hasattr(config, "get_text_config") else config
    return getattr(text, "sliding_window", None)


def packable_trie(model, rows: Sequence[Sequence[int]]) -> tuple | None:
    """The batch's token trie when packing saves enough and every row fits a sliding attention window (the
    ancestor mask has no window); None otherwise, and the caller runs a plain padded pass."""
    window = sliding_window(model)
    if window is not None and max(len(r) for r in rows) > window:
        return None
    trie = token_trie(rows)
    return trie if worth_packing(rows, len(trie[0])) else None


def packed_forward(model, trie: tuple, device, past=None):
    """The trie as one sequence through the model; logits at each row's last token. With `past` (an empty
    cache) the trie's keys and values are kept in it. A model on torch's attention (`sdpa`) attends row by
    row (trie_attention.py); any other keeps its own attention under the dense ancestor mask."""
    tokens, depths, parents, ends = trie
    inputs = dict(input_ids=torch.tensor([tokens], dtype=torch.long, device=device),
                  position_ids=torch.tensor([depths], dtype=torch.long, device=device), past_key_values=past,
                  use_cache=past is not None, logits_to_keep=torch.tensor(ends, dtype=torch.long, device=device))
    if model.config._attn_implementation == "sdpa":
        from pluralbench.models.trie_attention import ATTENTION, TrieRows, trie_attention

        with attention_as(model, ATTENTION, trie_attention) as swapped:
            if swapped:
                return model(attention_mask=placeholder_mask(device), trie_rows=TrieRows.of(trie, model.dtype, device),
                             **inputs)
    # An additive float mask: torch's CPU attention runs it ~15% faster than the same mask as booleans.
    allowed = torch.from_numpy(ancestor_mask(parents))[None, None]
    mask = torch.zeros(allowed.shape, dtype=model.dtype).masked_fill(~allowed, float("-inf")).to(device)
    return model(attention_mask=mask, **inputs)


def packed_last_logits(model, rows: Sequence[Sequence[int]], device) -> torch.Tensor | None:
    """Each row's next-token logits, (rows, vocabulary), from one packed pass; None when the batch does
    not pack (packable_trie)."""
    trie = packable_trie(model, rows)
    return None if trie is None else packed_forward(model, trie, device).logits[0]


def row_paths(parents: Sequence[int], ends: Sequence[int]) -> list[list[int]]:
    """Each row's trie nodes from its first token to its last."""
    paths = []
    for node in ends:
        path = []
        while node >= 0:
            path.append(node)
            node = parents[node]
        paths.append(path[::-1])
    return paths


def unpack_cache(packed, trie: tuple, device):
    """The packed pass's keys and values as a left-padded batch, one row per prompt (a row's entries are the
    nodes along its path, positions already applied): -> (cache, attention mask (rows, width))."""
    paths = row_paths(trie[2], trie[3])
    width = max(len(p) for p in paths)
    index = torch.zeros((len(paths), width), dtype=torch.long)
    mask = torch.zeros((len(paths), width), dtype=torch.long)
    for i, path in enumerate(paths):
        index[i, width - len(path):] = torch.tensor(path, dtype=torch.long)
        mask[i, width - len(path):] = 1
    from transformers import DynamicCache  # here: the batch planner imports this module without transformers

    index = index.to(device)
    rows = DynamicCache()
    for layer_index, layer in enumerate(packed.layers):
        # (1, heads, nodes, dim) -> (heads, rows, width, dim) -> (rows, heads, width, dim)
        keys, values = (t[0][:, index].transpose(0, 1).contiguous() for t in (layer.keys, layer.values))
        rows.update(keys, values, layer_index)
    return rows, mask.to(device)
