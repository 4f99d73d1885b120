"""Seeds for sampled answers: the same for a rerun, different for every prompt and every sample.

A run's seed alone would give every prompt the same random stream (and, for prompts with the same
options, correlated answers); mixing in the rendered prompt and the sample's index makes the samples
independent across queries and lets an engine draw them in any batch or order.
"""
from __future__ import annotations

from pluralbench.core.records import Rendered
from pluralbench.hashing import sha256_json

_BITS = 60  # below 2**63, so every engine's seed type takes it


def prompt_seed(seed: int, rendered: Rendered) -> int:
    """One seed per prompt, for engines that draw a request's samples themselves (vLLM, servers)."""
    return int(sha256_json({"seed": seed, "prompt": rendered.key()}), 16) >> (256 - _BITS)


def sample_seed(seed: int, rendered: Rendered, index: int) -> int:
    """One seed per sample, for engines where pluralbench draws each sample (transformers)."""
    return int(sha256_json({"seed": seed, "prompt": rendered.key(), "sample": index}), 16) >> (256 - _BITS)
