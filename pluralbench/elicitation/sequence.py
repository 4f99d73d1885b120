"""`sequence`: the log-likelihood of each option's full text as the continuation of the prompt (after
its answer primer), renormalised over the options: Spectrum's read-out (Sorensen et al. 2025).

Length normalisation: `sum` (the default) scores an option by the log-probability of its whole text,
so the renormalised numbers are the model's probabilities of the option strings, conditioned on one
of them being said: Spectrum's choice and the only one with that reading. `mean` (per-token mean,
lm-eval's `acc_norm` in spirit) favours long options less, but its renormalised values are not any
probability the model assigns. Both are computed for every item; the one used is recorded.

Covered mass is not defined: the options' texts are not alternatives of one next-token distribution
(different lengths, shared first tokens), so no "mass the options got" exists; it is None.
"""
from __future__ import annotations

from typing import Sequence

import numpy as np

from pluralbench.core.options import continuation_after
from pluralbench.core.records import ModelRequest
from pluralbench.elicitation.base import Elicitation, OptionQuery
from pluralbench.errors import UserError
from pluralbench.registry import elicitation_methods

NORMALISATIONS = ("sum", "mean")


def renormalised(scores: Sequence[float]) -> list[float]:
    """softmax over the options' log-scores."""
    arr = np.asarray(scores, dtype=np.float64)
    weights = np.exp(arr - arr.max())
    return (weights / weights.sum()).tolist()


@elicitation_methods.register("sequence")
class SequenceLikelihood(Elicitation):
    name = "sequence"
    adapter_kinds = frozenset({"hf", "vllm", "lmeval"})
    unsupported_reason = "it needs the log-probabilities of given text, which OpenAI-compatible servers do not report"

    def __init__(self, length_normalisation: str = "sum"):
        if length_normalisation not in NORMALISATIONS:
            raise UserError(f"sequence length normalisation {length_normalisation!r} is unknown; "
                            f"choose one of {', '.join(NORMALISATIONS)} (as in sequence:mean)")
        self.length_normalisation = length_normalisation

    @classmethod
    def from_argument(cls, argument: str | None, *, seed: int = 0) -> "SequenceLikelihood":
        return cls() if argument is None else cls(argument)

    def requests(self, query: OptionQuery) -> list[ModelRequest]:
        texts = tuple(continuation_after(query.prompt, option) for option in query.options)
        return [ModelRequest(op="sequences", prompt=query.prompt, answer_prefix=query.answer_prefix,
                             continuations=texts)]

    def read(self, query: OptionQuery, outputs: Sequence) -> dict:
        (scored,) = outputs
        sums = [float(s["logprob"]) for s in scored]
        tokens = [s.get("tokens") for s in scored]
        means = [lp / n if n else None for lp, n in zip(sums, tokens)]
        if self.length_normalisation == "mean" and None in means:
            raise UserError("this engine did not report how many tokens each option took: use sequence "
                            "(length normalisation sum)")
        used = sums if self.length_normalisation == "sum" else means
        return {"distribution": renormalised(used), "covered_mass": None, "label_logprobs": sums,
                "sequence": {"length_normalisation": self.length_normalisation, "tokens": tokens,
                             "mean_logprobs": means}}

    def settings(self) -> dict:
        return {"method": self.name, "length_normalisation": self.length_normalisation,
                "continuation": "each option's text after the prompt and its answer primer (a space between "
                                "unless the prompt ends in one), tokenized on its own",
                "label_logprobs": "each option text's summed log-probability",
                "covered_mass": "not defined for option texts of different lengths: recorded as None"}
