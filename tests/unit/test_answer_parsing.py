"""Reading generated answers: the verbalized parser on a catalogue of hand-written answers (refusals,
malformed JSON, prose around the JSON, totals of 90 and 110) and on answers the embedded SmolLM2 really
gave to the verbalized prompt; the option an answer commits to (sampled read-out) on real samples; ValuePrism
valence text (Support / Oppose / Either) on the table of docs/answer-parsing.md."""
from __future__ import annotations

import re
from pathlib import Path

import pytest

from pluralbench.elicitation.answer_text import first_choice, key_index
from pluralbench.elicitation.verbalized_parse import parse_verbalized
from pluralbench.families.answer_parsing import parse_letter
from pluralbench.taskfile import get_task

LABELS = ("A", "B", "C")
OPTIONS = ("Very favorable", "Somewhat favorable", "DK/Refused")


@pytest.mark.parametrize("text, expected, renormalised", [
    ('{"A": 20, "B": 30, "C": 50}', [0.2, 0.3, 0.5], False),
    ("{'A': '21%', 'B': '29%', 'C': '50%'}", [0.21, 0.29, 0.5], False),  # Meister et al.'s format
    ('{"A": 0.2, "B": 0.3, "C": 0.5}', [0.2, 0.3, 0.5], False),  # probabilities
    ('{"A": "1/4", "B": 1/4, "C": 1/2}', [0.25, 0.25, 0.5], False),  # fractions
    ('{A: 20%, B: 30 %, C: 50%,}', [0.2, 0.3, 0.5], False),  # bare keys, % signs, trailing comma
    ('Sure! Here is my estimate:\n```json\n{"A": 20, "B": 30, "C": 50}\n```\nHope it helps.', [0.2, 0.3, 0.5], False),
    ('{"Very favorable": 60, "Somewhat favorable": 40}', [0.6, 0.4, 0.0], False),  # option texts; C missing = 0
    ('{"(a)": 10, "Option B": 10, "c": 80}', [0.1, 0.1, 0.8], False),
    ('{"A. Very favorable": 50, "B. Somewhat favorable": 50}', [0.5, 0.5, 0.0], False),
    ('{"A": 20, "B": 30, "C": 40}', [2 / 9, 3 / 9, 4 / 9], True),  # sums to 90
    ('{"A": 30, "B": 30, "C": 50}', [3 / 11, 3 / 11, 5 / 11], True),  # sums to 110
    ('{"A": 33, "B": 33, "C": 33}', [1 / 3, 1 / 3, 1 / 3], False),  # 99: within the tolerance
    ('{"A": 20.5, "B": 29.5, "C": 50}', [0.205, 0.295, 0.5], False),
])
def test_readable_answers(text, expected, renormalised):
    got = parse_verbalized(text, LABELS, OPTIONS)
    assert got.failure is None
    assert got.distribution == pytest.approx(expected, abs=1e-12)
    assert got.renormalised is renormalised


@pytest.mark.parametrize("text, kind", [
    ("", "empty answer"),
    ("I'm sorry, but I cannot estimate how people would answer this question.", "no JSON object"),
    ("As an AI language model, I do not have opinions.", "no JSON object"),
    ('{"A": 20, "B": 30, "C": 50', "unclosed JSON object"),  # cut off
    ('{"A": 20, "B" 30, "C": 50}', "malformed entry"),
    ('{"A": 20, "D": 30, "C": 50}', "unknown key"),
    ('{"A": 20, "a": 30, "C": 50}', "duplicate key"),
    ('{"A": "many", "B": 30, "C": 50}', "non-numeric value"),
    ('{"A": -20, "B": 70, "C": 50}', "negative value"),
    ('{"A": "1/0", "B": 70, "C": 30}', "non-numeric value"),
    ('{"A": 0, "B": 0, "C": 0}', "all zero"),
    ("{}", "empty JSON object"),
    ('{"A": 100, "B": 100, "C": 100}', "implausible total"),  # 300%: no distribution
    ('{"A": 0.1}', "implausible total"),  # 10%
])
def test_unreadable_answers_say_why_and_give_no_distribution(text, kind):
    got = parse_verbalized(text, LABELS, OPTIONS)
    assert got.distribution is None
    assert got.failure.split(":")[0] == kind


# Answers SmolLM2-135M-Instruct (embedded, float32, chat template, greedy, 48 new tokens) gave to the
# verbalized prompt (elicitation/verbalized.py TEMPLATE) on the first twelve questions of the shipped
# GlobalOpinionQA file, recorded by running the `verbalized` method on them. None can be read: the 135M
# model gives 100 to every option, echoes the question, or runs out of tokens mid-object.
SMOLLM2_ANSWERS = [
    (('Very favorable', 'Somewhat favorable', 'Somewhat unfavorable', 'Very unfavorable', 'DK/Refused'),
     'A: 100\nB: 100\nC: 100\nD: 100\nE: 100\n\nThe answer is:\nD\n\nQuestion: (Now',
     'no JSON object'),
    (('Yes', 'No'),
     'JSON:\n{\n  "A": 100,\n  "B": 100\n}\n\nQuestion: Do you use a computer at your workpl'
     'ace, at school, at home, or anywhere else on an occasional',
     'implausible total'),
    (('Most people can be trusted',
      'Need to be very careful',
      "Don't know",
      'No answer',
      'Other missing; Multiple answers Mail (EVS)'),
     'The answer is D. Other missing; 100\n\nThe JSON object is:\n{\n  "A": 100,\n  "B": 10'
     '0,\n  "C": 100,',
     'unclosed JSON object'),
    (('Very satisfied', 'Somewhat satisfied', 'Somewhat dissatisfied', 'Very dissatisfied'),
     'JSON:\n{\n  "A": 100,\n  "B": 100,\n  "C": 100,\n  "D": 100\n}\n\nQuestion: How satisfie'
     'd are',
     'implausible total'),
    (('Very serious problem',
      'Somewhat serious problem',
      'Not too serious of a problem',
      'Not a problem at all',
      'DK/Refused'),
     'A. Very serious problem\nB. Somewhat serious problem\nC. Not too serious of a prob'
     'lem\nD. Not a problem at all\nE. DK/Refused\n\nJSON:\n{\n"A": ',
     'unclosed JSON object'),
    (('A great danger', 'Moderate danger', 'Small danger', 'No danger at all'),
     'A. A great danger, moderate danger, small danger, or no danger at all\n\nJSON:\n{\n '
     ' "A": 100,\n  "B": 100,\n  "C": 10',
     'unclosed JSON object'),
    (('Very worried', 'Somewhat worried', 'Not too worried', 'Not at all worried'),
     'Question: How worried are you, if at all, that the U.S. could become a military '
     'threat to our country someday?\nOptions:\nA. Very worried\nB. Somewhat worried\nC. N'
     'ot too worried\n',
     'no JSON object'),
    (('Yes', 'No', "Don't know", 'No answer', 'Missing; Not available'),
     'JSON:\n{\n  "A": 100,\n  "B": 100,\n  "C": 100,\n  "D": 100,\n  "E": 100',
     'unclosed JSON object'),
    (('Yes', 'No', "Don't know", 'No answer', 'Other missing; Multiple answers Mail (EVS)'),
     'Question: In which of the following things do you believe, if you believe in any'
     "?\n\nGod\nOptions: A. Yes B. No C. Don't know D. No answer E. Other missing; Multip"
     'le answers Mail (',
     'no JSON object'),
    (('Democratic form of government', 'Strong leader', "Don't know/Refused"),
     "The answer is: \nC. Don't know/Refused",
     'no JSON object'),
    (('United States', 'China', 'European Union', 'None/No difference (VOL)', 'Other (VOL)'),
     'The best approach to fixing the global economic crisis is to prioritize global e'
     'conomic stability and stability. The United States, China, and Europe are the on'
     'ly three options that can achieve this goal.\n\nThe percentage of people who would'
     ' choose option D',
     'no JSON object'),
    (('Very concerned', 'Somewhat concerned', 'Not too concerned', 'Not at all concerned'),
     "Sure, I'd be happy to help with that.\n\nThe percentages summing to 100, so I'll p"
     'rovide a JSON object with the percentages:\n\n{\n    "A": 0.5,\n    "',
     'unclosed JSON object'),
]


@pytest.mark.parametrize("options, text, kind", SMOLLM2_ANSWERS)
def test_real_smollm2_answers(options, text, kind):
    labels = tuple("ABCDE"[: len(options)])
    got = parse_verbalized(text, labels, tuple(options))
    assert (got.failure.split(":")[0] if got.failure else "parsed") == kind
    if got.distribution is not None:
        assert sum(got.distribution) == pytest.approx(1.0)


def test_keys_name_options_by_label_or_text():
    assert key_index(' "b" ', LABELS, OPTIONS) == 1
    assert key_index("dk/refused", LABELS, OPTIONS) == 2
    assert key_index("C) DK/Refused", LABELS, OPTIONS) == 2
    assert key_index("D", LABELS, OPTIONS) is None
    assert key_index("A. Somewhat favorable", LABELS, OPTIONS) is None  # label and text disagree


@pytest.mark.parametrize("text, expected", [
    # Samples SmolLM2 drew at temperature 1 after "Answer:" (chat template), cut at the first line break.
    (" A. Very favorable", 0),
    (" (A)", 0),
    (" C. Don't know", 2),  # the label decides, whatever text follows it
    (" a. Yes", 0),
    (" B. Somewhat favorable", 1),
    ("", None),
    (" I can suggest the dimensional choices that support", None),
    (" A. Very favorable (C)", None),  # names two options
    # Hand-written.
    ("Answer: C", 2),
    ("The answer is B.", 1),
    ("Somewhat favorable, I think", 1),
    ("very favorable", 0),
    ("A. Very favorable B. Somewhat favorable C. DK/Refused", None),  # echoes the option list
    ("Absolutely", None),  # starts with A, but as part of a word
    ("Option C", 2),
    ("**B**", 1),
])
def test_first_choice(text, expected):
    assert first_choice(text, LABELS, OPTIONS) == expected


def test_first_choice_prefers_the_longest_option_text():
    assert first_choice("Good thing", ("A", "B"), ("Good", "Good thing")) == 1
    assert first_choice(" No.", ("A", "B"), ("Yes", "No")) == 1
    assert first_choice(" Yes. My work is constantly happening around me.", ("A", "B"), ("Yes", "No")) == 0


# ValuePrism valence from generated text: the table of docs/answer-parsing.md is the specification. ------------

DOC = Path(__file__).resolve().parents[2] / "docs" / "answer-parsing.md"


def doc_table() -> list[tuple[str, str, str]]:
    """(text, pluralbench's reading, the reference's reading) for every example row of the doc's table."""
    rows = re.findall(r"^\| `([^`]*)` \| (\S+) \| (\S+) \|", DOC.read_text(encoding="utf-8"), flags=re.M)
    assert len(rows) >= 20, "the examples table of docs/answer-parsing.md was not found"
    return rows


@pytest.mark.parametrize("text, expected, reference", doc_table())
def test_valence_parsing_follows_the_documented_table(text, expected, reference):
    from pluralbench.families.steerable_valence import EITHER, LABELS

    task = get_task("steerable_valueprism")
    words = task.family_impl()._answer_words(task)
    assert parse_letter(text, LABELS, words, hedge=EITHER) == expected


def test_the_table_covers_the_issue_16_cases_and_the_reference_differences():
    rows = {text: (ours, ref) for text, ours, ref in doc_table()}
    assert rows["It depends on the situation."] == ("C", "C")
    assert rows["Either way, it supports it."] == ("A", "A")
    assert rows["Answer: B"] == ("B", "A")
    assert sum(ours != ref for ours, ref in rows.values()) >= 5  # the differences the doc lists


def test_without_a_hedge_label_the_earliest_word_wins():
    words = {"support": "A", "oppose": "B", "either": "C"}
    assert parse_letter("Either way, it supports it.", LABELS, words) == "C"
    assert parse_letter("It supports it; it does not oppose it.", LABELS, words) == "A"
