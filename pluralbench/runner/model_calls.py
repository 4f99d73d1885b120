"""How a model request reaches an adapter: its rendering and the adapter operation that answers each
op, and an in-memory way to answer a batch of requests (no cache, no journal) for tests and benchmarks.

The answer primer is passed for every request that carries one, not only option requests: the
`sequence` and `sampled` read-outs continue the task's prompt after its primer, which under chat must
open the assistant turn as it does for `logprob`. Requests of the ops that predate them carry none
(families build generate requests without a primer), so their rendering is unchanged."""
from __future__ import annotations

import json
from typing import Sequence

from pluralbench.core.records import ModelRequest, OptionOutput, Rendered
from pluralbench.errors import UserError
from pluralbench.models.base import ModelAdapter
from pluralbench.runner.batch_plan import plan_batches


def render_request(adapter: ModelAdapter, req: ModelRequest, elicitation: str) -> Rendered:
    """One rendering rule for runs and in-memory answers (models/base.py ModelAdapter.render_request)."""
    return adapter.render_request(req, elicitation)


def call_model(adapter: ModelAdapter, op: str, rendered: list[Rendered], requests: list[ModelRequest]) -> list:
    """Answers to a batch of requests of one op (and, for generate, one GenerationSettings)."""
    if op == "options":
        return adapter.option_distributions(rendered, [r.labels for r in requests])
    if op == "loglikelihood":
        return adapter.loglikelihoods(rendered, [r.continuation for r in requests])
    if op == "sequences":
        return adapter.sequence_logprobs(rendered, [r.continuations for r in requests])
    if op == "generate":
        return adapter.generate(rendered, requests[0].generation)
    raise UserError(f"unknown request op {op!r}")


def _as_stored(op: str, answer):
    """An answer as it comes back from the journal: options through their JSON form, the rest as JSON."""
    if op == "options":
        return OptionOutput.from_json(answer.to_json())
    return json.loads(json.dumps(answer, allow_nan=False))


def answer_in_memory(adapter: ModelAdapter, per_item: Sequence[Sequence[ModelRequest]], elicitation: str,
                    batch_size: int | None = None) -> list[list]:
    """Every distinct request answered in memory, batched as a run batches them, with no cache or journal:
    how tests and benchmarks drive an elicitation method on a loaded model. -> answers per item."""
    rendered: dict[ModelRequest, Rendered] = {}
    for reqs in per_item:
        for req in reqs:
            if req not in rendered:
                rendered[req] = render_request(adapter, req, elicitation)
    keyed = {f"{i:09d}": (req, ren) for i, (req, ren) in enumerate(rendered.items())}
    answers: dict[ModelRequest, object] = {}
    size = batch_size or adapter.default_batch_size
    for batch in plan_batches(keyed, size, by_text=getattr(adapter, "share_prefix", False)):
        op = keyed[batch[0]][0].op
        results = call_model(adapter, op, [keyed[k][1] for k in batch], [keyed[k][0] for k in batch])
        answers.update((keyed[k][0], _as_stored(op, r)) for k, r in zip(batch, results))
    return [[answers[req] for req in reqs] for reqs in per_item]
