"""Reusing the key/value cache of a prompt prefix shared by a whole batch.

Chat templates put the same system prompt before every question, and ValuePrism or OpinionQA
prompts share long instructions and personas. The prefix is run once (batch 1), its cache kept in a
small LRU, copied and repeated across the batch; only the suffixes go through the model. Padding
sits between prefix and suffix, masked out, with position ids counting real tokens, so every row
sees exactly the positions it would see alone (results match the unshared pass to ~1e-6).
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
    `reusable` tokens of the prefix are already in the cache and cost nothing."""
    if len(rows) < 2 or prefix_len < MIN_SHARED_TOKENS:
        return False
    plain = len(rows) * max(len(r) for r in rows)
    shared = len(rows) * max(len(r) - prefix_len for r in rows) + prefix_len - min(reusable, prefix_len)
    return shared <= (1 - MIN_SAVING) * plain


class PrefixCache:
    """An LRU of prefix key/value caches. A new prefix starts from the cached one it shares the most
    tokens with (cropped to the shared part), so consecutive batches that share a system prompt and an
    instruction but not a question pay only for their new tokens."""

    def __init__(self, model, device, capacity: int = 8):
        self.model = model
        self.device = device
        self.capacity = capacity
        self._entries: OrderedDict[tuple[int, ...], object] = OrderedDict()
        self.hits = 0
        self.misses = 0
        self.extended = 0  # misses that started from a cached prefix
        self.computed_tokens = 0

    def __contains__(self, prefix: tuple[int, ...]) -> bool:
        return prefix in self._entries

    def _closest(self, prefix: tuple[int, ...]) -> tuple[tuple[int, ...] | None, int]:
        """The cached key sharing the longest start with `prefix`, and how many tokens they share."""
        best, best_len = None, 0
        for key in self._entries:
            n = common_prefix_length([key, prefix])
            if n > best_len:
                best, best_len = key, n
        return best, best_len

    def reusable(self, prefix: tuple[int, ...]) -> int:
        """Tokens of `prefix` whose keys and values are already cached."""
        _, n = self._closest(prefix)
        return n if n >= MIN_SHARED_TOKENS or n == len(prefix) else 0

    def get(self, prefix: tuple[int, ...]):
        if prefix in self._entries:
            self._entries.move_to_end(prefix)
            self.hits += 1
            return self._entries[prefix]
        self.misses += 1
        key, shared = self._closest(prefix)
        past, start = None, 0
        if key is not None and shared >= MIN_SHARED_TOKENS:
            past = copy.deepcopy(self._entries[key])
            try:
                extra = past.get_seq_length() - shared
                if extra > 0:
                    past.crop(-extra)  # a negative count removes tokens from the end (all transformers versions)
                start = shared
                self.extended += 1
            except (ValueError, RuntimeError, NotImplementedError, AttributeError):  # a cache that cannot be cropped
                past, start = None, 0
        if start == len(prefix):  # a cached key continued this prefix: cropping was all it took
            entry = past
        else:
            ids = torch.tensor([prefix[start:]], dtype=torch.long, device=self.device)
            positions = torch.arange(start, len(prefix), device=self.device)[None, :]
            out = self.model(input_ids=ids, position_ids=positions, past_key_values=past, use_cache=True,
                             logits_to_keep=1)
            entry = out.past_key_values
            self.computed_tokens += len(prefix) - start
        self._entries[prefix] = entry
        if len(self._entries) > self.capacity:
            self._entries.popitem(last=False)
        return entry

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
