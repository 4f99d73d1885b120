"""Reading a letter answer out of generated text (the reference method for ValuePrism valence).

The rule, in order; the first that matches wins:
0. text that lists two or more different labels as options ("A. Support B. Oppose") echoes the
   option list: unparseable;
1. the text (after an optional leading "Answer:") starts with a label: "A", "B.", "(C)", "C:" ...;
2. an explicit "answer is X" / "answer: X" / "option X" anywhere;
3. the earliest of the label words (support/oppose/either by default; any inflection);
otherwise the output is unparseable, which is scored as its own (always wrong) class.
"""
from __future__ import annotations

import re

UNPARSEABLE = "unparseable"


def parse_letter(text: str | None, labels=("A", "B", "C"), words: dict[str, str] | None = None) -> str:
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
    if words:
        hits = []
        for word, label in words.items():
            m = re.search(rf"\b{re.escape(word)}", text, flags=re.I)
            if m:
                hits.append((m.start(), label))
        if hits:
            return min(hits)[1]
    return UNPARSEABLE
