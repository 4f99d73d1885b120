"""The elicitation seam: how a distribution over a question's options is read out of a model.

A family states what it wants as an `OptionQuery` (a prompt and its options); an elicitation method
turns the query into model requests and the model's answers back into a prediction, the dict every
family scores: {"distribution": [...] | None, "covered_mass": float | None, "label_logprobs": [...] |
None, and a method's diagnostics: "topk", "sequence", "verbalized", "sampled", "calibration", and
"parse_failure" when generated text named no distribution}. A None distribution means the model gave
no readable answer: the item is excluded and counted, never replaced by a uniform guess. No family knows which method
is in use, so a new read-out (calibrated, sequence, verbalized, sampled) touches no family.

The runner's side of the seam, in order:
1. `supports(adapter)` before any model work: a method an adapter kind cannot serve is refused in one
   line (e.g. `sequence` on an OpenAI server, which reports no prompt log-probabilities);
2. `requests(query)` per query, the answers sent to the model (runner/model_calls.py), `read(query,
   outputs)` per query;
3. `finalize(queries, predictions, references)` once, with every query's prediction and the reference
   (human) distribution the family compares it with, or None where it has none. It returns the
   predictions to score and a record for the run's metrics and manifest. A method fitted to the human
   distributions (`logprob_calibrated`) fits here, and must score each item with parameters fitted
   without that item's reference; `verbalized` and `sampled` return their predictions unchanged and
   their parse counts as the record; the others return both unchanged and an empty record.
"""
from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass
from typing import Sequence

from pluralbench.core.options import LETTERS
from pluralbench.core.records import ModelRequest
from pluralbench.errors import UserError


@dataclass(frozen=True)
class OptionQuery:
    prompt: str  # the prompt as the task renders it (options listed, answer primer at the end)
    options: tuple[str, ...]  # the option texts, in the order the prompt lists them
    answer_prefix: str | None = None  # e.g. "Answer:"; under chat it opens the assistant turn
    labels: tuple[str, ...] | None = None  # how the prompt labels the options (default A, B, C, ...)
    system: str | None = None  # a system message sent with the prompt (e.g. a steering instruction)

    def option_labels(self) -> tuple[str, ...]:
        return self.labels if self.labels is not None else tuple(LETTERS[: len(self.options)])


class Elicitation(ABC):
    name: str = "?"
    # Adapter kinds (ModelAdapter.kind) that can answer this method's requests; embedded models are "hf".
    # None: any adapter, a plugin's included (every adapter answers the `options` op of the protocol).
    adapter_kinds: frozenset[str] | None = None
    unsupported_reason: str = ""  # why the other kinds cannot, for the one-line refusal
    needs_references: bool = False  # fitted to the human distributions in finalize (refused without them)
    # The finest step a distribution read out this way can take, as 1/resolution (sampled:N -> N; a verbalized
    # whole-number percentage -> 100); None for a continuous read-out. Families that take it report the
    # human distribution rounded to that grid as a reference point (the method's resolution floor).
    resolution: int | None = None

    @classmethod
    def from_argument(cls, argument: str | None, *, seed: int = 0) -> "Elicitation":
        """The method named `name[:argument]` for a run with this seed (e.g. `sampled:20`)."""
        if argument is not None:
            raise UserError(f"elicitation method {cls.name!r} takes no argument (got {cls.name}:{argument})")
        return cls()

    def supports(self, adapter) -> None:
        """Refuse, in one line, an adapter that cannot serve this method: called before any model work."""
        if self.adapter_kinds is not None and adapter.kind not in self.adapter_kinds:
            why = f" ({self.unsupported_reason})" if self.unsupported_reason else ""
            raise UserError(f"elicitation method {self.name!r} is not supported by model kind {adapter.kind!r}{why}; "
                            f"it runs on: {', '.join(sorted(self.adapter_kinds))}")

    @abstractmethod
    def requests(self, query: OptionQuery) -> list[ModelRequest]:
        """The model requests that answer one query (identical requests across items are sent once)."""

    @abstractmethod
    def read(self, query: OptionQuery, outputs: Sequence) -> dict:
        """The prediction, from the answers to requests(query), in order."""

    def finalize(self, queries: Sequence[OptionQuery], predictions: Sequence[dict],
                 references: Sequence[Sequence[float] | None]) -> tuple[list[dict], dict]:
        """-> (the predictions to score, a record of anything fitted). See the module docstring."""
        return list(predictions), {}

    def settings(self) -> dict:
        """What defines the read-out, recorded with every result."""
        return {"method": self.name}
