"""Continuing prompts from one encoding: every option's full text scored after a prompt (the
`sequence` read-out), or N answers sampled from it (`sampled:N`).

The prompts go through the model once (encode_prompts: one packed token trie when the batch shares
enough, else one padded pass). For `sequence` their key/value cache is then copied along the batch,
once per option, and only the option tokens are run, right-padded after the prompt (a causal model
never attends forward, so padding at the end changes no real position; it is masked besides). For
`sampled:N` the cache is not copied: every running sample's latest token goes through the model
in one flat sequence, attending to its prompt's keys and its own (models/sample_groups.py).
"""
from __future__ import annotations

from typing import Sequence

import torch

from pluralbench.core.records import GenerationSettings, Rendered
from pluralbench.models.own_attention import placeholder_mask
from pluralbench.models.packed_prompts import packable_trie, packed_forward, unpack_cache
from pluralbench.models.sample_groups import SampleGroups, sample_group_attention
from pluralbench.models.seeds import sample_seed


def cut_at_stop(text: str, stops: Sequence[str]) -> str:
    cut = min((text.find(s) for s in stops if s and s in text), default=-1)
    return text if cut < 0 else text[:cut]


def encode_prompts(adapter, rows: list[list[int]]):
    """The prompts through the model once, packed as one token trie when that pays: -> (each prompt's
    next-token logits (prompts, vocabulary), their keys and values as one left-padded batch, the attention
    mask over them). The cache is a plain one: a sliding-window layer's cache would drop the early columns
    that the decoding's own masks still index (the window is applied in those masks instead). A batch the
    planner grew past the default batch size that does not pack is encoded in halves (each packed if it
    can be), so a padded pass never holds more rows than the default batch."""
    from transformers import DynamicCache

    trie = packable_trie(adapter.model, rows) if adapter.share_prefix else None
    if trie is not None:
        out = packed_forward(adapter.model, trie, adapter.device, DynamicCache())
        past, mask = unpack_cache(out.past_key_values, trie, adapter.device)
        return out.logits[0], past, mask
    if adapter.share_prefix and len(rows) > adapter.default_batch_size:
        half = (len(rows) + 1) // 2
        return join_encodings(encode_prompts(adapter, rows[:half]), encode_prompts(adapter, rows[half:]))
    input_ids, mask, positions = adapter._pad(rows)
    out = adapter.model(input_ids=input_ids, attention_mask=mask, position_ids=positions, past_key_values=DynamicCache(),
                        use_cache=True, logits_to_keep=1)
    return out.logits[:, -1, :], out.past_key_values, mask


def join_encodings(first, second):
    """Two encode_prompts results as one: rows stacked, the narrower left-padded (masked) to the wider."""
    from transformers import DynamicCache

    width = max(first[2].shape[1], second[2].shape[1])
    joined = DynamicCache()
    for i, (a, b) in enumerate(zip(first[1].layers, second[1].layers)):
        joined.update(torch.cat([_left_pad(a.keys, width, 2), _left_pad(b.keys, width, 2)]),
                      torch.cat([_left_pad(a.values, width, 2), _left_pad(b.values, width, 2)]), i)
    mask = torch.cat([_left_pad(first[2], width, 1), _left_pad(second[2], width, 1)])
    return torch.cat([first[0], second[0]]), joined, mask


def _left_pad(x: torch.Tensor, width: int, dim: int) -> torch.Tensor:
    missing = width - x.shape[dim]
    if missing == 0:
        return x
    shape = list(x.shape)
    shape[dim] = missing
    return torch.cat([x.new_zeros(shape), x], dim=dim)


def _branch(past, mask, repeats: Sequence[int]):
    """The prompts' cache, attention mask and next position, prompt i repeated repeats[i] times."""
    owner = torch.repeat_interleave(torch.arange(len(repeats)), torch.tensor(list(repeats))).to(mask.device)
    past.batch_select_indices(owner)
    return past, mask[owner], mask.sum(-1)[owner]


@torch.inference_mode()
def score_continuations(adapter, rows: list[list[int]], continuations: Sequence[Sequence[str]]) -> list[list[dict]]:
    """Per prompt, per continuation: {"logprob": sum over its tokens, "tokens": n, "token_logprobs": [...]}.
    A continuation is tokenized on its own (as HFAdapter.loglikelihoods does), so it is the same token
    sequence after every prompt."""
    tokenized = [adapter.tokenizer(list(cs), add_special_tokens=False)["input_ids"] for cs in continuations]
    last, past, mask = encode_prompts(adapter, rows)
    first = torch.log_softmax(last.float(), dim=-1)  # predicts each continuation's first token
    past, mask, lengths = _branch(past, mask, [len(cs) for cs in tokenized])
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
    seeded by (settings.seed, the rendered prompt, j), so it does not depend on the batch or on N.
    At temperature 0 each answer is the greedy one (argmax at every step)."""
    n = settings.num_samples
    last, past, mask = encode_prompts(adapter, rows)
    generators = [torch.Generator().manual_seed(sample_seed(settings.seed, p, j)) for p in prompts for j in range(n)]
    tokens = _sample_tokens(adapter, last, past, mask, generators, settings)
    texts = [cut_at_stop(adapter.tokenizer.decode(t, skip_special_tokens=True), settings.stop) for t in tokens]
    return [texts[i * n:(i + 1) * n] for i in range(len(rows))]


def _sample_tokens(adapter, last, past, mask, generators, settings: GenerationSettings) -> list[list[int]]:
    """Each sample's tokens, drawn until end of text, a stop string or max_new_tokens; the latest token
    of every running branch (samples of a prompt that drew the same tokens so far) goes through the model
    in one flat sequence (models/sample_groups.py), and each of its samples draws from its logits."""
    n, ends = settings.num_samples, end_token_ids(adapter)
    groups = SampleGroups.start(past, mask, n, settings.max_new_tokens)
    lengths = mask.sum(-1)
    tokens: list[list[int]] = [[] for _ in generators]
    active = list(range(len(generators)))
    branch_of: list = [r // n for r in active]  # before the first token, a sample's branch is its prompt
    logits, rows = last, branch_of
    with sample_group_attention(adapter.model):
        for step in range(settings.max_new_tokens):
            drawn = draw_tokens(logits, [generators[r] for r in active], settings.temperature, settings.top_p, rows)
            going = []
            for r, token in zip(active, drawn):
                if token not in ends:
                    tokens[r].append(token)
                    if not _stopped(adapter.tokenizer, tokens[r], settings.stop):
                        going.append(r)
            if not going or step == settings.max_new_tokens - 1:
                break
            active = going
            firsts, rows = branches(active, tokens, branch_of, step)
            positions = groups.set_step(firsts, n, step, lengths, active, rows)
            ids = torch.tensor([[tokens[r][-1] for r in firsts]], dtype=torch.long, device=mask.device)
            logits = adapter.model(input_ids=ids, position_ids=positions, attention_mask=placeholder_mask(mask.device),
                                   use_cache=False, sample_groups=groups).logits[0]
    return tokens


def branches(active: list[int], tokens: list[list[int]], branch_of: list, step: int) -> tuple[list[int], list[int]]:
    """Group the running samples by branch (their previous branch and the token just drawn): -> (the first
    sample of each branch, each running sample's branch index). Updates branch_of."""
    index: dict = {}
    firsts, rows = [], []
    for r in active:
        q = index.setdefault((branch_of[r], tokens[r][-1]), len(firsts))
        if q == len(firsts):
            firsts.append(r)
        rows.append(q)
        branch_of[r] = (step, q)
    return firsts, rows


def draw_tokens(logits: torch.Tensor, generators: Sequence[torch.Generator], temperature: float,
                top_p: float = 1.0, rows: Sequence[int] | None = None) -> list[int]:
    """One token per generator, from logits row rows[i] (default: row i), by inverse-CDF sampling in
    float64 with the generator: a draw depends on its logits and its generator only, never on the other
    rows of the batch. Temperature 0: the most likely token (the first of ties, as transformers' greedy)."""
    rows = list(range(len(generators))) if rows is None else list(rows)
    if temperature == 0:
        best = logits.argmax(dim=-1).tolist()
        return [best[q] for q in rows]
    scaled = logits if temperature == 1.0 else logits.double() / temperature  # x / 1.0 is x: one pass fewer
    probs = torch.softmax(scaled, dim=-1, dtype=torch.float64)
    if top_p < 1.0:
        probs = _nucleus(probs, top_p)
    cdf = probs.cumsum(dim=-1)  # once per row, however many generators draw from it
    u = torch.stack([torch.rand((), generator=g, dtype=torch.float64) for g in generators]).to(cdf.device)
    targets = u * cdf[rows, -1]
    last = cdf.shape[-1] - 1
    return [min(int(torch.searchsorted(cdf[q], t[None], right=True)), last) for q, t in zip(rows, targets)]


def _nucleus(probs: torch.Tensor, top_p: float) -> torch.Tensor:
    """Keep the most likely tokens whose mass first reaches top_p (at least one), renormalised."""
    ranked, order = probs.sort(dim=-1, descending=True)
    ranked[ranked.cumsum(dim=-1) - ranked >= top_p] = 0.0  # the mass before this token already reached top_p
    kept = torch.zeros_like(probs).scatter(-1, order, ranked)
    return kept / kept.sum(dim=-1, keepdim=True)


def plain_greedy(config) -> bool:
    """transformers' greedy search is argmax over the raw logits unless the generation config asks for a
    logits processor (penalties, banned or forced tokens, a minimum length)."""
    neutral = {"repetition_penalty": 1.0, "encoder_repetition_penalty": 1.0}
    if any(getattr(config, name, 1.0) not in (None, value) for name, value in neutral.items()):
        return False
    unset = ("no_repeat_ngram_size", "bad_words_ids", "min_length", "min_new_tokens", "forced_bos_token_id",
             "forced_eos_token_id", "suppress_tokens", "begin_suppress_tokens", "sequence_bias",
             "exponential_decay_length_penalty", "encoder_no_repeat_ngram_size")
    return not any(getattr(config, name, None) for name in unset)


def end_token_ids(adapter) -> set[int]:
    """Tokens that end an answer: the tokenizer's end of text and the model's own (a chat model's end of turn)."""
    ends = configured_end_ids(getattr(adapter.model, "generation_config", None))
    return ends | ({adapter.tokenizer.eos_token_id} - {None})


def configured_end_ids(config) -> set[int]:
    """The end tokens a generation config names (transformers' generate stops at these only)."""
    configured = getattr(config, "eos_token_id", None)
    ends = set(configured if isinstance(configured, (list, tuple)) else [configured])
    return ends - {None}


def _stopped(tokenizer, tokens: list[int], stops: Sequence[str]) -> bool:
    if not any(stops):
        return False
    text = tokenizer.decode(tokens, skip_special_tokens=True)
    return any(s and s in text for s in stops)
