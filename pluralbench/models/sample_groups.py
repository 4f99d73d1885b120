"""Decoding N samples per prompt with the prompt's keys and values shared by its samples.

The batch stays one row per prompt. At each step a prompt's still-running samples feed their latest
token side by side as that row's new query tokens (each attending to the prompt and to its own earlier
tokens only, through a 4-D mask), and the new keys and values are appended to the prompt's row. So the
prompt is never copied per sample: the cache grows by one column per running sample and step, and a step
reads each prompt's keys once for all its samples (copying the prompt cache per sample made every step
re-concatenate prompts x N copies of it).
"""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import torch


@dataclass
class Columns:
    """Which cache columns each sample may attend to, and the position each column holds."""
    prompt: np.ndarray  # (prompts, width) bool: the prompt's real tokens
    positions: np.ndarray  # (prompts, columns) int: the position of each column's token
    own: list[list[int]] = field(default_factory=list)  # per sample, the columns of its earlier tokens

    @classmethod
    def of_prompts(cls, mask: torch.Tensor, samples: int) -> "Columns":
        prompt = mask.cpu().numpy().astype(bool)
        return cls(prompt, prompt.cumsum(-1) - 1, [[] for _ in range(len(prompt) * samples)])

    def add_step(self, slots: list[list[int]], positions: np.ndarray, window: int | None, dtype: torch.dtype):
        """Append one column per slot (slots[p]: the samples feeding a token in prompt p's row) and return
        the attention mask of the step's queries: (prompts, 1, queries, columns), or by layer type for a
        model with sliding-window layers."""
        prompts, width = len(slots), positions.shape[1]
        start = self.positions.shape[1]
        self.positions = np.concatenate([self.positions, positions], axis=1)
        allowed = np.zeros((prompts, width, self.positions.shape[1]), dtype=bool)
        allowed[:, :, :self.prompt.shape[1]] = self.prompt[:, None, :]
        for p, samples in enumerate(slots):
            for i, sample in enumerate(samples):
                self.own[sample].append(start + i)
                allowed[p, i, self.own[sample]] = True
            allowed[p, len(samples):, :] = False
            allowed[p, np.arange(len(samples), width), start + np.arange(len(samples), width)] = True  # padding: itself
        full = _additive(allowed, dtype)
        if window is None:
            return full
        near = positions[:, :, None] - self.positions[:, None, :] < window
        return {"full_attention": full, "sliding_attention": _additive(allowed & near, dtype)}


def _additive(allowed: np.ndarray, dtype: torch.dtype) -> torch.Tensor:
    mask = torch.zeros(allowed.shape, dtype=dtype)
    return mask.masked_fill_(torch.from_numpy(~allowed), float("-inf"))[:, None]


def step_inputs(tokens: list[list[int]], slots: list[list[int]], lengths: list[int], pad_id: int):
    """(input ids, position ids) of one step: slot i of prompt p feeds its sample's latest token."""
    width = max(len(s) for s in slots)
    ids = np.full((len(slots), width), pad_id, dtype=np.int64)
    positions = np.zeros((len(slots), width), dtype=np.int64)
    for p, samples in enumerate(slots):
        positions[p] = lengths[p]
        for i, sample in enumerate(samples):
            ids[p, i] = tokens[sample][-1]
            positions[p, i] = lengths[p] + len(tokens[sample]) - 1
    return ids, positions
