"""Getting a run's model requests answered: identical requests are rendered and keyed once; each
answer comes from the run's journal, else the shared cache, else the model in planned batches, and
is journalled as soon as it exists (what lets a killed run resume).

Batches are planned over *all* of a run's requests in a fixed order before any are skipped, so a
resumed run computes exactly the batches an uninterrupted run would, and its numbers are identical.
"""
from __future__ import annotations

import sys
from dataclasses import dataclass

from pluralbench.core.records import ModelRequest, OptionOutput, Rendered
from pluralbench.errors import UserError, partial_answers
from pluralbench.models.base import ModelAdapter
from pluralbench.runner.batch_plan import plan_batches
from pluralbench.runner.cache import ResponseCache, cache_key
from pluralbench.runner.journal import Journal
from pluralbench.runner.model_calls import call_model, render_request


@dataclass
class UniqueRequests:
    keys: list[list[str]]  # each item's request keys, in request order
    unique: dict[str, tuple[ModelRequest, Rendered]]  # one entry per key, in first-asked order


def unique_requests(adapter: ModelAdapter, per_item: list[list[ModelRequest]], elicitation: str,
                    fingerprint: dict) -> UniqueRequests:
    key_of: dict[ModelRequest, str] = {}
    unique: dict[str, tuple[ModelRequest, Rendered]] = {}
    for reqs in per_item:
        for req in reqs:
            if req in key_of:
                continue
            rendered = render_request(adapter, req, elicitation)
            key = cache_key(fingerprint, elicitation, rendered.key(), req.params_key())
            key_of[req] = key
            unique.setdefault(key, (req, rendered))
    return UniqueRequests([[key_of[req] for req in reqs] for reqs in per_item], unique)


def serialise(op: str, output):
    return output.to_json() if op == "options" else output


def deserialise(op: str, value):
    return OptionOutput.from_json(value) if op == "options" else value


def answer_requests(adapter: ModelAdapter, unique: dict, journal: Journal, cache: ResponseCache | None,
                    batch_size: int, counts: dict, label: str, show_progress: bool, stream) -> set[str]:
    """Fill the journal with an answer for every unique request, counting where each came from.
    -> the keys the model answered in this call (neither journalled nor cached before)."""
    from tqdm import tqdm

    counts["journal_hits"] = sum(1 for k in unique if k in journal.entries)
    # Everything the shared cache already holds goes into the journal in one write (one fsync).
    pending = [k for k in unique if k not in journal.entries]
    from_cache = cache.get_many(pending) if cache is not None and pending else {}
    counts["cache_hits"] += len(from_cache)
    journal.append({k: from_cache[k] for k in pending if k in from_cache})
    if len(from_cache) == len(pending):
        return set()  # all answered: a warm re-run plans no batch
    batches = plan_batches(unique, batch_size, by_text=getattr(adapter, "share_prefix", False))
    bar = tqdm(total=len(unique), initial=len(unique) - len(pending) + len(from_cache), desc=label, unit="prompt",
               file=stream, disable=not show_progress, dynamic_ncols=True, mininterval=1.0)
    computed: set[str] = set()
    try:
        for batch in batches:
            to_compute = [k for k in batch if k not in journal.entries]
            if not to_compute:
                continue
            fresh, failure = _computed(adapter, unique, to_compute)
            counts["model_calls"] += len(fresh)
            counts["model_batches"] += 1
            journal.append(fresh)  # journal first: an answer is kept the moment it exists
            computed.update(fresh)
            if cache is not None and fresh and not _cached(cache, fresh):
                cache = None  # one warning, not one 60-second wait per batch
            if failure is not None:
                raise UserError(f"{failure}; the batch's {len(fresh)} other answer(s) are kept in the run's journal: "
                                f"rerunning asks only for the {len(to_compute) - len(fresh)} missing") from None
            bar.update(len(to_compute))
    finally:
        bar.close()
    return computed


def _computed(adapter: ModelAdapter, unique: dict, keys: list[str]) -> tuple[dict, UserError | None]:
    """-> (the batch's answers by key, serialised; the failure that stopped part of it, or None)."""
    op = unique[keys[0]][0].op
    try:
        results = dict(enumerate(call_model(adapter, op, [unique[k][1] for k in keys], [unique[k][0] for k in keys])))
        failure = None
    except UserError as exc:
        if partial_answers(exc) is None:
            raise
        results, failure = partial_answers(exc), exc
    return {keys[i]: serialise(op, r) for i, r in sorted(results.items())}, failure


def _cached(cache: ResponseCache, fresh: dict) -> bool:
    """Put answers in the shared cache; a failure (locked, full, read-only) costs no answer, only a warning."""
    try:
        cache.put_many(fresh)
    except (UserError, OSError) as exc:
        print(f"pluralbench: warning: {exc}; the answers are kept in the run's journal, the cache is not written "
              "for the rest of this run", file=sys.stderr)
        return False
    return True
