"""Which requests go into which batch: a pure function of the run's unique requests.

Requests of one op and decoding setting are batched together, in a fixed order whatever is already
done (so a resumed run plans the same batches). For scored prompts and an adapter that reuses shared
prefixes, two orders compete: by rendered text (prompts that share a persona or an instruction side by
side) and by length (little padding; the system prompt is still shared). The one that leaves fewer
tokens to compute, estimated in characters with the adapter's own rule (option scoring packs each batch
into one token trie; other scored prompts reuse cached prefixes), wins. Generation shares no prefix:
always by length. Option batches in text order for a packing adapter are cut by packed size rather than
count (packed_batches): a batch that shares most of its text holds more prompts, so a persona or an
instruction runs in fewer batches. Generate batches for such an adapter hold GENERATE_ROWS_FACTOR times
the batch size: it decodes them as one flat sequence, whose steps cost little more for more rows.
"""
from __future__ import annotations

from pluralbench.models.packed_prompts import MAX_PACKED_TOKENS, MIN_SAVING as PACK_SAVING
from pluralbench.models.prefix_cache import row_prefix_lengths, shared_length, worth_sharing


def _text(rendered) -> str:
    return rendered.text if rendered.text is not None else str(rendered.messages)


def estimated_work(texts: list[str], batch_size: int) -> int:
    """Characters a prefix-sharing adapter would run through the model for these texts in this order."""
    total = 0
    for i in range(0, len(texts), batch_size):
        batch = texts[i:i + batch_size]
        width = max(len(t) for t in batch)
        prefixes = row_prefix_lengths(batch) if len(batch) > 1 else [0]
        if worth_sharing(batch, prefixes):  # each distinct prefix computed once, suffixes padded to the widest
            width = max(len(t) - p for t, p in zip(batch, prefixes))
            total += sum(len(p) for p in {t[:n] for t, n in zip(batch, prefixes) if n})
        total += len(batch) * width
    return total


def trie_chars(texts: list[str]) -> int:
    """The size of sorted texts' trie in characters: their lengths less what each shares with its neighbour."""
    return sum(map(len, texts)) - sum(shared_length(a, b) for a, b in zip(texts, texts[1:]))


def packed_work(texts: list[str], batch_size: int) -> int:
    """Characters an adapter that packs each batch into one token trie (option scoring) runs for these
    texts in this order. A batch that packing would not shorten enough runs padded."""
    total = 0
    for i in range(0, len(texts), batch_size):
        batch = sorted(texts[i:i + batch_size])
        trie = trie_chars(batch)
        plain = len(batch) * max(map(len, batch))
        total += trie if len(batch) > 1 and trie <= (1 - PACK_SAVING) * plain else plain
    return total


# A packed option batch may hold up to this many times the batch size in prompts ...
PACKED_ROWS_FACTOR = 4
# ... while its trie stays within what a padded batch of the group's widest prompt runs, and within the
# adapter's packed-token cap at a low estimate of characters per token (English ~4), so the adapter packs it.
CHARS_PER_TOKEN = 3
# A generate batch of a prefix-sharing (hf) adapter holds this many times the batch size in prompts: a
# decoding step of a few rows reads every weight for a few tokens (SmolLM2 float32, 8 verbalized prompts:
# ~150 ms a step whatever the rows), and the adapter decodes the whole batch as one flat sequence while
# encoding its prompts in passes of at most its default batch.
GENERATE_ROWS_FACTOR = 4


def packed_batches(keys: list[str], texts: list[str], batch_size: int) -> list[list[str]]:
    """Keys in text order cut into batches for an adapter that packs each batch into one token trie: a batch
    starts at batch_size prompts and grows while its trie (the texts less what each shares with its
    neighbour, in characters) stays within budget and packing still saves a fifth of the padded size."""
    budget = min(batch_size * max(map(len, texts)), MAX_PACKED_TOKENS * CHARS_PER_TOKEN)
    batches, start = [], 0
    while start < len(keys):
        stop = min(start + batch_size, len(keys))
        size = trie_chars(texts[start:stop])
        widest = max(map(len, texts[start:stop]))
        while stop < len(keys) and stop - start < PACKED_ROWS_FACTOR * batch_size:
            grown = size + len(texts[stop]) - shared_length(texts[stop - 1], texts[stop])
            wider = max(widest, len(texts[stop]))
            if grown > budget or grown > (1 - PACK_SAVING) * (stop + 1 - start) * wider:
                break
            size, widest, stop = grown, wider, stop + 1
        batches.append(keys[start:stop])
        start = stop
    return batches


def plan_batches(unique: dict, batch_size: int, by_text: bool) -> list[list[str]]:
    """unique: key -> (request, rendered). `by_text`: the adapter reuses shared prefixes."""
    groups: dict[tuple, list[str]] = {}
    for key in sorted(unique):
        req = unique[key][0]
        gen = req.generation.key() if req.generation else {}
        groups.setdefault((req.op, str(sorted(gen.items()))), []).append(key)

    batches: list[list[str]] = []
    for group_key in sorted(groups):
        keys = groups[group_key]
        text = {k: _text(unique[k][1]) for k in keys}
        order = sorted(keys, key=lambda k: (len(text[k]), k))
        if by_text and group_key[0] != "generate":
            work = packed_work if group_key[0] == "options" else estimated_work
            alphabetical = sorted(keys, key=lambda k: (text[k], k))
            if work([text[k] for k in alphabetical], batch_size) < work([text[k] for k in order], batch_size):
                if group_key[0] == "options":
                    batches += packed_batches(alphabetical, [text[k] for k in alphabetical], batch_size)
                    continue
                order = alphabetical
        size = batch_size * GENERATE_ROWS_FACTOR if by_text and group_key[0] == "generate" else batch_size
        batches += [order[i:i + size] for i in range(0, len(order), size)]
    return batches
