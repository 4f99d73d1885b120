"""Every elicitation method on the real embedded SmolLM2 and real GlobalOpinionQA rows, through the
seam a run uses (runner.asks.expand -> the adapter's operations -> runner.asks.collapse / finalize),
with the adapter calls checked directly: option texts scored from one encoding of the prompt agree with
scoring each continuation alone, and N samples come from one encoding of the prompt (samples that drew
the same tokens so far sharing one query) and equal the samples a per-sample loop without any shared
cache draws under the same seeds."""
from __future__ import annotations

import json

import pytest
import torch

from pluralbench.core.records import GenerationSettings
from pluralbench.elicitation import OptionQuery, get_method
from conftest import forward_shapes
from pluralbench.errors import UserError
from pluralbench.models.hf_continue import cut_at_stop, draw_tokens, end_token_ids
from pluralbench.models.lmeval_bridge import LMEvalAdapter
from pluralbench.models.openai_server import OpenAIAdapter
from pluralbench.models.seeds import sample_seed
from pluralbench.models.vllm_engine import VLLMAdapter
from pluralbench.runner.asks import collapse, expand, finalize
from pluralbench.runner.model_calls import answer_in_memory, render_request

pytestmark = [pytest.mark.model, pytest.mark.shared_data]


@pytest.fixture(scope="module")
def rows(shared_data):
    """Rows of the shipped GlobalOpinionQA file: its first four questions, each asked of up to two countries."""
    data = json.loads((shared_data / "modular_pluralism" / "distributional_test_globalopinionqa_small.json").read_text())
    questions = list(dict.fromkeys(r["question"] for r in data))[:4]
    return [row for q in questions for row in [r for r in data if r["question"] == q][:2]]


def queries_of(rows):
    return [[OptionQuery(r["question"], tuple(r["options"]), "Answer:")] for r in rows]


def run_method(adapter, rows, spec: str, seed: int = 0):
    """One method through the seam, as a run drives it: -> (predictions per row, finalize record)."""
    method = get_method(spec, seed=seed)
    method.supports(adapter)
    asks = queries_of(rows)
    requests, sizes = expand(asks, method)
    outputs = collapse(asks, sizes, answer_in_memory(adapter, requests, "chat"), method)
    outputs, record = finalize(asks, outputs, [[r["gold_distribution"]] for r in rows], method)
    return [pred for (pred,) in outputs], record


def test_logprob_through_the_seam_is_unchanged(smollm2, rows):
    preds, record = run_method(smollm2, rows, "logprob")
    assert record == {}
    direct = smollm2.option_distributions([smollm2.render(rows[0]["question"], "chat", "Answer:")],
                                          [tuple("ABCDE"[: len(rows[0]["options"])])])[0]
    # In a batch, packing the shared tokens moves the last digits (models/packed_prompts.py; measured 1.3e-5).
    assert preds[0]["label_logprobs"] == pytest.approx(list(direct.label_logprobs), abs=1e-4)
    assert preds[0]["covered_mass"] == pytest.approx(direct.covered_mass, abs=1e-4)


def test_sequence_scores_full_option_texts_from_one_encoding(smollm2, rows):
    preds, _ = run_method(smollm2, rows, "sequence")
    first = rows[0]
    context = render_request(smollm2, get_method("sequence").requests(queries_of([first])[0][0])[0], "chat")
    assert context.text.endswith("<|im_start|>assistant\nAnswer:")  # the primer opens the assistant turn
    # Each option alone, the whole sequence through the model (no cache shared between options).
    alone = smollm2.loglikelihoods([context] * len(first["options"]), [" " + o for o in first["options"]])
    assert preds[0]["label_logprobs"] == pytest.approx(alone, abs=2e-4)
    assert preds[0]["covered_mass"] is None
    assert sum(preds[0]["distribution"]) == pytest.approx(1.0)
    assert preds[0]["sequence"]["length_normalisation"] == "sum"
    assert all(n >= 1 for n in preds[0]["sequence"]["tokens"])
    # The mean read-out renormalises the per-token means of the same scores.
    mean_preds, _ = run_method(smollm2, rows[:1], "sequence:mean")
    means = [lp / n for lp, n in zip(mean_preds[0]["label_logprobs"], mean_preds[0]["sequence"]["tokens"])]
    expected = torch.softmax(torch.tensor(means, dtype=torch.float64), 0).tolist()
    assert mean_preds[0]["distribution"] == pytest.approx(expected, abs=1e-12)


def test_sequence_logprobs_return_every_token(smollm2):
    context = smollm2.render("Question: What is the capital of France?\nAnswer:", "completion")
    (scored,) = smollm2.sequence_logprobs([context], [[" Paris", " a large banana split"]])
    paris, banana = scored
    assert paris["logprob"] > banana["logprob"]
    assert banana["tokens"] == len(banana["token_logprobs"]) > 1
    assert sum(banana["token_logprobs"]) == pytest.approx(banana["logprob"])


def test_verbalized_keeps_unreadable_answers_and_counts_them(smollm2, rows):
    preds, record = run_method(smollm2, rows, "verbalized")
    method = get_method("verbalized")
    prompt = method.prompt(queries_of(rows[:1])[0][0])
    assert '{"A": X, "B": X' in prompt and not prompt.rstrip().endswith("Answer:")
    for pred in preds:
        assert isinstance(pred["verbalized"]["raw_answer"], str) and pred["covered_mass"] is None
        assert (pred["distribution"] is None) == ("parse_failure" in pred)  # never a uniform stand-in
    assert record["questions"] == 4  # rows sharing a question share its answer
    assert record["parsed"] + sum(record["failures"].values()) == 4


def test_sampled_reads_n_samples_per_question(smollm2, rows):
    preds, record = run_method(smollm2, rows, "sampled:6", seed=1)
    for pred in preds:
        block = pred["sampled"]
        assert block["n"] == 6 and block["parsed"] + block["unparseable"] == 6
        if block["parsed"]:
            counts = [block["choices"].count(i) for i in range(len(pred["distribution"]))]
            assert pred["distribution"] == [c / block["parsed"] for c in counts]
    assert record["samples"] == 4 * 6 and 0 <= record["parse_rate"] <= 1
    again, _ = run_method(smollm2, rows[:2], "sampled:6", seed=1)
    assert [p["sampled"]["choices"] for p in again] == [p["sampled"]["choices"] for p in preds[:2]]


def test_samples_share_one_encoding_and_equal_a_per_sample_loop(smollm2, rows):
    """The prompts go through the model once for all N samples (counted at the model's forward: one packed
    pass), each later pass feeds one token per running branch and nothing else (no padding), and the
    samples equal those drawn one at a time with the whole sequence re-encoded every step."""
    prompts = [smollm2.render(r["question"], "chat", "Answer:") for r in rows[:3:2]]
    settings = GenerationSettings(max_new_tokens=6, temperature=1.0, seed=5, stop=("\n",), num_samples=4)
    shared, seen = forward_shapes(smollm2, lambda: smollm2.generate(prompts, settings))
    (batch, width), decode_passes = seen[0], seen[1:]
    lengths = [smollm2.prompt_tokens(p) for p in prompts]
    assert batch * width < sum(lengths)  # one packed pass: the chat template's system prompt runs once
    running = [w for _, w in decode_passes]
    assert running and all(b == 1 for b, _ in decode_passes)
    assert max(running) <= len(prompts) * settings.num_samples and len(running) <= settings.max_new_tokens - 1
    loop = [[reference_sample(smollm2, p, settings, j) for j in range(4)] for p in prompts]
    assert shared == loop


def test_samples_that_drew_the_same_tokens_share_one_query(smollm2, rows):
    """At a low temperature a prompt's four samples draw the same tokens: every decoding pass feeds one
    token per prompt (not per sample), and the samples still equal the per-sample loop's."""
    prompts = [smollm2.render(r["question"], "chat", "Answer:") for r in rows[:3:2]]
    settings = GenerationSettings(max_new_tokens=5, temperature=0.001, seed=5, num_samples=4)
    shared, seen = forward_shapes(smollm2, lambda: smollm2.generate(prompts, settings))
    assert all(len(set(samples)) == 1 for samples in shared)
    assert len(seen) > 1 and all(w <= len(prompts) for _, w in seen[1:])
    assert shared == [[reference_sample(smollm2, p, settings, j) for j in range(4)] for p in prompts]


def reference_sample(adapter, rendered, settings: GenerationSettings, j: int) -> str:
    """Sample j alone: no cache at all, the prompt and the tokens so far re-encoded at every step."""
    generator = torch.Generator().manual_seed(sample_seed(settings.seed, rendered, j))
    ids = adapter.tokenizer(rendered.text, add_special_tokens=rendered.add_special_tokens)["input_ids"]
    tokens: list[int] = []
    with torch.inference_mode():
        for _ in range(settings.max_new_tokens):
            logits = adapter.model(input_ids=torch.tensor([ids + tokens])).logits[:, -1, :]
            token = draw_tokens(logits, [generator], settings.temperature)[0]
            if token in end_token_ids(adapter):
                break
            tokens.append(token)
            if any(s in adapter.tokenizer.decode(tokens, skip_special_tokens=True) for s in settings.stop):
                break
    return cut_at_stop(adapter.tokenizer.decode(tokens, skip_special_tokens=True), settings.stop)


def test_samples_differ_across_questions_and_seeds(smollm2):
    prompt = smollm2.render("Question: Pick a number.\nOptions: A. One B. Two C. Three D. Four\nAnswer:", "chat",
                            "Answer:")
    settings = GenerationSettings(max_new_tokens=3, temperature=1.0, seed=0, num_samples=8)
    (first,) = smollm2.generate([prompt], settings)
    assert smollm2.generate([prompt], settings) == [first]  # reproducible
    (other_seed,) = smollm2.generate([prompt], GenerationSettings(max_new_tokens=3, temperature=1.0, seed=1,
                                                                  num_samples=8))
    assert other_seed != first
    seeds = {sample_seed(0, prompt, j) for j in range(8)} | {sample_seed(1, prompt, j) for j in range(8)}
    assert len(seeds) == 16


def test_calibrated_fits_on_other_questions_only(smollm2, rows):
    preds, record = run_method(smollm2, rows, "logprob_calibrated:2")
    raw, _ = run_method(smollm2, rows, "logprob")
    assert record["k_folds"] == 2
    for pred, plain in zip(preds, raw):
        assert pred["label_logprobs"] == plain["label_logprobs"]
        assert pred["calibration"]["temperature"] == record["fold_temperatures"][pred["calibration"]["fold"]]


@pytest.mark.parametrize("spec, kind, allowed", [
    ("logprob", "openai", True), ("logprob", "lmeval", True), ("logprob", "vllm", True),
    ("sequence", "openai", False), ("sequence", "lmeval", True), ("sequence", "vllm", True),
    ("verbalized", "openai", True), ("verbalized", "lmeval", False), ("verbalized", "vllm", True),
    ("sampled:20", "openai", True), ("sampled:20", "lmeval", False), ("sampled:20", "vllm", True),
    ("logprob_calibrated", "openai", True), ("logprob_calibrated", "lmeval", True),
])
def test_each_method_declares_the_adapters_it_runs_on(spec, kind, allowed):
    adapter_class = {"openai": OpenAIAdapter, "lmeval": LMEvalAdapter, "vllm": VLLMAdapter}[kind]
    adapter = adapter_class.__new__(adapter_class)  # the kind is all `supports` reads: no engine needed
    method = get_method(spec)
    if allowed:
        method.supports(adapter)
    else:
        with pytest.raises(UserError) as err:
            method.supports(adapter)
        assert f"not supported by model kind {kind!r}" in str(err.value) and "\n" not in str(err.value)


def test_every_method_runs_on_transformers(smollm2):
    for spec in ("logprob", "logprob_calibrated", "sequence", "verbalized", "sampled:20"):
        get_method(spec).supports(smollm2)


@pytest.mark.parametrize("spec, says", [
    ("sampled", "needs the number of samples"), ("sampled:1", "at least 2 samples"), ("sampled:x", "sampled:20"),
    ("sequence:median", "length normalisation"), ("logprob:3", "takes no argument"), ("nope", "unknown elicitation"),
])
def test_bad_method_specs_are_one_line_errors(spec, says):
    with pytest.raises(UserError, match=says):
        get_method(spec)


def test_gemma_continues_from_one_encoding_too():
    """Gemma 3 (sliding-window layers, 262k vocabulary, no chat template): option texts agree with
    scoring each alone, and a prompt's samples do not depend on the batch they are drawn in."""
    from pluralbench.models import load_model

    gemma = load_model("embedded:gemma3-270m")
    prompts = [gemma.render("Question: Do you use a computer at work?\nOptions: A. Yes B. No\nAnswer:", "completion"),
               gemma.render("Question: How satisfied are you with the way things are going?\nOptions: A. Very "
                            "satisfied B. Somewhat dissatisfied\nAnswer:", "completion")]
    texts = [[" Yes", " No"], [" Very satisfied", " Somewhat dissatisfied"]]
    for prompt, scored, conts in zip(prompts, gemma.sequence_logprobs(prompts, texts), texts):
        alone = gemma.loglikelihoods([prompt] * 2, conts)
        assert [s["logprob"] for s in scored] == pytest.approx(alone, abs=2e-4)
    settings = GenerationSettings(max_new_tokens=5, temperature=1.0, seed=0, stop=("\n",), num_samples=5)
    together = gemma.generate(prompts, settings)
    assert [len(samples) for samples in together] == [5, 5]
    assert gemma.generate(prompts[1:], settings) == together[1:]


def test_gemma_samples_past_its_sliding_window_see_what_a_full_encoding_sees():
    """A prompt just under Gemma 3's 512-token sliding window, sampled past it: the decoding applies the
    window in its own masks (its cache keeps every column), so each step's next-token log-probabilities
    equal those of the prompt and the sample so far encoded whole, where transformers applies the window."""
    from pluralbench.models import load_model
    from pluralbench.models.packed_prompts import sliding_window

    gemma = load_model("embedded:gemma3-270m")
    window = sliding_window(gemma.model)
    facts = " ".join(f"Fact {i}: river {i} is {i % 7 + 2} miles long." for i in range(80))
    ids = gemma.tokenizer(facts)["input_ids"][:window - 3]  # the tokenizer's <bos> included
    prompts = [gemma.render(gemma.tokenizer.decode(ids[1:]), "completion"), gemma.render("The sky is", "completion")]
    assert gemma._encode(prompts)[0] == ids
    passes: list[tuple[int, torch.Tensor]] = []  # (token fed by prompt 0's first sample, its next-token logits)
    hook = gemma.model.register_forward_hook(
        lambda _m, _a, kw, out: passes.append((int(kw["input_ids"][0, 0]), out.logits[0, 0].float())), with_kwargs=True)
    try:
        gemma.generate(prompts, GenerationSettings(max_new_tokens=10, temperature=1.0, seed=2, num_samples=2))
    finally:
        hook.remove()
    steps = passes[1:]  # after the prompts' pass
    fed = [token for token, _ in steps]
    with torch.inference_mode():
        whole = gemma.model(input_ids=torch.tensor([ids + fed])).logits[0, len(ids):].float()
    assert len(ids) + len(fed) > window + 4  # the last steps no longer see the prompt's first tokens
    for (_, logits), expected in zip(steps, whole):
        assert torch.allclose(torch.log_softmax(logits, -1), torch.log_softmax(expected, -1), atol=2e-3)
