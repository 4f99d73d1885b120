"""GlobalOpinionQA regrouped by question: countries as a jury, and pairs of strongly disagreeing countries.

Both formats read the Modular-Pluralism file through `load_modular_pluralism_mc` (its row checks
apply) and group its (question, country) rows by prompt, in file order.
"""
from __future__ import annotations

import itertools
import re
import zlib
from pathlib import Path
from typing import NamedTuple

import numpy as np

from pluralbench.core.items import JuryItem, TradeoffItem
from pluralbench.data.dataset import Dataset
from pluralbench.data.loading import NO_CONTEXT, LoadContext, accepts
from pluralbench.data.multiple_choice import MC_OPTIONS, load_modular_pluralism_mc
from pluralbench.errors import DataError
from pluralbench.metrics.divergence import js_distance
from pluralbench.registry import data_formats

_PAREN = re.compile(r"\s*\([^)]*\)\s*$")


class Question(NamedTuple):
    """One survey question and every country's answer distribution for it."""
    id: str
    prompt: str
    options: list[str]
    countries: dict[str, list[float]]  # country label -> distribution


def questions(path: Path, data_options: dict) -> tuple[list[Question], Dataset]:
    """The file's questions in order of first appearance. The multiple-choice items are read through their
    mapping view (prompt, options, group, gold, id), which dict and typed items both offer."""
    base = load_modular_pluralism_mc(path, data_options)
    grouped: dict[str, Question] = {}
    for item in base.items:
        q = grouped.setdefault(item["prompt"], Question(f"q{item['id']}", item["prompt"], item["options"], {}))
        if item["options"] != q.options:
            raise DataError(path, f"options differ from those of row id {q.id[1:]} with the same question",
                            item_id=item["id"], field="options")
        if item["group"] in q.countries:
            raise DataError(path, f"country {item['group']!r} appears twice for this question", item_id=item["id"],
                            field="attribute")
        q.countries[item["group"]] = item["gold"]
    return list(grouped.values()), base


@data_formats.register("globalopinionqa_country_jury")
@accepts(**MC_OPTIONS, min_countries={"type": "integer", "minimum": 1})
def load_country_jury(path: Path, data_options: dict, context: LoadContext = NO_CONTEXT) -> Dataset:
    min_countries = int(data_options.get("min_countries", 3))
    qs, base = questions(path, data_options)
    items = [JuryItem(id=q.id, prompt=q.prompt, options=q.options, jurors=q.countries,
                      pooled=np.mean(list(q.countries.values()), axis=0).tolist(), jury=None)
             for q in qs if len(q.countries) >= min_countries]
    checks = dict(base.checks, questions=len(qs), questions_with_min_countries=len(items), min_countries=min_countries)
    return Dataset(items, dict(base.source, format="globalopinionqa_country_jury"), base.sha256, checks)


def display_name(label: str, names: dict) -> str:
    """How a country label reads in a prompt: task-file overrides, else the label without '(... sample)'."""
    return names.get(label, _PAREN.sub("", label))


@data_formats.register("globalopinionqa_country_pairs")
@accepts(**MC_OPTIONS, pair_seed={"type": "integer"}, min_pair_jsd={"type": "number", "minimum": 0, "maximum": 1},
         display_names={"type": "object", "additionalProperties": {"type": "string"}})
def load_country_pairs(path: Path, data_options: dict, context: LoadContext = NO_CONTEXT) -> Dataset:
    threshold = float(data_options.get("min_pair_jsd", 0.4))
    names = dict(data_options.get("display_names", {}))
    seed = int(data_options.get("pair_seed", 0))
    qs, base = questions(path, data_options)
    items, qualifying_questions = [], 0
    for q in qs:
        pairs = []
        for a, b in itertools.combinations(sorted(q.countries), 2):
            if display_name(a, names) == display_name(b, names):
                continue  # "India (Old national sample)" vs "India (Current ...)" cannot be told apart in a prompt
            d = js_distance(q.countries[a], q.countries[b], 2)
            if d >= threshold:
                pairs.append((a, b, d))
        if not pairs:
            continue
        qualifying_questions += 1
        # One pair per question, chosen with a seed of its own so --limit and file order do not matter.
        rng = np.random.default_rng([seed, zlib.crc32(q.prompt.encode("utf-8"))])
        a, b, d = pairs[int(rng.integers(len(pairs)))]
        if rng.random() < 0.5:
            a, b = b, a  # which country is "A" is random too
        items.append(TradeoffItem(id=f"{q.id}:{a}|{b}", question=q.prompt, options=q.options,
                                  name_a=display_name(a, names), name_b=display_name(b, names),
                                  country_a=a, country_b=b, pair_jsd=d,
                                  objectives=[{"target": q.countries[a]}, {"target": q.countries[b]}]))
    if not items:
        raise DataError(path, f"no question has two countries at JS distance >= {threshold}")
    checks = dict(base.checks, questions=len(qs), questions_with_a_pair=qualifying_questions, min_pair_jsd=threshold)
    return Dataset(items, dict(base.source, format="globalopinionqa_country_pairs"), base.sha256, checks)
