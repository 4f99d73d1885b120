"""Prompts longer than the model's context: skip the item, truncate the prompt, or stop, by policy.

Applied to a run's requests before any batch is planned or anything is written, so `error` leaves
no trace and `skip`/`truncate` change only what is evaluated (recorded in the manifest, and in
metrics.json whenever an item was skipped or truncated). Lengths come from the adapter's own
tokenizer (`prompt_tokens`); an adapter that cannot count tokens (a remote server) is reported as
not checked, never as fitting.
"""
from __future__ import annotations

from dataclasses import dataclass, field, replace

from pluralbench.core.items import Item
from pluralbench.core.records import ModelRequest
from pluralbench.errors import UserError
from pluralbench.models.base import ModelAdapter, Rendered
from pluralbench.runner.model_calls import render_request

POLICIES = ("skip", "truncate", "error")
DEFAULT_POLICY = "skip"
MAX_IDS = 20  # ids listed in the report; the counts are complete


@dataclass
class LongPromptReport:
    policy: str
    context_length: int | None
    checked: bool
    skipped: list[str] = field(default_factory=list)
    truncated: list[str] = field(default_factory=list)
    longest_tokens: int | None = None

    @property
    def acted(self) -> bool:
        return bool(self.skipped or self.truncated)

    def to_json(self) -> dict:
        return {"policy": self.policy, "context_length": self.context_length, "checked": self.checked,
                "longest_prompt_tokens": self.longest_tokens,
                "skipped_items": len(self.skipped), "skipped_ids": self.skipped[:MAX_IDS],
                "truncated_items": len(self.truncated), "truncated_ids": self.truncated[:MAX_IDS],
                "rule": "an item is skipped when any of its prompts (plus the tokens it must generate or score) "
                        "exceeds the context; truncation drops the prompt's beginning and keeps its end"}

    def identity(self) -> dict:
        """What the run id must reflect: which items were evaluated, and how."""
        return {"policy": self.policy, "skipped": self.skipped, "truncated": self.truncated}


def _countable(req: ModelRequest, rendered: Rendered) -> tuple[list[Rendered], int]:
    """-> (the texts whose token counts a request occupies, tokens it generates after them)."""
    if req.op == "loglikelihood" and rendered.text is not None and req.continuation:
        return [replace(rendered, text=rendered.text + req.continuation)], 0
    if req.op == "sequences" and rendered.text is not None and req.continuations:
        return [replace(rendered, text=rendered.text + c) for c in req.continuations], 0
    generated = req.generation.max_new_tokens if req.op == "generate" and req.generation is not None else 0
    return [rendered], generated


def _sizes(adapter: ModelAdapter, requests: list[ModelRequest], elicitation: str) -> list[int | None]:
    """Tokens each request occupies: its prompt plus what it generates or scores after it (None: unknown).
    Counted in one tokenizer call for all requests."""
    parts = [_countable(req, render_request(adapter, req, elicitation)) for req in requests]
    counts = iter(adapter.prompt_token_counts([text for texts, _ in parts for text in texts]))
    sizes = []
    for texts, generated in parts:
        got = [next(counts) for _ in texts]
        sizes.append(None if None in got else max(got) + generated)
    return sizes


def _truncate(adapter, req: ModelRequest, elicitation: str, limit: int) -> ModelRequest | None:
    """The request with the fewest leading characters of its prompt removed that fits; None if none does."""
    def fits(cut: int) -> bool:
        (n,) = _sizes(adapter, [replace(req, prompt=req.prompt[cut:])], elicitation)
        return n is not None and n <= limit

    lo, hi = 1, len(req.prompt)
    if not fits(hi):
        return None  # the template and answer cue alone do not fit
    while lo < hi:  # smallest cut that fits (token counts fall as characters are dropped)
        mid = (lo + hi) // 2
        if fits(mid):
            hi = mid
        else:
            lo = mid + 1
    return replace(req, prompt=req.prompt[lo:])


def apply_long_prompt_policy(adapter: ModelAdapter, elicitation: str, task_name: str, items: list[Item],
                             per_item: list[list[ModelRequest]], policy: str = DEFAULT_POLICY):
    """-> (items kept, their requests, report). Raises UserError under `error`, or when nothing fits."""
    if policy not in POLICIES:
        raise UserError(f"unknown long-prompt policy {policy!r}; choose one of {', '.join(POLICIES)}")
    limit = adapter.context_length()
    report = LongPromptReport(policy, limit, checked=False)
    if limit is None:
        return items, per_item, report

    distinct = list(dict.fromkeys(req for reqs in per_item for req in reqs))
    sizes = dict(zip(distinct, _sizes(adapter, distinct, elicitation)))
    known = [n for n in sizes.values() if n is not None]
    report.checked = len(known) == len(sizes)
    report.longest_tokens = max(known) if known else None

    kept_items, kept_reqs = [], []
    truncated_cache: dict[ModelRequest, ModelRequest | None] = {}
    for item, reqs in zip(items, per_item):
        too_long = [r for r in reqs if sizes[r] is not None and sizes[r] > limit]
        if not too_long:
            kept_items.append(item)
            kept_reqs.append(reqs)
            continue
        if policy == "error":
            raise UserError(f"task {task_name}: item {item['id']!r}: its prompt needs {sizes[too_long[0]]} tokens, "
                            f"more than the model's context of {limit} (--on-long-prompt error; 'skip' leaves such "
                            "items out and counts them, 'truncate' cuts the prompt's beginning)")
        if policy == "truncate":
            for r in too_long:
                if r not in truncated_cache:
                    truncated_cache[r] = _truncate(adapter, r, elicitation, limit)
            if all(truncated_cache[r] is not None for r in too_long):
                kept_items.append(item)
                kept_reqs.append([truncated_cache[r] if r in too_long else r for r in reqs])
                report.truncated.append(str(item["id"]))
                continue
        report.skipped.append(str(item["id"]))
    if not kept_items:
        raise UserError(f"task {task_name}: every item's prompt is longer than the model's context of {limit} tokens "
                        f"(longest {report.longest_tokens}); nothing to evaluate"
                        + ("" if policy == "truncate" else "; --on-long-prompt truncate cuts prompts to fit"))
    return kept_items, kept_reqs, report
