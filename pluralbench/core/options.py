"""Option labels: the letters a multiple-choice prompt lists its answers under, and how an answer is
spelled after a prompt."""

LETTERS = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"


def continuation_after(context: str, text: str) -> str:
    """How text follows a prompt as its continuation: " A" after "Answer:", "A" after "Answer: "."""
    return text if not context or context[-1].isspace() else " " + text
