"""How many tokens the model generated for a run's answers, recorded in the manifest's counts beside
`model_calls`: `generated_tokens` for the answers the model computed in this run, `generated_tokens_total`
for every answer the run used (journalled and cached ones included), each unique request counted once.

Both are counted from the answer texts with the model's own tokenizer (ModelAdapter.answer_tokens), which
is deterministic: a resumed or cached run reports the same total as the run that computed the answers.
An adapter without a tokenizer at hand (an OpenAI-compatible server) gives what the server reported
(`usage.completion_tokens`) for the answers it computed; its total is known only when every answer was
computed in this run. Requests that generate nothing (option log-probabilities, sequences,
log-likelihoods) count 0.
"""
from __future__ import annotations

from typing import Mapping

from pluralbench.models.base import ModelAdapter


def answer_texts(answer) -> list[str]:
    """A stored generate answer's texts: one text, or the list of a sampled request's N samples."""
    if isinstance(answer, str):
        return [answer]
    return [t for t in answer if isinstance(t, str)] if isinstance(answer, list) else []


def count_tokens(adapter: ModelAdapter, texts: list[str]) -> int | None:
    if not texts:
        return 0
    counts = adapter.answer_tokens(texts)
    return None if counts is None else sum(counts)


def generated_token_counts(adapter: ModelAdapter, unique: Mapping, stored: Mapping, computed: set[str],
                           reported: int | None) -> dict:
    """unique: key -> (request, rendered); stored: key -> the journalled answer; computed: the keys the model
    answered in this run; reported: what the engine said it generated for them (None: nothing said)."""
    generated = [k for k, (req, _) in unique.items() if req.op == "generate"]
    texts = {k: answer_texts(stored[k]) for k in generated}
    total = count_tokens(adapter, [t for k in generated for t in texts[k]])
    fresh = count_tokens(adapter, [t for k in generated if k in computed for t in texts[k]])
    if total is None:  # no tokenizer here: the engine's own report, for the answers it computed now
        fresh = reported
        total = fresh if computed.issuperset(generated) else None
    return {"generated_tokens": fresh, "generated_tokens_total": total}
