"""Option log-probabilities from an engine that reports only the top-K next tokens (servers, vLLM).

A label's spellings outside the top K are not reported, so its probability is unknown. We do not
guess: such a label gets None (no known mass), and the output records how much the top K covered
and a bound on what was missed. Every unreported token has probability at most that of the K-th
reported one, and all unreported tokens together at most 1 - (mass of the top K).
"""
from __future__ import annotations

import math
from typing import Callable, Hashable, Sequence

from pluralbench.core.records import OptionOutput
from pluralbench.errors import UserError

# Reported probabilities may exceed 1 (log-probabilities 0) by float rounding only.
MASS_TOLERANCE = 1e-6


def topk_option_output(entries: Sequence[tuple[Hashable, float]], labels: Sequence[str],
                       label_of: Callable[[Hashable], str | None], requested_k: int) -> OptionOutput:
    """entries: (token, logprob) pairs the engine reported for the next position, tokens distinct.

    label_of maps a reported token to the label it spells (None for any other token); the
    probabilities of all spellings of a label are summed.
    """
    entries = list(_distinct(entries))
    per_label: dict[str, list[float]] = {lab: [] for lab in labels}
    for token, logprob in entries:
        lab = label_of(token)
        if lab in per_label:
            per_label[lab].append(logprob)
    label_logprobs = tuple(_logsumexp(per_label[lab]) if per_label[lab] else None for lab in labels)
    probs = [math.exp(lp) for _, lp in entries]
    if sum(probs) > 1.0 + MASS_TOLERANCE:
        raise UserError(f"the engine reported next-token probabilities summing to {sum(probs):.4g} (> 1): "
                        "these are not log-probabilities of one distribution")
    topk_mass = min(1.0, sum(probs))
    covered = sum(math.exp(v) for v in label_logprobs if v is not None)
    unreported = [lab for lab, v in zip(labels, label_logprobs) if v is None]
    missing_total = max(0.0, 1.0 - topk_mass)
    smallest = min(probs) if probs else 1.0
    details = {
        "requested_k": requested_k,
        "reported_k": len(probs),
        "topk_mass": topk_mass,
        "unreported_labels": unreported,
        # Bounds on what the top K missed: per unreported token, and in total.
        "unreported_token_max_prob": min(smallest, missing_total),
        "covered_mass_max": min(1.0, covered + missing_total) if unreported else covered,
    }
    return OptionOutput(label_logprobs, min(1.0, covered), details)


def _distinct(entries):
    """Reported (token, logprob) pairs, first report of a token only, each logprob checked."""
    seen = set()
    for token, logprob in entries:
        if token in seen or logprob is None:
            continue
        if isinstance(logprob, bool) or not isinstance(logprob, (int, float)):
            raise UserError(f"the engine reported log-probability {str(logprob)[:40]!r} for token {str(token)[:40]!r}: "
                            "not a number")
        if logprob != logprob or logprob > MASS_TOLERANCE:  # NaN, or a probability above 1
            raise UserError(f"the engine reported log-probability {logprob:g} for token {str(token)[:40]!r}: "
                            "not the logarithm of a probability")
        if not math.isfinite(logprob):
            continue  # -inf: no mass
        seen.add(token)
        yield token, min(float(logprob), 0.0)


def _logsumexp(values: list[float]) -> float:
    top = max(values)
    return top + math.log(sum(math.exp(v - top) for v in values))


def label_of_text(labels: Sequence[str]) -> Callable[[str], str | None]:
    """For servers that report token strings: a token spells a label when it equals it once stripped."""
    wanted = {lab.strip(): lab for lab in labels}
    return lambda token: wanted.get(token.strip()) if isinstance(token, str) else None
