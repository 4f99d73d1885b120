"""The prompt builder: every task prompt is a task-file template filled with an item's fields. One home
for filling templates, listing options under their letters and steering a question to a persona, so a
template naming a field the item lacks fails the same way everywhere (one line naming the template's
place and the field) and an option list looks the same in every task.

Chat or completion rendering and the answer primer come after this, in the model adapter
(`models/base.py`), from the same rendered text."""
from __future__ import annotations

import string

from pluralbench.core.options import LETTERS
from pluralbench.errors import UserError


def lettered(options: list[str], separator: str = " ") -> str:
    """'A. first B. second ...': options under their letters, one line by default."""
    return separator.join(f"{LETTERS[i]}. {option}" for i, option in enumerate(options))


def template_fields(template: str) -> set[str]:
    """The field names a str.format template uses."""
    return {name.split(".")[0].split("[")[0] for _, name, _, _ in string.Formatter().parse(template) if name}


def fill(template: str, where: str, **fields) -> str:
    """`template` with its {fields}; a field it names that is not given is one line naming `where`."""
    missing = sorted(template_fields(template) - set(fields))
    if missing:
        raise UserError(f"{where}: the template names {{{missing[0]}}}, which this task does not provide "
                        f"(it provides: {', '.join(sorted(fields)) or 'nothing'})")
    return template.format(**fields)


def steered(style: str, question: str, where: str, **persona: str) -> str:
    """A question rendered in a steering style (e.g. "Answer as if {portray}\\n\\n{question}")."""
    return fill(style, where, question=question, **persona)
