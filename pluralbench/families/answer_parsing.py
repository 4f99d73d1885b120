"""Reading a letter answer out of generated text (the reference method for ValuePrism valence).

The rule, in order; the first that matches wins:
0. text that lists two or more different labels as options ("A. Support B. Oppose") echoes the
   option list: unparseable;
1. the text (after an optional leading "Answer:") starts with a label: "A", "B.", "(C)", "C:" ...;
2. an explicit "answer is X" / "answer: X" / "option X" anywhere;
3. the answer words (any inflection: "supports", "opposing", "depends"). Words of the `hedge` label
   (Either: "either", "depend", "neither") are hedges, the others verdicts:
   a. one verdict named (however often): that verdict, whatever hedge surrounds it ("Either way, it
      supports it." is Support);
   b. no verdict, a hedge: the hedge label ("It depends on the situation." is Either);
   c. two different verdicts: the hedge label when a hedge word is present or the first two are
      joined by "or" ("It could support or oppose it"), otherwise the earliest verdict;
   without a hedge label every word is a verdict and the earliest wins;
otherwise the output is unparseable, which is scored as its own (always wrong) class.
docs/answer-parsing.md has the table of examples (tested in tests/unit/test_answer_parsing.py) and
where this differs from the reference parser.
"""
from __future__ import annotations

import re

UNPARSEABLE = "unparseable"


def parse_letter(text: str | None, labels=("A", "B", "C"), words: dict[str, str] | None = None,
                 hedge: str | None = None) -> str:
    if not text or not text.strip():
        return UNPARSEABLE
    letters = "".join(re.escape(lab) for lab in labels)
    listed = set(re.findall(rf"(?<![A-Za-z])\(?([{letters}])[.)]\s", text + " "))
    if len(listed) >= 2:
        return UNPARSEABLE
    body = re.sub(r"^\s*(answer\s*:)?\s*", "", text, flags=re.I)
    start = re.match(rf"^[\(\[\*]*([{letters}])(?![A-Za-z])", body)
    if start:
        return start.group(1)
    explicit = re.search(rf"(?:answer\s*(?:is|:)|option)\s*[\(\[\*]*([{letters}])(?![A-Za-z])", text, flags=re.I)
    if explicit:
        return explicit.group(1)
    return word_label(text, words or {}, hedge) or UNPARSEABLE


def word_label(text: str, words: dict[str, str], hedge: str | None) -> str | None:
    """Rule 3: the label the answer words give, or None when the text has none of them."""
    hits = sorted((m.start(), m.end(), label) for word, label in words.items()
                  for m in re.finditer(rf"\b{re.escape(word)}", text, flags=re.I))
    verdicts = [(start, end, label) for start, end, label in hits if label != hedge]
    named = {label for _, _, label in verdicts}
    if len(named) == 1:
        return named.pop()
    if not named:
        return hedge if hits else None
    first = verdicts[0]
    second = next(v for v in verdicts if v[2] != first[2])
    joined = re.search(r"\bor\b", text[first[1]:second[0]], flags=re.I)
    if hedge is not None and (len(hits) > len(verdicts) or joined):
        return hedge
    return first[2]
