"""Multiple-choice items with a reference answer distribution.

Local format `modular_pluralism_mc`: a JSON list of rows {question (the full prompt), options,
attribute (country / group / ambiguity level), gold_distribution, id}, as in Modular Pluralism's
input files (option `gold_field` names another reference column). Items come out as OptionItems
(id, prompt, options, gold, group).
"""
from __future__ import annotations

import ast
import re
from pathlib import Path

from pluralbench.core.items import OptionItem
from pluralbench.core.options import LETTERS
from pluralbench.core.prompts import fill, lettered
from pluralbench.data.dataset import Dataset
from pluralbench.data.distributions import REFERENCE_SUM_LIMIT, check_distribution
from pluralbench.data.files import has_visible_text, read_json_rows, rows_with_ids
from pluralbench.data.hub import load_hub_dataset
from pluralbench.data.loading import NO_CONTEXT, LoadContext, accepts
from pluralbench.errors import DataError
from pluralbench.hashing import sha256_file, sha256_json
from pluralbench.registry import data_formats


def _require(row: dict, field: str, kind, path, index, item_id=None):
    if field not in row:
        raise DataError(path, "missing", row=index, item_id=item_id, field=field)
    value = row[field]
    if not isinstance(value, kind):
        raise DataError(path, f"expected {getattr(kind, '__name__', kind)}, got {type(value).__name__}",
                        row=index, item_id=item_id, field=field)
    return value


def check_options(options, path, index, item_id, field="options") -> list[str]:
    if not isinstance(options, list) or len(options) < 2:
        raise DataError(path, "needs a list of at least two options", row=index, item_id=item_id, field=field)
    if len(options) > len(LETTERS):
        raise DataError(path, f"has {len(options)} options; at most {len(LETTERS)} are supported", row=index,
                        item_id=item_id, field=field)
    for j, opt in enumerate(options):
        if not isinstance(opt, str) or not has_visible_text(opt):
            raise DataError(path, f"option {j} ({str(opt)[:20]!r}) has no visible text", row=index, item_id=item_id,
                            field=field)
    return options


# How a survey question and its lettered options read when the task's prompt gives no template.
MC_TEMPLATE = "Question: {question}\nOptions: {options}\nAnswer:"
MC_OPTIONS = {"gold_field": {"type": "string", "minLength": 1}}  # the column holding the reference distribution


@data_formats.register("modular_pluralism_mc")
@accepts(**MC_OPTIONS)
def load_modular_pluralism_mc(path: Path, data_options: dict, context: LoadContext = NO_CONTEXT, *,
                              skip_single_option: bool = False) -> Dataset:
    rows = read_json_rows(path)
    gold_field = data_options.get("gold_field", "gold_distribution")
    items, renormalised, single, kept_as_given = [], [], [], []
    for index, row, item_id in rows_with_ids(path, rows):
        prompt = _require(row, "question", str, path, index, item_id)
        if not has_visible_text(prompt):
            raise DataError(path, "is empty", row=index, item_id=item_id, field="question")
        if skip_single_option and isinstance(row.get("options"), list) and len(row["options"]) == 1:
            single.append(item_id)  # nothing to choose between: every distribution is [1.0]
            continue
        options = check_options(_require(row, "options", list, path, index, item_id), path, index, item_id)
        if context.prompt_template is not None:
            rendered = retemplated(prompt, options, context.prompt_template)
            if rendered is None:
                kept_as_given.append(item_id)
            prompt = rendered or prompt
        gold, fixed = check_distribution(row.get(gold_field), len(options), path=path, row=index, item_id=item_id,
                                         field=gold_field, max_sum_error=REFERENCE_SUM_LIMIT)
        if fixed:
            renormalised.append(item_id)
        group = row.get("attribute")
        items.append(OptionItem(id=item_id, prompt=prompt, options=options, gold=gold,
                                 group=None if group is None else str(group)))
    checks = {"rows": len(rows), "renormalised_rows": len(renormalised), "renormalised_ids": renormalised[:20]}
    if context.prompt_template not in (None, MC_TEMPLATE):  # the default layout is the file's own: nothing to say
        checks |= {"prompt_kept_as_given_rows": len(kept_as_given), "prompt_kept_as_given_ids": kept_as_given[:20]}
    fmt = "modular_pluralism_mc"
    if skip_single_option:
        checks |= {"skipped_single_option_rows": len(single), "skipped_single_option_ids": single[:20]}
        fmt = "modular_pluralism_steerable_mc"
    return Dataset(items, {"kind": "local", "path": str(path), "format": fmt}, sha256_file(path), checks)


@data_formats.register("modular_pluralism_steerable_mc")
@accepts(**MC_OPTIONS)
def load_modular_pluralism_steerable_mc(path: Path, data_options: dict,
                                        context: LoadContext = NO_CONTEXT) -> Dataset:
    """The MC format, minus rows left with a single option (MP's steerable OpinionQA file has 16: its
    "Refused" options were dropped), which cannot measure anything."""
    return load_modular_pluralism_mc(path, data_options, skip_single_option=True)


# Hugging Face hub: Anthropic/llm_global_opinions ----------------------------------------------------

_DEFAULTDICT = re.compile(r"^\s*defaultdict\(\s*<class '[a-z]+'>\s*,\s*(\{.*\})\s*\)\s*$", re.S)


def parse_selections(text: str) -> dict[str, list[float]]:
    """The hub stores `selections` as the repr of a defaultdict; read it with literal_eval, never eval."""
    match = _DEFAULTDICT.match(text)
    literal = match.group(1) if match else text
    value = ast.literal_eval(literal)
    if not isinstance(value, dict):
        raise ValueError("selections is not a mapping")
    return {str(k): [float(x) for x in v] for k, v in value.items()}


def parse_options(value) -> list[str]:
    options = ast.literal_eval(value) if isinstance(value, str) else value
    if not isinstance(options, (list, tuple)):
        raise ValueError("options is not a list")
    return [str(o) for o in options]


def mc_prompt(question: str, options: list[str], template: str, where: str = "prompt.template") -> str:
    return fill(template, where, question=question, options=lettered(options))


def retemplated(prompt: str, options: list[str], template: str) -> str | None:
    """A Modular Pluralism row's prompt rendered with the task's template, as hub rows are, so `prompt.template`
    decides the prompt offline too. The file stores MC_TEMPLATE's rendering of the bare question; a row laid out
    otherwise (3 of GlobalOpinionQA's 5,752) has no question to take out: None, and the row's prompt is used."""
    head, tail = "Question: ", f"\nOptions: {lettered(options)}\nAnswer:"
    if not (prompt.startswith(head) and prompt.endswith(tail)) or len(prompt) <= len(head) + len(tail):
        return None
    return mc_prompt(prompt[len(head):-len(tail)], options, template)


@data_formats.register("globalopinionqa_hub")
def load_globalopinionqa_hub(hub: dict, data_options: dict, context: LoadContext = NO_CONTEXT) -> Dataset:
    ds = load_hub_dataset(hub, "train")
    template = context.prompt_template or MC_TEMPLATE
    items, skipped = [], 0
    for index, row in enumerate(ds):
        try:
            options = parse_options(row["options"])
            selections = parse_selections(row["selections"])
        except (ValueError, SyntaxError) as exc:
            raise DataError(hub["path"], f"unparseable ({exc})", row=index, field="selections/options") from None
        prompt = mc_prompt(row["question"], options, template)
        for country, dist in selections.items():
            if len(dist) != len(options) or sum(dist) <= 0:
                skipped += 1  # the hub file has a few rows whose vectors do not match their options
                continue
            total = sum(dist)
            items.append(OptionItem(id=f"{index}:{country}", prompt=prompt, options=options,
                                    gold=[x / total for x in dist], group=country))
    identity = {"fingerprint": getattr(ds, "_fingerprint", None), "revision": hub.get("revision")}
    source = {"kind": "hub", "path": hub["path"], "split": hub.get("split", "train"), "format": "globalopinionqa_hub"}
    return Dataset(items, source, sha256_json(identity), {"rows": len(ds), "skipped_pairs": skipped})
