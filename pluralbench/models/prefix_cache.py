"""Reusing the key/value caches of prompt prefixes shared inside a batch.

Chat templates put the same system prompt before every question, and ValuePrism or OpinionQA
prompts share long instructions and personas. Each row of a batch takes from the cache the prefix it
shares with another row of the batch (rows of several personas each take their own persona's prefix,
one cached prefix per row). A prefix is run once (batch 1) and kept in a small LRU; the rows' cached
keys and values are left-padded to one length and stacked, and only the suffixes go through the model.
Padding (before a short prefix, and between prefix and suffix) is masked out, with position ids
counting real tokens, so every row sees exactly the positions it would see alone (results match the
unshared pass to ~1e-5).
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


def shared_length(a: Sequence[int], b: Sequence[int]) -> int:
    n = min(len(a), len(b))
    i = 0
    while i < n and a[i] == b[i]:
        i += 1
    return i


def row_prefix_lengths(rows: Sequence[Sequence[int]]) -> list[int]:
    """Per row, how many of its leading tokens come from the prefix cache: a prefix it shares with
    another row of the batch (every row keeps at least one token to run). The batch runs as wide as its
    longest remaining suffix, so a row takes the shortest shared prefix that keeps it within that width
    (fewer distinct prefixes to compute); a function of the batch alone, never of what is cached."""
    options = []
    for i, row in enumerate(rows):
        shared = {min(shared_length(row, other), len(row) - 1) for j, other in enumerate(rows) if j != i}
        options.append(sorted(p for p in shared | {0} if p == 0 or p >= MIN_SHARED_TOKENS))
    width = max(len(row) - opts[-1] for row, opts in zip(rows, options))
    return [next(p for p in opts if len(row) - p <= width) for row, opts in zip(rows, options)]


def worth_sharing(rows: Sequence[Sequence[int]], prefixes: Sequence[int]) -> bool:
    """Whether a pass with these cached prefixes processes clearly fewer tokens than a plain left-padded one.
    The part of each distinct prefix at or below its last chunk boundary is assumed cached and costs nothing."""
    if len(rows) < 2 or max(prefixes, default=0) < MIN_SHARED_TOKENS:
        return False
    plain = len(rows) * max(len(r) for r in rows)
    distinct = {tuple(r[:p]) for r, p in zip(rows, prefixes) if p}
    new = sum(len(t) - reusable_length(len(t)) for t in distinct)
    shared = len(rows) * max(len(r) - p for r, p in zip(rows, prefixes)) + new
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

    def batch_inputs(self, rows: Sequence[Sequence[int]], prefixes: Sequence[int], pad_id: int):
        """(input_ids, attention_mask, position_ids, past_key_values) for the suffixes of `rows`, row i
        continuing its own cached prefix of prefixes[i] tokens (0: none)."""
        longest = max(prefixes)
        keys = [tuple(row[:p]) for row, p in zip(rows, prefixes)]
        cached = {key: self.get(key) for key in dict.fromkeys(keys) if key}  # each distinct prefix looked up once
        pasts = [cached.get(key) for key in keys]
        past = copy.deepcopy(pasts[prefixes.index(longest)])  # the layers' structure; their tensors are replaced
        for layer_index, layer in enumerate(past.layers):
            for name in ("keys", "values"):
                template = getattr(layer, name)
                stacked = template.new_zeros((len(rows),) + template.shape[1:])
                for i, (p, row_past) in enumerate(zip(prefixes, pasts)):
                    if p:  # left-padded: every row's prefix ends where the suffixes start
                        stacked[i, :, longest - p:] = getattr(row_past.layers[layer_index], name)[0]
                setattr(layer, name, stacked)
        suffixes = [row[p:] for row, p in zip(rows, prefixes)]
        width = max(len(s) for s in suffixes)
        input_ids = torch.full((len(rows), width), pad_id, dtype=torch.long)
        mask = torch.zeros((len(rows), longest + width), dtype=torch.long)
        positions = torch.zeros((len(rows), width), dtype=torch.long)
        for i, (p, suffix) in enumerate(zip(prefixes, suffixes)):
            input_ids[i, width - len(suffix):] = torch.tensor(suffix, dtype=torch.long)
            mask[i, longest - p:longest] = 1
            mask[i, longest + width - len(suffix):] = 1
            positions[i, width - len(suffix):] = torch.arange(p, p + len(suffix))
        return input_ids.to(self.device), mask.to(self.device), positions.to(self.device), past
