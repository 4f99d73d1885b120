"""The prompt builder (core/prompts.py): templates filled from an item's fields, options under letters,
steering styles; a template naming a field the task does not provide is one line naming where."""
import pytest

from pluralbench.core.prompts import fill, lettered, steered, template_fields
from pluralbench.errors import UserError


def test_lettered_lists_options_under_their_letters():
    assert lettered(["Yes", "No", "Maybe"]) == "A. Yes B. No C. Maybe"
    assert lettered(["Yes", "No"], "\n") == "A. Yes\nB. No"


def test_template_fields_ignores_escaped_braces_and_reads_attribute_access():
    assert template_fields("{question} {{literal}} {persona.name} {opts[0]}") == {"question", "persona", "opts"}


def test_fill_renders_like_str_format():
    assert fill("Q: {question}\n{options}", "t", question="Why?", options="A. x") == "Q: Why?\nA. x"


def test_fill_names_the_missing_field_and_where():
    with pytest.raises(UserError) as err:
        fill("{question} as {persona}", "task t prompt.template", question="Why?")
    text = str(err.value)
    assert text.startswith("task t prompt.template: the template names {persona}") and "question" in text


def test_steered_puts_the_question_into_the_style():
    style = "Answer as if {portray}\n\n{question}"
    assert steered(style, "Why?", "styles.PORTRAY", portray="you were a Democrat.") == \
        "Answer as if you were a Democrat.\n\nWhy?"
