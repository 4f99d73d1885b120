"""Between a family and the model: a family's asks become model requests, and the model's answers
become what the family scores. An `OptionQuery` is expanded by the run's elicitation method (one
request for log-prob; more for other read-outs) and its answers read back into one prediction; any
other ask is a `ModelRequest` passed through, its answer returned as is. Once every answer is read,
`finalize` lets a method that fits to the human distributions (calibration) see them."""
from __future__ import annotations

import inspect
from typing import Sequence

from pluralbench.core.records import ModelRequest
from pluralbench.elicitation import Elicitation, OptionQuery
from pluralbench.runner.inference import deserialise


def expand(per_item_asks: Sequence[Sequence], method: Elicitation) -> tuple[list[list[ModelRequest]], list[list[int]]]:
    """-> (each item's model requests, in ask order; how many requests each ask took)."""
    requests, sizes = [], []
    for asks in per_item_asks:
        reqs, counts = [], []
        for ask in asks:
            made = method.requests(ask) if isinstance(ask, OptionQuery) else [ask]
            reqs.extend(made)
            counts.append(len(made))
        requests.append(reqs)
        sizes.append(counts)
    return requests, sizes


def collapse(per_item_asks: Sequence[Sequence], sizes: Sequence[Sequence[int]], per_item_answers: Sequence[Sequence],
             method: Elicitation) -> list[list]:
    """outputs[i][j] answers asks[i][j]. Items asking the same query with the same answers share one
    prediction object (read once), as they share one model answer."""
    memo: dict = {}
    outputs = []
    for asks, counts, answers in zip(per_item_asks, sizes, per_item_answers):
        row, at = [], 0
        for ask, k in zip(asks, counts):
            got = answers[at:at + k]
            at += k
            if isinstance(ask, OptionQuery):
                key = (ask, tuple(map(id, got)))
                if key not in memo:
                    memo[key] = method.read(ask, got)
                row.append(memo[key])
            else:
                row.append(got[0])
        outputs.append(row)
    return outputs


def outputs_from_stored(per_item_asks: Sequence[Sequence], sizes: Sequence[Sequence[int]],
                        per_item: Sequence[Sequence[ModelRequest]], keys: Sequence[Sequence[str]], stored: dict,
                        method: Elicitation) -> list[list]:
    """`collapse` over the stored (journalled) answers, `keys[i][j]` naming the answer to `per_item[i][j]`.
    Each answer is read once, as one object shared by the items that asked the same thing."""
    answers: dict[str, object] = {}

    def answer(req: ModelRequest, key: str):
        if key not in answers:
            answers[key] = deserialise(req.op, stored[key])
        return answers[key]

    per_item_answers = [[answer(req, key) for req, key in zip(reqs, item_keys)]
                        for reqs, item_keys in zip(per_item, keys)]
    return collapse(per_item_asks, sizes, per_item_answers, method)


def finalize(per_item_asks: Sequence[Sequence], outputs: Sequence[Sequence], per_item_references: Sequence[Sequence],
             method: Elicitation) -> tuple[list[list], dict]:
    """Every option prediction, with the reference distribution the family compares it with (shaped like
    the asks; None where there is none), handed to the method's `finalize` once.
    -> (outputs with those predictions replaced, the method's record of what it fitted)."""
    spots = [(i, j) for i, asks in enumerate(per_item_asks) for j, ask in enumerate(asks) if isinstance(ask, OptionQuery)]
    final, record = method.finalize([per_item_asks[i][j] for i, j in spots], [outputs[i][j] for i, j in spots],
                                    [per_item_references[i][j] for i, j in spots])
    rows = [list(row) for row in outputs]
    for (i, j), pred in zip(spots, final):
        rows[i][j] = pred
    return rows, record


def scoring_options(family, method: Elicitation) -> dict:
    """Keyword arguments for family.score that describe the read-out: the method's resolution, passed only
    when it has one and the family's score takes it (a family that does not is scored as before)."""
    if method.resolution is None or "resolution" not in inspect.signature(family.score).parameters:
        return {}
    return {"resolution": method.resolution}
