"""`logprob`: the next-token probability of each option label after the prompt (every spelling of a
label summed, renormalised over the options; the mass the labels covered is recorded)."""
from __future__ import annotations

from typing import Sequence

from pluralbench.core.records import ModelRequest
from pluralbench.elicitation.base import Elicitation, OptionQuery
from pluralbench.elicitation.predictions import from_option_output
from pluralbench.registry import elicitation_methods


@elicitation_methods.register("logprob")
class LogProb(Elicitation):
    name = "logprob"

    def requests(self, query: OptionQuery) -> list[ModelRequest]:
        return [ModelRequest(op="options", prompt=query.prompt, labels=query.option_labels(),
                             answer_prefix=query.answer_prefix, system=query.system)]

    def read(self, query: OptionQuery, outputs: Sequence) -> dict:
        (out,) = outputs
        return from_option_output(out)
