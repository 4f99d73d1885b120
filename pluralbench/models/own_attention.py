"""Swapping a transformers model's attention for one of pluralbench's own, for the length of a block.

transformers calls attention through its AttentionInterface by the name in the model's config; a model
whose attention does not go through it keeps its own (transformers only warns), which the block is told.
"""
from __future__ import annotations

from contextlib import contextmanager


@contextmanager
def attention_as(model, name: str, function):
    """Inside the block the model's attention is `function` (yields True) or, when the model cannot
    swap, its own (yields False); its own again after the block."""
    from transformers import AttentionInterface

    AttentionInterface.register(name, function)
    before = model.config._attn_implementation
    model.set_attn_implementation(name)
    swapped = model.config._attn_implementation == name
    try:
        yield swapped
    finally:
        if swapped:
            model.set_attn_implementation(before)


def placeholder_mask(device):
    """A 4-D attention mask the model passes on untouched (it builds none of its own); the swapped-in
    attention masks by itself."""
    import torch

    return torch.zeros((1, 1, 1, 1), device=device)
