"""Decoding N samples per prompt with the prompt's keys and values shared by its samples, and no padding.

A decoding step runs the latest token of every still-running branch as one flat sequence, so the
model's linear layers see no padding however unevenly the prompts' samples finish. A branch is the
samples of one prompt that have drawn the same tokens so far: they have the same next-token
distribution, so one query computes it and its keys and values are written to every sample of the
branch (each sample still draws its own token from it). Attention is this
module's own (registered with transformers' AttentionInterface for the decoding steps only): a sample's
query attends to its prompt's keys, read once per prompt for all its samples (queries grouped by prompt),
and to its own earlier tokens, kept in a preallocated buffer (no cache is concatenated or copied per
sample). A model with sliding-window layers gets the window applied here, by position.
"""
from __future__ import annotations

from contextlib import contextmanager
from dataclasses import dataclass

import torch

from pluralbench.errors import UserError
from pluralbench.models.own_attention import attention_as

ATTENTION = "pluralbench_sample_groups"


@dataclass
class SampleGroups:
    """The decoding's cache (the prompts' keys and values, each sample's own) and the layout of one step."""
    prompt_keys: list[torch.Tensor]  # per layer, (prompts, kv heads, width, head dim), left-padded
    prompt_values: list[torch.Tensor]
    prompt_bias: torch.Tensor  # (prompts, 1, 1, width): 0 on a real token, -inf on padding
    prompt_positions: torch.Tensor  # (prompts, width)
    own_keys: list[torch.Tensor]  # per layer, (samples, max new tokens, kv heads, head dim)
    own_values: list[torch.Tensor]
    samples: torch.Tensor | None = None  # this step's queries: each one's sample (its branch's first),
    members: torch.Tensor | None = None  # the samples its keys and values are written to (the branch's),
    member_query: torch.Tensor | None = None  # and, for each of them, its query
    prompts: torch.Tensor | None = None  # the query's prompt,
    within: torch.Tensor | None = None  # its place among its prompt's queries,
    grouped: torch.Tensor | None = None  # (per place of the prompts x width layout, its query; padding: query 0)
    width: int = 0  # the most queries of one prompt,
    step: int = 0  # the index of the token it feeds,
    positions: torch.Tensor | None = None  # and that token's position

    @classmethod
    def start(cls, past, mask: torch.Tensor, samples: int, max_new_tokens: int) -> "SampleGroups":
        """From the prompts' left-padded cache and mask, samples per prompt."""
        keys = [layer.keys for layer in past.layers]
        values = [layer.values for layer in past.layers]
        bias = torch.zeros(mask.shape, dtype=keys[0].dtype, device=mask.device).masked_fill(mask == 0, float("-inf"))
        own = [k.new_zeros((k.shape[0] * samples, max_new_tokens, k.shape[1], k.shape[3])) for k in keys]
        return cls(keys, values, bias[:, None, None, :], mask.cumsum(-1) - 1, own,
                   [v.new_zeros(o.shape) for v, o in zip(values, own)])

    def set_step(self, active: list[int], n: int, step: int, lengths: torch.Tensor,
                 members: list[int] | None = None, member_query: list[int] | None = None) -> torch.Tensor:
        """Lay out the step whose queries are `active` samples' token `step` (n samples per prompt), each
        standing for the `members` whose `member_query` it is (default: itself alone)
        -> the queries' position ids, (1, queries)."""
        device = self.prompt_bias.device
        self.samples = torch.tensor(active, device=device)
        self.members = self.samples if members is None else torch.tensor(members, device=device)
        self.member_query = (torch.arange(len(active), device=device) if member_query is None
                             else torch.tensor(member_query, device=device))
        self.prompts = self.samples // n
        counts = torch.bincount(self.prompts, minlength=len(lengths))
        self.width = int(counts.max())
        first = torch.cumsum(counts, 0) - counts  # each prompt's first query in the flat order
        self.within = torch.arange(len(active), device=device) - first[self.prompts]
        self.grouped = torch.zeros(len(lengths) * self.width, dtype=torch.long, device=device)
        self.grouped[self.prompts * self.width + self.within] = torch.arange(len(active), device=device)
        self.step = step
        self.positions = lengths[self.prompts] + step
        return self.positions[None, :]


def grouped_attention(module, query, key, value, attention_mask, scaling=None, sliding_window=None, softcap=None,
                      sample_groups: SampleGroups | None = None, **_):
    """query (1, heads, queries, dim); key, value (1, kv heads, queries, dim): this step's tokens.
    -> (output (1, queries, heads, dim), None), as transformers' attention functions return."""
    g, layer = sample_groups, module.layer_idx
    g.own_keys[layer][g.members, g.step] = key[0].transpose(0, 1)[g.member_query]
    g.own_values[layer][g.members, g.step] = value[0].transpose(0, 1)[g.member_query]
    kv_heads, queries, dim = key.shape[1], query.shape[2], query.shape[3]
    q = query[0].reshape(kv_heads, -1, queries, dim) * (dim ** -0.5 if scaling is None else scaling)
    # Each prompt's keys are read once by all its queries (and all query heads sharing a key head).
    to_prompt = _by_prompt(g, q[:, :, g.grouped]) @ g.prompt_keys[layer].transpose(-1, -2) + g.prompt_bias
    to_prompt = _by_query(g, to_prompt, q.shape[1])  # (queries, kv heads, heads per kv head, prompt width)
    to_own = torch.einsum("kgqd,qskd->qkgs", q, g.own_keys[layer][g.samples, :g.step + 1])
    scores = torch.cat([to_prompt, to_own], dim=-1)
    if softcap is not None:
        scores = torch.tanh(scores / softcap) * softcap
    if sliding_window is not None:
        scores = scores + _window_bias(g, sliding_window, scores.dtype)
    weights = torch.softmax(scores, dim=-1)
    width = to_prompt.shape[-1]
    on_prompt = _by_prompt(g, weights[g.grouped, ..., :width].permute(1, 2, 0, 3))
    from_prompt = _by_query(g, on_prompt @ g.prompt_values[layer], q.shape[1])
    from_own = torch.einsum("qkgs,qskd->qkgd", weights[..., width:], g.own_values[layer][g.samples, :g.step + 1])
    return (from_prompt + from_own).flatten(1, 2)[None], None


def _by_prompt(g: SampleGroups, x: torch.Tensor) -> torch.Tensor:
    """(kv heads, group, prompts x width, n) in the grouped layout -> (prompts, kv heads, group x width, n)."""
    kv_heads, group, _, n = x.shape
    return x.view(kv_heads, group, -1, g.width, n).permute(2, 0, 1, 3, 4).reshape(-1, kv_heads, group * g.width, n)


def _by_query(g: SampleGroups, x: torch.Tensor, group: int) -> torch.Tensor:
    """(prompts, kv heads, group x width, n) -> (queries, kv heads, group, n), each query's own row."""
    prompts, kv_heads, _, n = x.shape
    return x.view(prompts, kv_heads, group, g.width, n)[g.prompts, :, :, g.within]


def _window_bias(g: SampleGroups, window: int, dtype) -> torch.Tensor:
    """-inf where a key lies `window` or more positions before its query (the sliding layers' rule)."""
    keys = torch.cat([g.prompt_positions[g.prompts],
                      g.positions[:, None] - g.step + torch.arange(g.step + 1, device=g.positions.device)], dim=1)
    far = g.positions[:, None] - keys >= window
    return torch.zeros(far.shape, dtype=dtype, device=far.device).masked_fill(far, float("-inf"))[:, None, None, :]


def flat_decoding_supported(model) -> bool:
    """The model's attention can be swapped for grouped_attention (it goes through AttentionInterface)."""
    with attention_as(model, ATTENTION, grouped_attention) as swapped:
        return swapped


@contextmanager
def sample_group_attention(model):
    """The model's attention is grouped_attention inside the block, its own implementation again after it."""
    with attention_as(model, ATTENTION, grouped_attention) as swapped:
        if not swapped:
            raise UserError(f"sampled:N on {type(model).__name__}: its attention does not go through transformers' "
                            f"AttentionInterface, which sampling N answers from one encoding needs")
        yield
