"""Top-K option parsing: bounds on what the top K missed, both OpenAI answer shapes, chat payloads."""
from __future__ import annotations

import math

import numpy as np
import pytest

from pluralbench.errors import UserError
from pluralbench.elicitation.diagnostics import topk_summary
from pluralbench.elicitation.readout import option_distribution
from pluralbench.models.http_client import HTTPSettings, JSONClient
from pluralbench.models.openai_server import OpenAIAdapter, parse_generation, parse_option_answer
from pluralbench.models.topk import label_of_text, topk_option_output

LABELS = ("A", "B", "C", "D")


def test_bounds_for_labels_outside_the_top_k():
    probs = {" A": 0.40, "A": 0.10, " B": 0.20, "\n": 0.15, " The": 0.05}
    out = topk_option_output([(t, math.log(p)) for t, p in probs.items()], LABELS, label_of_text(LABELS), 5)
    assert math.exp(out.label_logprobs[0]) == pytest.approx(0.5)  # two spellings summed
    assert math.exp(out.label_logprobs[1]) == pytest.approx(0.2)
    assert out.label_logprobs[2:] == (None, None)
    assert out.covered_mass == pytest.approx(0.7)
    t = out.topk
    assert t["topk_mass"] == pytest.approx(0.9) and t["reported_k"] == 5 and t["requested_k"] == 5
    assert t["unreported_labels"] == ["C", "D"]
    # Each unreported token has at most the smallest reported probability, and all of them at most 1 - 0.9.
    assert t["unreported_token_max_prob"] == pytest.approx(0.05)
    assert t["covered_mass_max"] == pytest.approx(0.8)
    assert option_distribution(out).tolist() == pytest.approx([0.5 / 0.7, 0.2 / 0.7, 0, 0])


def test_the_bound_is_the_missing_mass_when_that_is_smaller():
    probs = {" A": 0.6, " B": 0.38, "x": 0.015}
    out = topk_option_output([(t, math.log(p)) for t, p in probs.items()], ("A", "B", "C"), label_of_text("ABC"), 3)
    assert out.topk["unreported_token_max_prob"] == pytest.approx(0.005)


def test_all_labels_reported_has_no_gap_and_duplicates_count_once():
    entries = [(" A", math.log(0.5)), (" A", math.log(0.5)), (" B", math.log(0.25))]
    out = topk_option_output(entries, ("A", "B"), label_of_text("AB"), 20)
    assert out.covered_mass == pytest.approx(0.75)
    assert out.topk["unreported_labels"] == [] and out.topk["covered_mass_max"] == pytest.approx(0.75)


def test_no_label_in_the_top_k_is_no_answer():
    out = topk_option_output([("The", math.log(0.9))], ("A", "B"), label_of_text("AB"), 1)
    assert out.covered_mass == 0 and option_distribution(out) is None


def test_parse_completions_and_chat_answers():
    completion = {"choices": [{"text": " A", "logprobs": {"tokens": [" A"], "token_logprobs": [-0.5],
                                                        "top_logprobs": [{" A": -0.5, " B": -1.5, "C": -3.0}]}}]}
    chat = {"choices": [{"message": {"role": "assistant", "content": "A"}, "logprobs": {"content": [
        {"token": "A", "logprob": -0.5, "bytes": [65],
         "top_logprobs": [{"token": "A", "logprob": -0.5, "bytes": [65]},
                          {"token": "B", "logprob": -1.5, "bytes": [66]},
                          {"token": " C", "logprob": -3.0, "bytes": [32, 67]}]}]}}]}
    for answer in (completion, chat):
        out = parse_option_answer(answer, ("A", "B", "C"), 3)
        assert list(out.label_logprobs) == pytest.approx([-0.5, -1.5, -3.0])
    assert parse_generation(completion) == " A" and parse_generation(chat) == "A"
    with pytest.raises(UserError, match="no next-token logprobs"):
        parse_option_answer({"choices": [{"text": "A", "logprobs": None}]}, ("A",), 3)
    # llama-cpp-python's answer when end-of-text came first: no position reported, so no known mass.
    stopped = {"choices": [{"text": "", "finish_reason": "stop",
                            "logprobs": {"text_offset": [], "token_logprobs": [], "tokens": [], "top_logprobs": []}}]}
    out = parse_option_answer(stopped, ("A", "B"), 20)
    assert out.label_logprobs == (None, None) and out.covered_mass == 0 and out.topk["reported_k"] == 0
    assert option_distribution(out) is None


def _adapter(**kw):
    return OpenAIAdapter("m", JSONClient(HTTPSettings(base_url="http://127.0.0.1:1/v1")), **kw)


def test_chat_rendering_and_payloads():
    prompt = "Question: x?\nOptions: A. yes B. no\nAnswer:"
    plain = _adapter()
    rendered = plain.render(prompt, "chat", "Answer:")
    assert rendered.messages == (("user", prompt),) and rendered.text is None
    [(path, payload)] = plain.option_requests([rendered])
    assert path == "chat/completions"
    assert payload == {"model": "m", "messages": [{"role": "user", "content": prompt}], "max_tokens": 1,
                       "temperature": 0.0, "logprobs": True, "top_logprobs": 20, "min_tokens": 1}

    prefill = _adapter(continue_final_message=True, top_logprobs=5)
    rendered = prefill.render(prompt, "chat", "Answer:")
    assert rendered.messages == (("user", "Question: x?\nOptions: A. yes B. no"), ("assistant", "Answer:"))
    [(path, payload)] = prefill.option_requests([rendered])
    assert payload["continue_final_message"] is True and payload["add_generation_prompt"] is False
    assert payload["messages"][-1] == {"role": "assistant", "content": "Answer:"}

    [(path, payload)] = plain.option_requests([plain.render(prompt, "completion")])
    assert path == "completions" and payload == {"model": "m", "prompt": prompt, "max_tokens": 1,
                                                 "temperature": 0.0, "logprobs": 20, "min_tokens": 1}
    [(path, payload)] = _adapter(min_tokens=0).option_requests([plain.render(prompt, "completion")])
    assert "min_tokens" not in payload
    assert plain.fingerprint()["server"] == "http://127.0.0.1:1/v1"
    assert plain.fingerprint()["weights"]["verified"] is False
    assert plain.fingerprint_id() != prefill.fingerprint_id()
    with pytest.raises(UserError, match="log-likelihood.*#1983"):
        plain.loglikelihoods([rendered], [" A"])


def test_topk_summary():
    samples = [{"covered_mass": 0.7, "topk": {"requested_k": 5, "topk_mass": 0.9, "unreported_labels": ["C"],
                                              "unreported_token_max_prob": 0.05, "covered_mass_max": 0.8}},
               {"covered_mass": 0.5, "topk": {"requested_k": 5, "topk_mass": 0.8, "unreported_labels": [],
                                              "unreported_token_max_prob": 0.01, "covered_mass_max": 0.5}}]
    summary = topk_summary(samples)["topk"]
    assert summary["mean_topk_mass"] == pytest.approx(np.mean([0.9, 0.8]))
    assert summary["share_with_unreported_label"] == 0.5
    assert summary["max_unreported_token_prob"] == 0.05
    assert summary["mean_covered_mass_gap"] == pytest.approx(0.05)
    assert topk_summary([{"covered_mass": 0.3}]) == {}


@pytest.mark.parametrize("entries, says", [
    ([("A", 2.0), ("B", -1.0)], "log-probability 2 for token 'A': not the logarithm of a probability"),
    ([("A", "x"), ("B", -1.0)], "log-probability 'x' for token 'A': not a number"),
    ([("A", float("nan"))], "log-probability nan"),
    ([("A", -0.1), ("B", -0.2), ("C", -0.3)], "probabilities summing to 2.464 (> 1)"),
])
def test_impossible_engine_numbers_are_refused(entries, says):
    """A server's numbers enter a run only if they can be log-probabilities of one distribution."""
    with pytest.raises(UserError) as err:
        topk_option_output(entries, ["A", "B", "C"], label_of_text(["A", "B", "C"]), 20)
    assert says in str(err.value)


def test_rounding_above_zero_is_accepted_as_probability_one():
    out = topk_option_output([("A", 1e-9)], ["A", "B"], label_of_text(["A", "B"]), 20)
    assert out.label_logprobs == (0.0, None) and out.covered_mass == 1.0
