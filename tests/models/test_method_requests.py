"""What each read-out method sends to a real model: one rendering rule for all of them (the chat answer
prefix opens the assistant turn for sequence and sampled as for logprob), and cache keys that two
methods share only when they ask the very same thing."""
from __future__ import annotations

import pytest

from pluralbench.elicitation import OptionQuery, get_method
from pluralbench.runner.inference import unique_requests
from pluralbench.runner.model_calls import render_request

QUERY = OptionQuery("Question: Is the sky blue?\nOptions: A. Yes B. No\nAnswer:", ("Yes", "No"), "Answer:")


def requests_of(spec: str, seed: int = 0):
    return get_method(spec, seed=seed).requests(QUERY)


@pytest.mark.model
@pytest.mark.parametrize("spec", ["sequence", "sampled:4", "logprob"])
def test_chat_puts_the_answer_prefix_in_the_assistant_turn_for_every_read_out(smollm2, spec):
    (req,) = requests_of(spec)
    text = render_request(smollm2, req, "chat").text
    assert text.endswith("Answer:")
    assert text.rindex("assistant") < text.rindex("Answer:")  # the primer opens the assistant's turn
    assert "Answer:" not in text[:text.rindex("assistant")]  # ... and left the user's message
    assert text == smollm2.render(QUERY.prompt, "chat", QUERY.answer_prefix).text


@pytest.mark.model
def test_completion_sends_the_prompt_as_is_for_every_read_out(smollm2):
    for spec in ("sequence", "sampled:4", "logprob"):
        (req,) = requests_of(spec)
        assert render_request(smollm2, req, "completion").text == QUERY.prompt


@pytest.mark.model
def test_cache_keys_are_shared_only_by_identical_requests(smollm2):
    fingerprint = smollm2.fingerprint()
    specs = [("logprob", 0), ("logprob_calibrated", 0), ("sequence", 0), ("sequence:mean", 0), ("verbalized", 0),
             ("sampled:5", 0), ("sampled:6", 0), ("sampled:5", 1)]
    per_method = [requests_of(spec, seed) for spec, seed in specs]
    keys = unique_requests(smollm2, per_method, "chat", fingerprint).keys
    key = {f"{spec}/{seed}": k[0] for (spec, seed), k in zip(specs, keys)}
    # The same request, the same answer: calibration rescales logprob's answer; `mean` re-reads sequence's.
    assert key["logprob/0"] == key["logprob_calibrated/0"]
    assert key["sequence/0"] == key["sequence:mean/0"]
    distinct = [key[k] for k in ("logprob/0", "sequence/0", "verbalized/0", "sampled:5/0", "sampled:6/0", "sampled:5/1")]
    assert len(set(distinct)) == len(distinct)
    # The prompt format is part of every key.
    completion = unique_requests(smollm2, per_method, "completion", fingerprint).keys
    assert not {k[0] for k in completion} & set(key.values())
