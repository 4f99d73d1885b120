"""Covered mass 0: a model that puts no reported probability on any option has not answered. The item is
counted and excluded, never replaced by a uniform guess (the reference scripts' flaw), and the run says so.

A real llama-cpp-python server on 127.0.0.1 serves the embedded SmolLM2 GGUF; the openai adapter asks for
the top 1 next token only. Some prompts' most likely next token is an option letter, others' is a word
("The", "Je"), so those items get no option in the top 1. Which is which is read independently from the
server's raw answers, and the run must agree with it item by item.
"""
from __future__ import annotations

import json

import pytest

from conftest import mc_row, write_mc_file
from llama_server import embedded_smollm2_server
from pluralbench.cli import main

pytestmark = pytest.mark.model

PROMPTS = {
    "letter_1": "Reply with one letter only (A, B or C).\nQuestion: Is the sky blue?\nOptions: A. Yes B. No C. Maybe\n"
                "Answer:",
    "letter_2": "Question: Is the sky blue?\nOptions: A. Yes B. No C. Maybe\nAnswer with the letter of your choice:",
    "word_1": "Complete the sentence.\nThe capital of France is the city of",
    "word_2": "Translate to French: good morning",
}
LABELS = ("A", "B", "C")
TASK_FILE = """name: no_option_mass
version: 1
family: multiple_choice_distribution
description: items some of whose prompts do not ask for an option letter
data: {local: {path: items.json, format: modular_pluralism_mc}}
params:
  headline: jsd
  metrics: [{name: jsd, metric: js_distance, params: {base: 2}, direction: lower}]
  bootstrap: {resamples: 50}
"""


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    srv = embedded_smollm2_server(tmp_path_factory.mktemp("llama"))
    yield srv
    srv.stop()


def top_token_is_a_label(adapter, prompt: str) -> bool:
    """From the server's raw chat answer: is the single most likely next token an option letter?"""
    answers, failure = adapter._send(adapter.option_requests([adapter.render(prompt, "chat")]))
    assert failure is None, failure
    [answer] = answers.values()
    [top] = answer["choices"][0]["logprobs"]["content"][0]["top_logprobs"]
    return top["token"].strip() in LABELS


def test_items_without_option_mass_are_counted_and_excluded(server, tmp_path, capsys, monkeypatch):
    from pluralbench.models import load_model

    monkeypatch.setenv("PLURALBENCH_CACHE", str(tmp_path / "cache"))
    spec = f"openai:smollm2,base_url={server.base_url},top_logprobs=1"
    adapter = load_model(spec)
    answered = {name: top_token_is_a_label(adapter, prompt) for name, prompt in PROMPTS.items()}
    assert any(answered.values()) and not all(answered.values()), answered  # both kinds are exercised

    rows = [mc_row(i, question=prompt) | {"id": name} for i, (name, prompt) in enumerate(PROMPTS.items())]
    write_mc_file(tmp_path / "data" / "items.json", rows)
    task = tmp_path / "no_option_mass.yaml"
    task.write_text(TASK_FILE)
    code = main(["run", "--model", spec, "--tasks", str(task), "--data-dir", str(tmp_path / "data"),
                 "--output", str(tmp_path / "out"), "--no-progress"])
    err = capsys.readouterr().err
    assert code == 0, err
    [run_dir] = list((tmp_path / "out").iterdir())
    metrics = json.loads((run_dir / "metrics.json").read_text())
    samples = {s["id"]: s for s in map(json.loads, (run_dir / "samples.jsonl").read_text().splitlines())}

    unanswered = [name for name, ok in answered.items() if not ok]
    assert metrics["counts"]["excluded_no_option_mass"] == len(unanswered)
    assert metrics["counts"]["scored"] == len(PROMPTS) - len(unanswered)
    assert f"{len(unanswered)} items excluded: the model put no probability on any option" in err
    for name, sample in samples.items():
        if name in unanswered:
            assert sample["covered_mass"] == 0.0
            assert sample["model_distribution"] is None  # no stand-in distribution, uniform or otherwise
            assert sample["metrics"] is None and sample["excluded"] == "no probability mass on any option"
            assert sample["topk"]["unreported_labels"] == list(LABELS) and sample["topk"]["reported_k"] >= 1
        else:
            assert sample["covered_mass"] > 0 and sample["model_distribution"] is not None
            assert sum(sample["model_distribution"]) == pytest.approx(1.0)
    # The numbers cover the answered items only, and the coverage summary shows the zeros.
    assert metrics["overall"]["jsd"]["n"] == len(PROMPTS) - len(unanswered)
    assert metrics["coverage"]["min"] == 0.0
    assert metrics["coverage"]["topk"]["share_with_unreported_label"] >= len(unanswered) / len(PROMPTS)
    assert main(["validate", str(run_dir)]) == 0
