"""Which vocabulary entries spell an option label.

A tokenizer may spell "A" as "A", " A", "▁A" or "\\nA", and a chat template changes which one follows
the prompt. Rather than hard-coding token ids (the Roadmap code's flaw), scan the vocabulary once and
collect every single token that decodes to the label once surrounding whitespace is removed.
"""
from __future__ import annotations

from collections import defaultdict

from pluralbench.errors import UserError

# Labels are short (A-Z, 1-9, Yes/No); indexing only short strings keeps the map small for 262k vocabularies.
_MAX_LABEL_CHARS = 12


class OptionTokenIndex:
    def __init__(self, tokenizer):
        special = set(tokenizer.all_special_ids or [])
        size = len(tokenizer)
        decoded = tokenizer.batch_decode([[i] for i in range(size)], clean_up_tokenization_spaces=False)
        index: dict[str, list[int]] = defaultdict(list)
        for token_id, text in enumerate(decoded):
            if token_id in special:
                continue
            stripped = text.strip()
            if stripped and len(stripped) <= _MAX_LABEL_CHARS:
                index[stripped].append(token_id)
        self._index = dict(index)
        self._spellings = {tid: text for tid, text in enumerate(decoded) if text.strip() in self._index}

    def token_ids(self, label: str) -> list[int]:
        ids = self._index.get(label.strip())
        if not ids:
            raise UserError(f"option label {label!r} is not a single token in this tokenizer; "
                            "use single-token labels such as A, B, C")
        return ids

    def spellings(self, label: str) -> list[str]:
        return [self._spellings[i] for i in self.token_ids(label)]
