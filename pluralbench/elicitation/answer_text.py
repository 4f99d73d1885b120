"""Which option a piece of generated text names: shared by the verbalized parser (a key such as
"A", "(b)", "Option C" or an option's text) and the sampled read-out (the option an answer commits to).

Matching is case-insensitive and ignores surrounding quotes, brackets and punctuation. Only what the
text commits to counts: an answer that starts by listing several options ("A. Yes B. No") merely
echoes the prompt and names none.
"""
from __future__ import annotations

import re
from typing import Sequence

_EDGES = " \t\r\n\"'`*_()[]<>.,:;!?"
_LEADS = re.compile(r"^\s*(?:(?:the\s+)?answer\s*(?:is\s*)?[:\-]?\s*|(?:my\s+)?choice\s*(?:is\s*)?[:\-]?\s*)", re.I)
_OPTION_WORD = re.compile(r"^(?:option|choice)\s+", re.I)


def _plain(text: str) -> str:
    return " ".join(text.strip(_EDGES).split()).casefold()


def key_index(key: str, labels: Sequence[str], options: Sequence[str]) -> int | None:
    """The option a key names: its label ("A", "(a)", "Option A"), its text, or both ("A. Yes"); None otherwise."""
    plain = _OPTION_WORD.sub("", _plain(key))
    for i, label in enumerate(labels):
        if plain == _plain(label):
            return i
    for i, option in enumerate(options):
        if plain == _plain(option):
            return i
    for i, (label, option) in enumerate(zip(labels, options)):
        head = re.match(rf"^{re.escape(_plain(label))}\W+(.*)$", plain)
        if head and _plain(head.group(1)) == _plain(option):
            return i
    return None


def echoes_options(text: str, labels: Sequence[str]) -> bool:
    """Whether the text lists two or more different labels the way the prompt lists options ("A. x B. y")."""
    listed = {lab for lab in labels if re.search(rf"(?<!\w)\(?{re.escape(lab)}[.)]\s", text + " ")}
    return len(listed) >= 2


def first_choice(text: str | None, labels: Sequence[str], options: Sequence[str]) -> int | None:
    """The option an answer commits to at its start: a label ("B", "(B)", "B." ...) or an option's
    text, after an optional "Answer:" / "The answer is"; None when it names none or echoes the list."""
    if not text or not text.strip() or echoes_options(text, labels):
        return None
    body = _LEADS.sub("", text.strip()).lstrip(_EDGES)
    body = _OPTION_WORD.sub("", body)
    folded = body.casefold()
    # Longest first, so an option whose text extends another's ("Good thing" vs "Good") wins.
    candidates = sorted([(lab, i) for i, lab in enumerate(labels)] + [(opt, i) for i, opt in enumerate(options)],
                        key=lambda c: -len(c[0]))
    for spelled, index in candidates:
        want = _plain(spelled)
        if want and folded.startswith(want) and not folded[len(want):len(want) + 1].isalnum():
            return index
    return None
