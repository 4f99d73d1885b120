"""The read-out method as a run axis: --elicit parsing, what enters the run id, the two axes' flags."""
from __future__ import annotations

import pytest

from pluralbench.cli import build_parser
from pluralbench.errors import UserError
from pluralbench.elicitation import get_method
from pluralbench.runner.method_axis import canonical_spec, method_identity, parse_methods


def test_methods_are_split_trimmed_and_checked():
    assert parse_methods("logprob, sampled: 20,sequence:mean") == ["logprob", "sampled:20", "sequence:mean"]
    assert canonical_spec(" sampled : 5 ") == "sampled:5"


@pytest.mark.parametrize("text, fragment", [
    ("logprob,,sequence", "empty method name"),
    ("sampled:20,sampled: 20", "sampled:20 named twice"),
    ("sampled:1", "at least 2 samples"),
    ("sampled", "needs the number of samples"),
    ("verbalised", "unknown elicitation method"),
    ("logprob_calibrated:1", "at least 2 folds"),
])
def test_bad_method_lists_are_refused(text, fragment):
    with pytest.raises(UserError, match=fragment):
        parse_methods(text)


def test_default_method_leaves_the_run_identity_alone():
    assert method_identity("logprob", get_method("logprob")) is None
    assert method_identity(" logprob ", get_method("logprob")) is None


def test_method_settings_and_seed_enter_the_identity():
    ids = [method_identity(spec, get_method(spec, seed=seed))
           for spec, seed in [("sampled:20", 0), ("sampled:21", 0), ("sampled:20", 1), ("logprob_calibrated", 0),
                              ("sequence", 0), ("sequence:mean", 0), ("verbalized", 0)]]
    assert all(i is not None for i in ids)
    assert len({repr(i) for i in ids}) == len(ids)
    assert ids[0]["settings"]["n"] == 20 and ids[2]["settings"]["seed"] == 1


def parse(*argv):
    return build_parser().parse_args(list(argv))


def test_prompt_format_has_the_old_name_as_an_alias():
    assert parse("run", "--elicitation", "chat").prompt_format == "chat"
    assert parse("run", "--prompt-format", "completion").prompt_format == "completion"
    args = parse("run", "--elicit", "sampled:20")
    assert (args.prompt_format, args.elicit) == ("auto", "sampled:20")
    assert parse("run").elicit == "logprob"


@pytest.mark.parametrize("argv", [
    ("run", "--elicitat", "chat"),  # once silently taken as --elicitation
    ("run", "--prompt", "chat"),
    ("compare", "a", "b", "--resample", "5"),  # every command, not only run
    ("--vers",),
])
def test_no_option_is_taken_by_its_prefix(argv, capsys):
    with pytest.raises(SystemExit) as exc:
        parse(*argv)
    assert exc.value.code == 2
    assert "unrecognized arguments" in capsys.readouterr().err


def test_help_names_both_axes(capsys):
    with pytest.raises(SystemExit):
        parse("run", "--help")
    text = " ".join(capsys.readouterr().out.split())
    assert "--prompt-format {auto,completion,chat}, --elicitation {auto,completion,chat}" in text
    assert "--elicitation is the older name of this option" in text
    assert "logprob_calibrated" in text and "sampled:N" in text
