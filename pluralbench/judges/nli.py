"""NLI judge: the entailment probability of a Hugging Face sequence-classification NLI model.

The default is microsoft/deberta-v2-xlarge-mnli, the Modular Pluralism reference's judge. Which
output is "entailment" is read from the model's own `id2label`, never assumed (MNLI models order
their labels differently). Pairs are tokenised together as (premise, hypothesis) and run in batches.
"""
from __future__ import annotations

from typing import Sequence

from pluralbench.errors import UserError
from pluralbench.judges.base import Judge
from pluralbench.judges.hf_hub import load_pretrained, tokenizer_sha256
from pluralbench.judges.spec import JudgeSpec

DEFAULT_NLI_MODEL = "microsoft/deberta-v2-xlarge-mnli"


def entailment_index(id2label: dict) -> int:
    """The output index whose label names entailment ('ENTAILMENT', 'entailment', 'entails', ...)."""
    found = [int(i) for i, label in id2label.items() if str(label).strip().lower().startswith("entail")]
    if len(found) != 1:
        labels = ", ".join(f"{i}={label}" for i, label in sorted(id2label.items(), key=lambda kv: int(kv[0])))
        raise UserError(f"NLI judge: the model's id2label ({labels}) names {'no' if not found else 'several'} "
                        "entailment label(s); it needs exactly one label starting with 'entail'")
    return found[0]


class NLIJudge(Judge):
    name = "nli"
    score_rule = "softmax probability of the entailment label (premise entails hypothesis)"
    default_batch_size = 16

    def __init__(self, spec: str, model, tokenizer, *, weights: dict, batch_size: int, max_length: int):
        super().__init__(spec)
        self.model = model.eval()
        self.tokenizer = tokenizer
        self.batch_size = batch_size
        self.max_length = max_length
        self.entailment = entailment_index(model.config.id2label)
        self._weights = weights

    def fingerprint(self) -> dict:
        import transformers

        return {"judge": self.name, "weights": self._weights, "tokenizer_sha256": tokenizer_sha256(self.tokenizer),
                "id2label": {str(k): v for k, v in sorted(self.model.config.id2label.items())},
                "entailment_index": self.entailment, "max_length": self.max_length, "dtype": "float32",
                "engine": "transformers", "engine_version": transformers.__version__}

    def logits(self, pairs: Sequence[tuple[str, str]]):
        import torch

        with torch.inference_mode():
            enc = self.tokenizer([p for p, _ in pairs], [h for _, h in pairs], padding=True, truncation=True,
                                 max_length=self.max_length, return_tensors="pt")
            return self.model(**enc).logits.float()

    def score_pairs(self, pairs):
        import torch

        scores: list[float] = []
        for start in range(0, len(pairs), self.batch_size):
            chunk = list(pairs[start:start + self.batch_size])
            probs = torch.softmax(self.logits(chunk), dim=-1)
            scores.extend(float(p) for p in probs[:, self.entailment])
        return scores


def load_nli_judge(spec: JudgeSpec) -> NLIJudge:
    from transformers import AutoModelForSequenceClassification

    spec.check_options({"batch_size", "revision", "max_length"})
    name = spec.argument or DEFAULT_NLI_MODEL
    model, tokenizer, weights = load_pretrained("NLI judge", name, spec.options.get("revision"),
                                                AutoModelForSequenceClassification)
    max_length = spec.int_option("max_length") or min(512, int(getattr(tokenizer, "model_max_length", 512) or 512))
    canonical = spec.canonical() if (spec.argument or spec.options) else "nli"
    return NLIJudge(canonical, model, tokenizer, weights=weights,
                    batch_size=spec.int_option("batch_size", NLIJudge.default_batch_size), max_length=max_length)
