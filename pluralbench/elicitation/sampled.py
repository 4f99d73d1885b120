"""`sampled:N`: N independent answers per question, each read as the option it commits to (its
label or text at the start, elicitation/answer_text.py); the distribution is the share of parsed
answers per option. Unparseable answers are counted, never spread over the options.

The engine encodes the prompt once and draws the N samples from its key/value cache
(GenerationSettings.num_samples); sample j of a prompt is seeded by the run seed, the rendered
prompt and j (models/seeds.py), so reruns repeat it and different questions get different draws.
"""
from __future__ import annotations

from typing import Sequence

from pluralbench.core.records import GenerationSettings, ModelRequest
from pluralbench.elicitation.answer_text import first_choice
from pluralbench.elicitation.base import Elicitation, OptionQuery
from pluralbench.elicitation.diagnostics import sample_parse_summary
from pluralbench.errors import UserError
from pluralbench.registry import elicitation_methods

# An answer commits to an option in its first few tokens ("B", "B. Somewhat favorable"); a line break
# ends it. Eight tokens hold the longest option text of the shipped tasks' first words.
MAX_NEW_TOKENS = 8
STOP = ("\n",)


@elicitation_methods.register("sampled")
class Sampled(Elicitation):
    name = "sampled"
    adapter_kinds = frozenset({"hf", "vllm", "openai"})
    unsupported_reason = "lm-eval's generate_until draws one answer per request"

    def __init__(self, n: int, *, temperature: float = 1.0, seed: int = 0, max_new_tokens: int = MAX_NEW_TOKENS):
        if n < 2:
            raise UserError(f"sampled:{n} needs at least 2 samples per question (as in sampled:20)")
        if temperature <= 0:
            raise UserError(f"sampled needs a temperature above 0, got {temperature}")
        self.generation = GenerationSettings(max_new_tokens=max_new_tokens, temperature=temperature, seed=seed,
                                             stop=STOP, num_samples=n)
        self.resolution = n

    @classmethod
    def from_argument(cls, argument: str | None, *, seed: int = 0) -> "Sampled":
        if argument is None or not argument.strip().isdigit():
            raise UserError(f"elicitation method sampled needs the number of samples, as in sampled:20 "
                            f"(got {'sampled' if argument is None else 'sampled:' + argument})")
        return cls(int(argument), seed=seed)

    def requests(self, query: OptionQuery) -> list[ModelRequest]:
        return [ModelRequest(op="generate", prompt=query.prompt, answer_prefix=query.answer_prefix,
                             generation=self.generation)]

    def read(self, query: OptionQuery, outputs: Sequence) -> dict:
        (samples,) = outputs
        choices = [first_choice(text, query.option_labels(), query.options) for text in samples]
        counts = [choices.count(i) for i in range(len(query.options))]
        parsed = sum(counts)
        found = {"distribution": [c / parsed for c in counts] if parsed else None, "covered_mass": None,
                 "label_logprobs": None,
                 "sampled": {"n": len(samples), "parsed": parsed, "unparseable": len(samples) - parsed,
                             "choices": choices}}
        if not parsed:
            found["parse_failure"] = "no sample names an option"
        return found

    def finalize(self, queries, predictions, references) -> tuple[list[dict], dict]:
        return list(predictions), sample_parse_summary(predictions)

    def settings(self) -> dict:
        g = self.generation
        return {"method": self.name, "n": g.num_samples, "temperature": g.temperature, "top_p": g.top_p,
                "seed": g.seed, "max_new_tokens": g.max_new_tokens, "stop": list(g.stop),
                "seeding": "per sample: the run seed, the rendered prompt and the sample's index",
                "parser": "the option label or text an answer starts with, after an optional 'Answer:'; "
                          "an answer listing several options names none",
                "covered_mass": "not defined for sampled answers: recorded as None"}
