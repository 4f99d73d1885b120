"""The openai adapter against a real llama-cpp-python server on 127.0.0.1 serving the embedded SmolLM2 GGUF,
compared with the in-process transformers adapter on the same file.

llama.cpp computes with the Q4_1 blocks (and 8-bit activations); transformers with the dequantised
float32 weights. Measured here on the first 30 unique GlobalOpinionQA questions, in SmolLM2's chat
template with the answer primed, sent as the same text to both: argmax agreement 0.90 (the 3 flips are
between options hf puts within 0.05 of each other), JSD (base 2) mean 0.025, max 0.046; on 60 questions
(benchmarks/server_vs_hf.py) 0.88, 0.026, 0.065. For scale, transformers bfloat16 vs float32 on the
same 60 questions: 0.93, 0.017, 0.043; the engine difference is a precision-sized difference. The
bounds (agreement >= 0.85, flips only between options within 0.1, mean <= 0.05, max <= 0.10) leave
about twice the measured room. A real difference in what the engines see is far outside them: the
server's own chat template with the answer primer left in the user turn gave argmax agreement 0.49 and
mean JSD 0.14 against hf on 39 questions.
"""
from __future__ import annotations

import json

import numpy as np
import pytest
from scipy.spatial.distance import jensenshannon

from llama_server import embedded_smollm2_server, first_unique_questions
from pluralbench.cli import main
from pluralbench.models import load_model

N_AGREEMENT = 30
TASK = "distributional_globalopinionqa"


@pytest.fixture(scope="module")
def llama_server(tmp_path_factory):
    server = embedded_smollm2_server(tmp_path_factory.mktemp("llama"))
    yield server
    server.stop()
    assert server.proc.poll() is not None  # stopped, by its PID


@pytest.fixture(scope="module")
def server_adapter(llama_server):
    return load_model(f"openai:smollm2,base_url={llama_server.base_url}")




def test_server_agrees_with_transformers_on_the_same_prompts(server_adapter, smollm2, shared_data):
    items, prefix = first_unique_questions(shared_data, N_AGREEMENT)
    # The same text to both engines: SmolLM2's chat template with the answer primed, as the hf adapter renders it.
    rendered = [smollm2.render(it["prompt"], "chat", prefix) for it in items]
    labels = [tuple("ABCDEFGHIJ"[: len(it["options"])]) for it in items]
    ours = server_adapter.option_distributions(rendered, labels)
    reference = smollm2.option_distributions(rendered, labels)

    jsd, agree, gaps = [], [], []
    for out, ref in zip(ours, reference):
        assert None not in out.label_logprobs, out.topk  # every label was in the server's top 20
        p = np.exp(np.asarray(ref.label_logprobs))
        q = np.exp(np.asarray(out.label_logprobs))
        p, q = p / p.sum(), q / q.sum()
        jsd.append(jensenshannon(p, q, base=2))
        agree.append(int(np.argmax(p) == np.argmax(q)))
        if not agree[-1]:  # a flip only between near-tied options
            gaps.append(abs(p[np.argmax(p)] - p[np.argmax(q)]))
        assert out.covered_mass == pytest.approx(ref.covered_mass, abs=0.1)
    print(f"server vs hf on {len(items)} prompts: argmax agreement {np.mean(agree):.3f}, "
          f"JSD mean {np.mean(jsd):.4f}, max {np.max(jsd):.4f}; hf gaps where the argmax differs: {np.round(gaps, 3)}")
    assert np.mean(agree) >= 0.85
    assert all(gap <= 0.1 for gap in gaps)
    assert np.mean(jsd) <= 0.05
    assert np.max(jsd) <= 0.10


def test_a_task_runs_through_the_server(llama_server, shared_data, tmp_path, monkeypatch):
    monkeypatch.setenv("PLURALBENCH_CACHE", str(tmp_path / "cache"))
    spec = f"openai:smollm2,base_url={llama_server.base_url},top_logprobs=20"
    args = ["run", "--model", spec, "--tasks", TASK, "--limit", "8", "--data-dir", str(shared_data),
            "--output", str(tmp_path / "out"), "--no-progress"]
    assert main(args) == 0
    [run_dir] = list((tmp_path / "out").iterdir())
    assert main(["validate", str(run_dir)]) == 0
    manifest = json.loads((run_dir / "manifest.json").read_text())
    fingerprint = manifest["model"]["fingerprint"]
    assert fingerprint["server"] == llama_server.base_url and fingerprint["server_metadata"]["id"] == "smollm2"
    assert fingerprint["weights"]["verified"] is False
    assert manifest["elicitation"]["resolved"] == "chat"  # chat completions with top_logprobs
    samples = [json.loads(line) for line in (run_dir / "samples.jsonl").read_text().splitlines()]
    assert len(samples) == 8
    for s in samples:
        assert s["topk"]["requested_k"] == 20 and s["topk"]["reported_k"] >= 1
        assert 0 <= s["covered_mass"] <= s["topk"]["covered_mass_max"] <= 1
    metrics = json.loads((run_dir / "metrics.json").read_text())
    assert metrics["coverage"]["topk"]["requested_k"] == 20
    assert manifest["counts"]["model_calls"] == manifest["counts"]["unique_requests"]

    # The same command again: every answer comes from the run's journal, none from the server.
    assert main(args) == 0
    again = json.loads((run_dir / "manifest.json").read_text())
    assert again["counts"]["model_calls"] == 0
    # A fresh run directory (another seed) reuses the response cache keyed on the server's fingerprint.
    assert main(args + ["--seed", "1"]) == 0
    other = [p for p in (tmp_path / "out").iterdir() if p != run_dir][0]
    counts = json.loads((other / "manifest.json").read_text())["counts"]
    assert counts["model_calls"] == 0 and counts["cache_hits"] == counts["unique_requests"]


def test_generation_through_the_server(server_adapter):
    from pluralbench.models.base import GenerationSettings

    prompt = "Question: Name a primary colour.\nAnswer:"
    chat = server_adapter.render(prompt, "chat", "Answer:")
    plain = server_adapter.render(prompt, "completion")
    texts = server_adapter.generate([chat, plain], GenerationSettings(max_new_tokens=12))
    assert all(isinstance(t, str) and t.strip() for t in texts), texts
    # Greedy decoding is deterministic: the same request gives the same text.
    assert server_adapter.generate([chat], GenerationSettings(max_new_tokens=12)) == texts[:1]
    # A stop sequence is honoured by the server: cut at the first space after the first word.
    [short] = server_adapter.generate([chat], GenerationSettings(max_new_tokens=12, stop=(" ",)))
    assert " " not in short.strip() and texts[0].lstrip().startswith(short.strip())


def test_a_read_out_the_server_cannot_serve_is_refused_before_any_request(llama_server, shared_data, tmp_path,
                                                                           monkeypatch, capsys):
    """`sequence` needs the log-probabilities of given text, which an OpenAI-compatible server does not report:
    refused in one line, exit 2, with no run directory and no request sent."""
    monkeypatch.setenv("PLURALBENCH_CACHE", str(tmp_path / "cache"))
    spec = f"openai:smollm2,base_url={llama_server.base_url}"
    code = main(["run", "--model", spec, "--tasks", TASK, "--limit", "2", "--elicit", "logprob,sequence",
                 "--data-dir", str(shared_data), "--output", str(tmp_path / "out"), "--no-progress"])
    errors = [line for line in capsys.readouterr().err.splitlines() if line.startswith("pluralbench: error:")]
    assert code == 2 and len(errors) == 1
    assert "elicitation method 'sequence' is not supported by model kind 'openai'" in errors[0]
    assert "prompt log-probabilities" in errors[0] or "log-probabilities of given text" in errors[0]
    assert not (tmp_path / "out").exists() or not any((tmp_path / "out").iterdir())  # not even the logprob run


def test_a_server_run_counts_the_tokens_the_server_reports(llama_server, server_adapter, shared_data, tmp_path,
                                                           monkeypatch):
    """No tokenizer on this side: a run records the server's usage.completion_tokens for the answers it
    computed; a run answered from the cache generated 0 and cannot know its total (None, not a guess)."""
    import urllib.request

    from pluralbench.models.base import GenerationSettings

    settings = GenerationSettings(max_new_tokens=12)
    chat = server_adapter.render("Question: Name a primary colour.\nAnswer:", "chat", "Answer:")
    before = server_adapter.reported_generated_tokens
    server_adapter.generate([chat], settings)
    # Independently: the same greedy request sent by hand, and the usage the server reports for it.
    payload = {"model": "smollm2", "messages": [{"role": r, "content": c} for r, c in chat.messages],
               "max_tokens": 12, "temperature": 0.0, "top_p": 1.0, "seed": 0}
    request = urllib.request.Request(f"{llama_server.base_url}/chat/completions", data=json.dumps(payload).encode(),
                                     headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=120) as answer:
        usage = json.loads(answer.read())["usage"]["completion_tokens"]
    assert usage > 0 and server_adapter.reported_generated_tokens - before == usage

    monkeypatch.setenv("PLURALBENCH_CACHE", str(tmp_path / "cache"))
    args = ["run", "--model", f"openai:smollm2,base_url={llama_server.base_url}", "--tasks", TASK, "--limit", "2",
            "--elicit", "verbalized", "--data-dir", str(shared_data), "--no-progress"]
    assert main(args + ["--output", str(tmp_path / "out")]) == 0
    [run_dir] = list((tmp_path / "out").iterdir())
    counts = json.loads((run_dir / "manifest.json").read_text())["counts"]
    assert counts["model_calls"] >= 1 and counts["generated_tokens"] > 0
    assert counts["generated_tokens_total"] == counts["generated_tokens"]  # every answer computed in this run
    assert main(args + ["--output", str(tmp_path / "again")]) == 0
    [cached] = list((tmp_path / "again").iterdir())
    counts = json.loads((cached / "manifest.json").read_text())["counts"]
    assert counts["model_calls"] == 0 and counts["generated_tokens"] == 0 and counts["generated_tokens_total"] is None
