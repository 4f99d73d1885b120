"""Errors a user can fix. The CLI prints them as one line and exits 2, without a traceback."""


class UserError(Exception):
    """Bad input, configuration or environment: the message must say what and where."""


class UnknownName(UserError):
    def __init__(self, kind: str, name: str, known: list[str]):
        self.kind, self.name, self.known = kind, name, sorted(known)
        listed = ", ".join(self.known) if self.known else "(none registered)"
        super().__init__(f"unknown {kind} {name!r}; known {_plural(kind)}: {listed}")


def _plural(noun: str) -> str:
    return noun[:-1] + "ies" if noun.endswith("y") and noun[-2:-1] not in "aeiou" else noun + "s"


class DataError(UserError):
    """A data file is missing or malformed. Names the file and, when known, the row and field."""

    def __init__(self, path, message: str, row=None, field=None, item_id=None):
        where = str(path)
        if row is not None:
            where += f" row {row}"
        if item_id is not None:
            where += f" (id {item_id})"
        if field is not None:
            where += f" field {field!r}"
        super().__init__(f"{where}: {message}")


def with_answers(error: UserError, answers: dict) -> UserError:
    """`error` (a request of a batch that failed for good), carrying the answers the rest of its batch did get,
    by position, so the run keeps them (journal first) and a rerun asks only for the others."""
    error.answers = answers
    return error


def partial_answers(error: Exception) -> dict | None:
    """The answers a failed batch did get (with_answers), or None for a failure that carries none."""
    return getattr(error, "answers", None)
