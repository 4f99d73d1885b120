"""Value recognition (Value FULCRA): for each dialogue and each Schwartz value type, does the AI's
reply promote (+1), oppose (-1) or not express (0) that value?

An item is one dialogue; it asks one `OptionQuery` per value type (A promotes, B opposes, C does not
express), so whichever elicitation method the run uses reads the model's answer, and the prompts of
one dialogue share its text (a prefix-sharing adapter runs the dialogue once). The predicted label
is the argmax of the option distribution. Scores are computed over (dialogue, value type) pairs;
their bootstrap resamples dialogues, since a dialogue's value types share its text
(value_recognition_scores.py).
"""
from __future__ import annotations

import numpy as np

from pluralbench.core.items import DialogueItem
from pluralbench.core.prompts import fill, lettered
from pluralbench.data.value_fulcra import SCHWARTZ_DEFINITIONS, SCHWARTZ_TYPES
from pluralbench.elicitation import OptionQuery
from pluralbench.elicitation.predictions import exclude_sample, from_sample_fields, sample_output_fields
from pluralbench.errors import UserError
from pluralbench.families.base import Scored, TaskFamily
from pluralbench.families.common import BOOTSTRAP_SCHEMA, NOTES_SCHEMA, bootstrap_settings
from pluralbench.families.value_recognition_scores import SIGNS, Pair, metrics_document
from pluralbench.hashing import sha256_text
from pluralbench.registry import task_families

LABELS = ("A", "B", "C")  # option i is the sign SIGNS[i]: promotes, opposes, does not express
DEFAULT_OPTION_NAMES = ("Promotes it", "Opposes it", "Does not express it")


@task_families.register("value_recognition")
class ValueRecognition(TaskFamily):
    name = "value_recognition"
    default_headline = "macro_f1"
    item_type = DialogueItem
    params_schema = {
        "type": "object",
        "additionalProperties": False,
        "properties": {
            "value_types": {"type": "array", "minItems": 1, "uniqueItems": True,
                            "items": {"enum": list(SCHWARTZ_TYPES)}},
            "option_names": {"type": "array", "minItems": 3, "maxItems": 3, "items": {"type": "string"}},
            "bootstrap": BOOTSTRAP_SCHEMA,
            "notes": NOTES_SCHEMA,
        },
    }

    def _types(self, task) -> list[str]:
        return list(task.params.get("value_types", SCHWARTZ_TYPES))

    def _options(self, task) -> tuple[str, ...]:
        return tuple(task.params.get("option_names", DEFAULT_OPTION_NAMES))

    def prompt(self, task, item: DialogueItem, value_type: str) -> str:
        template = task.prompt.get("template")
        if not template:
            raise UserError(f"task {task.name}: family value_recognition needs prompt.template")
        return fill(template, f"task {task.name} prompt.template", dialogue=item.dialogue, value_type=value_type,
                    definition=SCHWARTZ_DEFINITIONS[value_type], options=lettered(list(self._options(task)), "\n"))

    def requests(self, task, items: list[DialogueItem]):
        prefix, options = task.prompt.get("answer_prefix"), self._options(task)
        return [[OptionQuery(self.prompt(task, item, t), options, prefix, LABELS) for t in self._types(task)]
                for item in items]

    def metric_parameters(self, task) -> dict:
        return {
            "value_types": self._types(task),
            "labels": {label: {"sign": sign, "option": name}
                       for label, sign, name in zip(LABELS, SIGNS, self._options(task))},
            "prediction": "argmax of the option distribution over A/B/C",
            "gold": "the row's sign for the type; a type the row does not name is 0 (not expressed); a type named "
                    "with both signs is 'mixed' and left out (counted)",
            "label_set": "sorted union of gold and predicted labels (sklearn's default) for macro F1",
            "bootstrap": bootstrap_settings(task.params) | {"unit": "dialogue (its value types share its text)"},
            "value_definitions": {t: SCHWARTZ_DEFINITIONS[t] for t in self._types(task)},
            "log_base": None,
        }

    def score(self, task, items, outputs, *, seed, judgements=None):
        return self.score_predictions(task, items, [list(outs) for outs in outputs], seed=seed)

    def prediction_from_sample(self, task, sample, *, path, index, item):
        blocks = sample.get("value_types") or {}
        return [from_sample_fields(blocks[t], len(LABELS), path=path, row=index, item_id=sample.get("id"))
                if t in blocks else {"distribution": None, "covered_mass": None, "label_logprobs": None}
                for t in self._types(task)]

    def score_predictions(self, task, items, predictions, *, seed):
        types = self._types(task)
        samples, pairs = [], []
        for d, (item, preds) in enumerate(zip(items, predictions)):
            sample, found = _sample(task, self, item, types, preds)
            samples.append(sample)
            pairs += [p._replace(dialogue=d) for p in found]
        metrics = metrics_document(pairs, items, types, bootstrap_settings(task.params), seed,
                                   notes=list(task.params.get("notes", [])))
        return Scored(samples, metrics)


def _sample(task, family, item: DialogueItem, types, preds) -> tuple[dict, list[Pair]]:
    """A dialogue's samples.jsonl record and its (dialogue, value type) pairs."""
    prompts = [family.prompt(task, item, t) for t in types]
    blocks, pairs = {}, []
    for k, (value_type, prompt, pred) in enumerate(zip(types, prompts, preds)):
        gold = item.labels[value_type]
        predicted = None if pred["distribution"] is None else SIGNS[int(np.argmax(pred["distribution"]))]
        blocks[value_type] = {"gold": gold, "predicted": predicted, "prompt_sha256": sha256_text(prompt),
                              "model_distribution": pred["distribution"]} | sample_output_fields(pred)
        pairs.append(Pair(0, k, gold, predicted, pred["covered_mass"]))
    scored = [p for p in pairs if p.gold is not None and p.predicted is not None]
    sample = {"id": item.id, "group": item.response_source, "prompt_sha256": sha256_text("\n\n".join(prompts)),
              "response_source": item.response_source, "value_types": blocks,
              "metrics": {"accuracy": float(np.mean([p.gold == p.predicted for p in scored])),
                          "scored_value_types": len(scored)} if scored else None}
    if all(p.predicted is None for p in pairs):
        exclude_sample(sample)
    return sample, pairs
