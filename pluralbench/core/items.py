"""Typed task items: what a loader hands to a family. One frozen dataclass per item kind, declared fields
only, so a family reads `item.gold`, not `row[4]` or a key some loader may not set.

Items also read like a read-only mapping of their *set* fields (in declaration order), so code that
formats an item's text fields (`{**item}`) and plugins written against dict items keep working. A field
a loader does not set is `ABSENT` and is left out of that mapping, so samples keep their layout.

A plugin loader may still return dicts: `as_item(cls, mapping, where)` turns one into the family's item
type, refusing a missing or unknown field with one line that names the item and the field.
"""
from __future__ import annotations

from collections.abc import Mapping
from dataclasses import MISSING, dataclass, fields
from typing import Any

from pluralbench.errors import DataError


class _Absent:
    """A field the loader did not set (distinct from None, which some loaders set on purpose)."""

    def __repr__(self) -> str:
        return "ABSENT"

    def __bool__(self) -> bool:
        return False


ABSENT: Any = _Absent()

# Frozen: items do not change between steps (a loader that adds a field makes a new item with
# dataclasses.replace). eq=False: an item equals a mapping with the same set fields, as dict items did.
item_type = dataclass(frozen=True, kw_only=True, eq=False)


@item_type
class Item(Mapping):
    id: str

    def __getitem__(self, key: str):
        value = getattr(self, key, ABSENT) if key in self._field_names() else ABSENT
        if value is ABSENT:
            raise KeyError(key)
        return value

    def __iter__(self):
        return (name for name in self._field_names() if getattr(self, name) is not ABSENT)

    def __len__(self) -> int:
        return sum(1 for _ in self)

    def has(self, name: str) -> bool:
        return getattr(self, name, ABSENT) is not ABSENT

    @classmethod
    def _field_names(cls) -> tuple[str, ...]:
        return tuple(f.name for f in fields(cls))

    def as_dict(self) -> dict:
        return {name: getattr(self, name) for name in self}



def as_item(cls: type[Item], value, where: str) -> Item:
    """`value` as a `cls`: an item of that type as is, a mapping checked field by field."""
    if isinstance(value, cls):
        return value
    if not isinstance(value, Mapping):
        raise DataError(where, f"an item must be a {cls.__name__} or a mapping, got {type(value).__name__}")
    known = {f.name: f for f in fields(cls)}
    item_id = value.get("id", "?")
    unknown = [k for k in value if k not in known]
    if unknown:
        raise DataError(where, f"not a {cls.__name__} field (known: {', '.join(known)})", item_id=item_id,
                        field=unknown[0])
    missing = [n for n, f in known.items() if n not in value and f.default is MISSING
               and f.default_factory is MISSING]
    if missing:
        raise DataError(where, f"missing (a {cls.__name__} needs it)", item_id=item_id, field=missing[0])
    return cls(**dict(value))


@item_type
class OptionItem(Item):
    """A question with options and one group's answer distribution (GlobalOpinionQA, MoralChoice, OpinionQA,
    NYT books by group). Survey items may carry ordinal positions, respondent counts and the population's
    distribution."""

    prompt: str
    options: list[str]
    gold: list[float]
    group: str
    question_key: str = ABSENT
    ordinal_positions: list[float] = ABSENT
    respondents: float = ABSENT
    population: list[float] | None = ABSENT


@item_type
class ScaleItem(Item):
    """A personality-inventory statement rated on a Likert scale (MPI); `key` is +1 or -1."""

    text: str
    trait: str
    facet: str
    key: int
    options: list[str]
    prompt: str
    human: list[float] = ABSENT


@item_type
class JuryItem(Item):
    """Something a jury of groups rates: a survey question (`prompt`, `options`), a text (`text`) or a book
    (`title`, `genre`, `summary`); `jurors` maps a juror group to its rating distribution."""

    jurors: dict[str, list[float]]
    pooled: list[float]
    jury: str | None
    prompt: str = ABSENT
    options: list[str] = ABSENT
    text: str = ABSENT
    title: str = ABSENT
    genre: str = ABSENT
    summary: str = ABSENT
    juror_sizes: dict[str, int] = ABSENT
    raters: int = ABSENT
    ratings: list = ABSENT


@item_type
class CandidateItem(Item):
    """A jury choosing among candidate statements (Polis, generative social choice): utilities[c][j] is
    juror j's utility for candidate c."""

    jury: str
    topic: str
    description: str
    candidates: list[dict]
    utilities: list[list[float]]
    juror_groups: list
    scale: dict


@item_type
class OvertonItem(Item):
    """A situation and the values, rights and duties (VRDs) an answer should cover (ValuePrism)."""

    prompt: str
    situation: str
    vrds: list[dict]


@item_type
class ValenceItem(Item):
    """Whether a VRD supports or opposes a situation (ValuePrism valence, Kaleido)."""

    prompt: str
    label: str
    situation: str
    vrd: str
    vrd_type: str


@item_type
class TradeoffItem(Item):
    """Two objectives to mix (two countries' distributions, or two values on one situation)."""

    options: list[str]
    name_a: str
    name_b: str
    objectives: list
    question: str = ABSENT
    situation: str = ABSENT
    country_a: str = ABSENT
    country_b: str = ABSENT
    pair_jsd: float = ABSENT
    a_first: bool = ABSENT


@item_type
class DilemmaItem(Item):
    """A DailyDilemmas dilemma with its two actions and the answers other models recorded."""

    dilemma: str
    group: str
    topic: str
    actions: dict
    recorded: dict


@item_type
class PrincipleItem(Item):
    """A dilemma under a system prompt stating a principle, and which action that principle supports."""

    group: str
    principle: str
    dilemma_id: str
    dilemma: str
    system: dict
    supporting_action: str
    recorded: dict


@item_type
class DialogueItem(Item):
    """A dialogue and the Schwartz values its response expresses (Value FULCRA)."""

    dialogue: str
    response_source: str
    labels: dict
