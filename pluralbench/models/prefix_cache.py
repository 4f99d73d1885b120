"""Reusing the key/value cache of a prompt prefix shared by a whole batch.

Chat templates put the same system prompt before every question, and ValuePrism or OpinionQA
prompts share long instructions and personas. The prefix is run once (batch 1), its cache kept in a
small LRU, copied and repeated across the batch; only the suffixes go through the model. Padding
sits between prefix and suffix, masked out, with position ids counting real tokens, so every row
sees exactly the positions it would see alone (results match the unshared pass to ~1e-5).
"""
from __future__ import annotations

import copy
from collections import OrderedDict
from typing import Sequence

import torch

MIN_SHARED_TOKENS = 8  # below this the bookkeeping costs more than it saves
# Share only when it removes at least this share of the tokens a plain padded batch would process:
# copying and repeating the cached prefix, and the longer attention span, eat small savings.
MIN_SAVING = 0.2


def common_prefix_length(rows: Sequence[Sequence[int]]) -> int:
    if not rows:
        return 0
    first = rows[0]
    n = min(len(r) for r in rows)
    for row in rows[1:]:
        i = 0
        while i < n and row[i] == first[i]:
            i += 1
        n = i
        if n == 0:
            break
    return n


def worth_sharing(rows: Sequence[Sequence[int]], prefix_len: int, reusable: int = 0) -> bool:
    """Whether a shared-prefix pass processes clearly fewer tokens than a plain left-padded one;
    `reusable` tokens of the prefix are assumed cached and cost nothing."""
    if len(rows) < 2 or prefix_len < MIN_SHARED_TOKENS:
        return False
    plain = len(rows) * max(len(r) for r in rows)
    shared = len(rows) * max(len(r) - prefix_len for r in rows) + prefix_len - min(reusable, prefix_len)
    return shared <= (1 - MIN_SAVING) * plain


CHUNK = 32  # prefixes are computed in chunks at fixed boundaries, so their keys/values never depend on history


def reusable_length(prefix_len: int) -> int:
    """Tokens of a prefix at or below its last chunk boundary: what earlier batches usually left cached.
    Deterministic on purpose, so whether a batch shares depends on the batch alone, never on history."""
    return (prefix_len // CHUNK) * CHUNK


class PrefixCache:
    """An LRU of prefix key/value caches.

    A prefix's keys and values are always computed the same way: chunk by chunk at multiples of CHUNK
    tokens, then the remainder. Each boundary is cached, so a new prefix that shares a system prompt
    and an instruction with an earlier one starts from their common boundary and pays only for the
    rest; and because the chunking depends on the prefix alone, a run resumed in a fresh process
    computes bit-identical numbers (what makes a killed run's metrics equal an uninterrupted one's).
    """

    def __init__(self, model, device, capacity: int = 16):
        self.model = model
        self.device = device
        self.capacity = capacity
        self._entries: OrderedDict[tuple[int, ...], object] = OrderedDict()
        self.hits = 0
        self.misses = 0
        self.extended = 0  # misses that started from a cached boundary
        self.computed_tokens = 0

    def _store(self, prefix: tuple[int, ...], past) -> None:
        self._entries[prefix] = past
        self._entries.move_to_end(prefix)
        while len(self._entries) > self.capacity:
            self._entries.popitem(last=False)

    def _extend(self, past, tokens: tuple[int, ...], start: int):
        ids = torch.tensor([tokens], dtype=torch.long, device=self.device)
        positions = torch.arange(start, start + len(tokens), device=self.device)[None, :]
        past = copy.deepcopy(past) if past is not None else None  # cached entries are never modified
        out = self.model(input_ids=ids, position_ids=positions, past_key_values=past, use_cache=True,
                         logits_to_keep=1)
        self.computed_tokens += len(tokens)
        return out.past_key_values

    def get(self, prefix: tuple[int, ...]):
        if prefix in self._entries:
            self._entries.move_to_end(prefix)
            self.hits += 1
            return self._entries[prefix]
        self.misses += 1
        boundaries = list(range(CHUNK, len(prefix), CHUNK))  # strictly inside the prefix
        start, past = 0, None
        for b in reversed(boundaries):
            if prefix[:b] in self._entries:
                start, past = b, self._entries[prefix[:b]]
                self.extended += 1
                break
        for b in boundaries:
            if b > start:
                past = self._extend(past, prefix[start:b], start)
                self._store(prefix[:b], past)
                start = b
        past = self._extend(past, prefix[start:], start)
        self._store(prefix, past)
        return past

    def batch_inputs(self, rows: Sequence[Sequence[int]], prefix_len: int, pad_id: int):
        """(input_ids, attention_mask, position_ids, past_key_values) for the suffixes of `rows`."""
        past = copy.deepcopy(self.get(tuple(rows[0][:prefix_len])))
        past.batch_repeat_interleave(len(rows))
        suffixes = [row[prefix_len:] for row in rows]
        width = max(len(s) for s in suffixes)
        input_ids = torch.full((len(rows), width), pad_id, dtype=torch.long)
        suffix_mask = torch.zeros((len(rows), width), dtype=torch.long)
        for i, suffix in enumerate(suffixes):
            input_ids[i, width - len(suffix):] = torch.tensor(suffix, dtype=torch.long)
            suffix_mask[i, width - len(suffix):] = 1
        mask = torch.cat([torch.ones((len(rows), prefix_len), dtype=torch.long), suffix_mask], dim=1)
        positions = prefix_len + (suffix_mask.cumsum(-1) - 1).clamp(min=0)
        return input_ids.to(self.device), mask.to(self.device), positions.to(self.device), past
