"""`verbalized`: the model is asked to write the distribution itself, as JSON percentages per option
(the read-out of Meister et al. 2025 and SimBench's `verbalized`), generated greedily, and read by a
tolerant parser (elicitation/verbalized_parse.py). An answer that cannot be read keeps its text and
the reason in the prediction, with no distribution: excluded and counted, never a uniform guess.

The instruction is data: TEMPLATE below by default, or any template with the same fields
({question}: the task's prompt without its answer primer; {format}: {"A": X, "B": X, ...} over the
query's labels; {labels}: "A, B, C"), recorded in the settings with the generation settings.
"""
from __future__ import annotations

from typing import Sequence

from pluralbench.core.records import GenerationSettings, ModelRequest
from pluralbench.elicitation.base import Elicitation, OptionQuery
from pluralbench.elicitation.diagnostics import verbalized_parse_summary
from pluralbench.elicitation.verbalized_parse import SUM_TOLERANCE, parse_verbalized
from pluralbench.errors import UserError
from pluralbench.models.base import split_answer_prefix
from pluralbench.registry import elicitation_methods

TEMPLATE = ("{question}\n\nEstimate what percentage of people would choose each option ({labels}). Reply with "
            "a JSON object only, giving a whole-number percentage for every option, the percentages summing to "
            "100, in this format: {format}")
# {"A": X, ...} for five options is about 30 tokens; the rest leaves room for a short preamble.
GENERATION = GenerationSettings(max_new_tokens=48, temperature=0.0)


@elicitation_methods.register("verbalized")
class Verbalized(Elicitation):
    name = "verbalized"
    adapter_kinds = frozenset({"hf", "vllm", "openai"})
    unsupported_reason = "the lm-eval bridge serves the log-likelihood read-outs (logprob, sequence) only"
    resolution = 100  # the template asks for whole-number percentages

    def __init__(self, template: str = TEMPLATE, generation: GenerationSettings = GENERATION,
                 tolerance: float = SUM_TOLERANCE):
        if "{question}" not in template or "{format}" not in template:
            raise UserError("a verbalized template needs the fields {question} and {format}")
        if generation.num_samples != 1:
            raise UserError("verbalized asks for one answer per question (num_samples 1)")
        self.template, self.generation, self.tolerance = template, generation, tolerance

    def prompt(self, query: OptionQuery) -> str:
        question, _ = split_answer_prefix(query.prompt, query.answer_prefix)
        labels = query.option_labels()
        shape = "{" + ", ".join(f'"{label}": X' for label in labels) + "}"
        return self.template.format(question=question, format=shape, labels=", ".join(labels))

    def requests(self, query: OptionQuery) -> list[ModelRequest]:
        return [ModelRequest(op="generate", prompt=self.prompt(query), generation=self.generation)]

    def read(self, query: OptionQuery, outputs: Sequence) -> dict:
        (text,) = outputs
        parsed = parse_verbalized(text, query.option_labels(), query.options, self.tolerance)
        found = {"distribution": parsed.distribution, "covered_mass": None, "label_logprobs": None,
                 "verbalized": {"raw_answer": text, "stated_total": parsed.stated_total,
                                "renormalised": parsed.renormalised}}
        if parsed.failure is not None:
            found["parse_failure"] = parsed.failure
        return found

    def finalize(self, queries, predictions, references) -> tuple[list[dict], dict]:
        return list(predictions), verbalized_parse_summary(predictions)

    def settings(self) -> dict:
        return {"method": self.name, "template": self.template, "generation": self.generation.key(),
                "sum_tolerance": self.tolerance,
                "parser": "first {...} object; keys by label or option text; values in %, decimals or fractions; "
                          "missing options 0; always renormalised, flagged when the stated total is off by more "
                          "than sum_tolerance; unparseable answers excluded and counted",
                "covered_mass": "not defined for a stated distribution: recorded as None"}
