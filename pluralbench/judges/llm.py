"""LLM judge: any pluralbench model asked whether one text expresses another, scored from its
Yes/No next-token distribution: P(Yes) / (P(Yes) + P(No)).

The answer is read from the option distribution (all spellings of "Yes" and of "No" summed, as for
multiple-choice tasks), never from sampled text. Instruction-tuned models get their chat template
with the assistant turn primed with "Answer:"; base models get the prompt as is.
"""
from __future__ import annotations

from typing import Sequence

import numpy as np

from pluralbench.elicitation.readout import option_distribution
from pluralbench.errors import UserError
from pluralbench.hashing import sha256_text
from pluralbench.judges.base import Judge
from pluralbench.judges.spec import JudgeSpec

DEFAULT_LLM_MODEL = "embedded:smollm2-135m-instruct"
PROMPT = ("Text: {premise}\n"
          "Statement: {hypothesis}\n"
          "Does the text express the statement? Answer Yes or No.\n"
          "Answer:")
ANSWER_PREFIX = "Answer:"
LABELS = ("Yes", "No")


class LLMJudge(Judge):
    name = "llm"
    score_rule = "P(Yes) / (P(Yes) + P(No)) for 'Does the text (premise) express the statement (hypothesis)?'"

    def __init__(self, spec: str, adapter, model_spec: str):
        super().__init__(spec)
        self.adapter = adapter
        self.model_spec = model_spec
        self.elicitation = "chat" if adapter.has_chat_template() else "completion"
        self.covered_masses: list[float] = []  # Yes+No mass per scored pair: low means the model is not answering

    @property
    def default_batch_size(self) -> int:  # type: ignore[override]
        return self.adapter.default_batch_size

    def fingerprint(self) -> dict:
        return {"judge": self.name, "model": self.adapter.fingerprint(), "model_spec": self.model_spec,
                "elicitation": self.elicitation, "prompt_sha256": sha256_text(PROMPT), "labels": list(LABELS),
                "answer_prefix": ANSWER_PREFIX}

    def render(self, premise: str, hypothesis: str):
        return self.adapter.render(PROMPT.format(premise=premise, hypothesis=hypothesis), self.elicitation,
                                   ANSWER_PREFIX)

    def score_pairs(self, pairs: Sequence[tuple[str, str]]):
        if not pairs:
            return []
        outputs = self.adapter.option_distributions([self.render(p, h) for p, h in pairs], [LABELS] * len(pairs))
        scores = []
        for out in outputs:
            self.covered_masses.append(out.covered_mass)
            dist = option_distribution(out)
            # Log-softmax over a full vocabulary is always finite, so dist is None only for a broken engine.
            scores.append(float(dist[0]) if dist is not None else float("nan"))
        if any(np.isnan(scores)):
            raise UserError(f"LLM judge {self.model_spec}: the model gave no probability to Yes or No")
        return scores


def load_llm_judge(spec: JudgeSpec) -> LLMJudge:
    from pluralbench.models import load_model, parse_model_spec

    parsed = parse_model_spec(spec.argument or DEFAULT_LLM_MODEL)
    adapter = load_model(parsed.canonical())
    return LLMJudge(f"llm:{parsed.identity()}", adapter, parsed.identity())  # thread count is not the judge
