"""Continuing prompts from one encoding: every option's full text scored after a prompt (the
`sequence` read-out), or N answers sampled from it (`sampled:N`).

The prompts go through the model once (HFAdapter.prompt_pass, with the shared-prefix cache); their
key/value cache is then copied along the batch dimension, once per option or per sample, and only the
new tokens are run. New tokens are right-padded after the prompt: a causal model never attends
forward, so padding at the end changes no real position (and it is masked besides).
"""
from __future__ import annotations

from typing import Sequence

import torch

from pluralbench.core.records import GenerationSettings, Rendered
from pluralbench.models.seeds import sample_seed


def cut_at_stop(text: str, stops: Sequence[str]) -> str:
    cut = min((text.find(s) for s in stops if s and s in text), default=-1)
    return text if cut < 0 else text[:cut]


def _branch(out, mask, rows: list[list[int]], repeats: Sequence[int]):
    """The prompts' cache, attention mask and next position, prompt i repeated repeats[i] times."""
    owner = torch.repeat_interleave(torch.arange(len(rows)), torch.tensor(list(repeats))).to(mask.device)
    past = out.past_key_values
    past.batch_select_indices(owner)
    lengths = torch.tensor([len(r) for r in rows], device=mask.device)[owner]
    return owner, past, mask[owner], lengths


@torch.inference_mode()
def score_continuations(adapter, rows: list[list[int]], continuations: Sequence[Sequence[str]]) -> list[list[dict]]:
    """Per prompt, per continuation: {"logprob": sum over its tokens, "tokens": n, "token_logprobs": [...]}.
    A continuation is tokenized on its own (as HFAdapter.loglikelihoods does), so it is the same token
    sequence after every prompt."""
    tokenized = [adapter.tokenizer(list(cs), add_special_tokens=False)["input_ids"] for cs in continuations]
    out, mask = adapter.prompt_pass(rows)
    first = torch.log_softmax(out.logits[:, -1, :].float(), dim=-1)  # predicts each continuation's first token
    _, past, mask, lengths = _branch(out, mask, rows, [len(cs) for cs in tokenized])
    later = iter(_later_token_logprobs(adapter, past, mask, lengths, [c for cs in tokenized for c in cs]))
    results = []
    for p, cs in enumerate(tokenized):
        scored = []
        for tokens in cs:
            logps = ([float(first[p, tokens[0]])] if tokens else []) + next(later)
            scored.append({"logprob": sum(logps), "tokens": len(tokens), "token_logprobs": logps})
        results.append(scored)
    return results


def _later_token_logprobs(adapter, past, mask, lengths, continuations: list[list[int]]) -> list[list[float]]:
    """Log-probabilities of each continuation's tokens after its first: every token but the last is
    fed after the (copied) prompt cache, each position predicting the next token."""
    fed = [c[:-1] for c in continuations]
    width = max((len(f) for f in fed), default=0)
    if width == 0:
        return [[] for _ in continuations]
    device = mask.device
    ids = torch.full((len(fed), width), adapter.tokenizer.pad_token_id, dtype=torch.long)
    targets = torch.zeros((len(fed), width), dtype=torch.long)
    new_mask = torch.zeros((len(fed), width), dtype=torch.long)
    for i, c in enumerate(continuations):
        ids[i, :len(c) - 1] = torch.tensor(c[:-1], dtype=torch.long)
        targets[i, :len(c) - 1] = torch.tensor(c[1:], dtype=torch.long)
        new_mask[i, :len(c) - 1] = 1
    positions = lengths[:, None] + torch.arange(width, device=device)[None, :]
    logits = adapter.model(input_ids=ids.to(device), attention_mask=torch.cat([mask, new_mask.to(device)], dim=1),
                           position_ids=positions, past_key_values=past, use_cache=True).logits.float()
    picked = logits.gather(-1, targets.to(device)[..., None])[..., 0] - torch.logsumexp(logits, dim=-1)
    return [picked[i, :len(f)].tolist() for i, f in enumerate(fed)]


@torch.inference_mode()
def sample_continuations(adapter, rows: list[list[int]], prompts: Sequence[Rendered],
                         settings: GenerationSettings) -> list[list[str]]:
    """settings.num_samples answers per prompt; sample j of a prompt draws from its own generator,
    seeded by (settings.seed, the rendered prompt, j), so it does not depend on the batch or on N."""
    n = settings.num_samples
    out, mask = adapter.prompt_pass(rows)
    owner, past, mask, lengths = _branch(out, mask, rows, [n] * len(rows))
    generators = [torch.Generator().manual_seed(sample_seed(settings.seed, p, j)) for p in prompts for j in range(n)]
    tokens = _sample_tokens(adapter, out.logits[:, -1, :][owner], past, mask, lengths, generators, settings)
    texts = [cut_at_stop(adapter.tokenizer.decode(t, skip_special_tokens=True), settings.stop) for t in tokens]
    return [texts[i * n:(i + 1) * n] for i in range(len(rows))]


def _sample_tokens(adapter, logits, past, mask, positions, generators, settings: GenerationSettings) -> list[list[int]]:
    """Each row's tokens, drawn until end of text, a stop string or max_new_tokens; finished rows leave the batch."""
    ends = end_token_ids(adapter)
    tokens: list[list[int]] = [[] for _ in generators]
    active = list(range(len(generators)))
    for step in range(settings.max_new_tokens):
        drawn = draw_tokens(logits, [generators[r] for r in active], settings.temperature, settings.top_p)
        going = []
        for i, (r, token) in enumerate(zip(active, drawn)):
            if token in ends:
                continue
            tokens[r].append(token)
            if not _stopped(adapter.tokenizer, tokens[r], settings.stop):
                going.append(i)
        if not going or step == settings.max_new_tokens - 1:
            break
        if len(going) < len(active):
            keep = torch.tensor(going, device=mask.device)
            past.batch_select_indices(keep)
            mask, positions = mask[keep], positions[keep]
        active = [active[i] for i in going]
        ids = torch.tensor([[tokens[r][-1]] for r in active], dtype=torch.long, device=mask.device)
        mask = torch.cat([mask, torch.ones((len(active), 1), dtype=mask.dtype, device=mask.device)], dim=1)
        logits = adapter.model(input_ids=ids, attention_mask=mask, position_ids=positions[:, None], past_key_values=past,
                               use_cache=True).logits[:, -1, :]
        positions = positions + 1
    return tokens


def draw_tokens(logits: torch.Tensor, generators: Sequence[torch.Generator], temperature: float,
                top_p: float = 1.0) -> list[int]:
    """One token per row by inverse-CDF sampling in float64 with the row's own generator: a row's draw
    depends on its logits and its generator only, never on the other rows of the batch."""
    probs = torch.softmax(logits.double() / temperature, dim=-1)
    if top_p < 1.0:
        probs = _nucleus(probs, top_p)
    cdf = probs.cumsum(dim=-1)
    u = torch.stack([torch.rand((), generator=g, dtype=torch.float64) for g in generators]).to(cdf.device)
    picked = torch.searchsorted(cdf, (u * cdf[:, -1])[:, None], right=True).clamp(max=cdf.shape[-1] - 1)
    return picked[:, 0].tolist()


def _nucleus(probs: torch.Tensor, top_p: float) -> torch.Tensor:
    """Keep the most likely tokens whose mass first reaches top_p (at least one), renormalised."""
    ranked, order = probs.sort(dim=-1, descending=True)
    ranked[ranked.cumsum(dim=-1) - ranked >= top_p] = 0.0  # the mass before this token already reached top_p
    kept = torch.zeros_like(probs).scatter(-1, order, ranked)
    return kept / kept.sum(dim=-1, keepdim=True)


def end_token_ids(adapter) -> set[int]:
    """Tokens that end an answer: the tokenizer's end of text and the model's own (a chat model's end of turn)."""
    configured = getattr(getattr(adapter.model, "generation_config", None), "eos_token_id", None)
    ends = set(configured if isinstance(configured, (list, tuple)) else [configured])
    ends.add(adapter.tokenizer.eos_token_id)
    return {e for e in ends if e is not None}


def _stopped(tokenizer, tokens: list[int], stops: Sequence[str]) -> bool:
    if not any(stops):
        return False
    text = tokenizer.decode(tokens, skip_special_tokens=True)
    return any(s and s in text for s in stops)
