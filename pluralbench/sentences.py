"""Splitting a model's response into sentences, with a maintained library (not a hand-written regex).

`sentence-splitter` implements Koehn and Schroeder's heuristic splitter (the Modular Pluralism
reference used it too). Responses often use lists and line breaks, which the splitter does not
treat as boundaries, so lines are split first. A fragment with no letter at all (a list number
"1.", a bullet "-", "**") cannot express a value and is dropped.
"""
from __future__ import annotations

import re
from functools import lru_cache

SPLITTER = "sentence-splitter"
_HAS_LETTER = re.compile(r"[^\W\d_]")


@lru_cache(maxsize=4)
def _splitter(language: str):
    from sentence_splitter import SentenceSplitter

    return SentenceSplitter(language=language)


def split_sentences(text: str, language: str = "en") -> list[str]:
    splitter = _splitter(language)
    sentences: list[str] = []
    for line in text.splitlines():
        if not line.strip():
            continue
        for sentence in splitter.split(line):
            sentence = sentence.strip()
            if sentence and _HAS_LETTER.search(sentence):
                sentences.append(sentence)
    return sentences


def splitter_description(language: str = "en") -> dict:
    from importlib.metadata import version

    return {"library": SPLITTER, "version": version(SPLITTER), "language": language,
            "rule": "lines first, then sentence-splitter per line; fragments without a letter dropped"}
