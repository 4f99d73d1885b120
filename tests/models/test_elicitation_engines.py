"""The elicitation methods' requests on engines that cannot run here or answer in their own shapes:
vLLM (CUDA only) built and parsed against its output objects made from the real SmolLM2 tokenizer's
ids, OpenAI-compatible answers with n choices, and lm-eval's HFLM (real, on the embedded weights)
scoring option texts like the transformers adapter; plus the cache keys requests made before the
new settings existed keep."""
from __future__ import annotations

import pytest

from pluralbench.core.records import GenerationSettings, ModelRequest, Rendered
from pluralbench.errors import UserError
from pluralbench.models.openai_server import parse_generation as parse_openai_generation
from pluralbench.models.seeds import prompt_seed, sample_seed
from pluralbench.models.vllm_engine import (VLLMAdapter, generation_sampling_kwargs, parse_sequence_output,
                                            sequence_inputs, sequence_sampling_kwargs)
from vllm_standin import CompletionOutput, Logprob, RecordedLLM, RequestOutput, SamplingParams


def test_one_sample_keeps_the_old_generation_and_request_keys():
    """Answers cached before num_samples and continuations existed stay valid."""
    assert GenerationSettings(max_new_tokens=8).key() == {"max_new_tokens": 8, "temperature": 0.0, "top_p": 1.0,
                                                          "seed": 0, "stop": ()}
    assert GenerationSettings(num_samples=20).key()["num_samples"] == 20
    options = ModelRequest(op="options", prompt="Q?\nAnswer:", labels=("A", "B"), answer_prefix="Answer:")
    assert options.params_key() == {"op": "options", "labels": ["A", "B"], "continuation": None, "generation": None}
    sequences = ModelRequest(op="sequences", prompt="Q?\nAnswer:", continuations=(" Yes", " No"))
    assert sequences.params_key()["continuations"] == [" Yes", " No"]


def test_seeds_differ_per_prompt_and_sample_and_repeat():
    a, b = Rendered(text="Question one"), Rendered(text="Question two")
    assert prompt_seed(0, a) == prompt_seed(0, Rendered(text="Question one"))
    assert len({prompt_seed(0, a), prompt_seed(0, b), prompt_seed(1, a)}) == 3
    assert len({sample_seed(0, a, j) for j in range(50)}) == 50
    assert 0 <= sample_seed(0, a, 0) < 2 ** 60


# vLLM ------------------------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def tokenizer(smollm2):
    return smollm2.tokenizer


def test_vllm_samples_are_one_request_per_prompt_with_its_own_seed(tokenizer):
    settings = GenerationSettings(max_new_tokens=8, temperature=1.0, seed=3, stop=("\n",), num_samples=4)
    prompts = [Rendered(text="Question one\nAnswer:"), Rendered(text="Question two\nAnswer:")]
    llm = RecordedLLM(tokenizer, lambda i: RequestOutput("0", None, i["prompt_token_ids"], None,
                                                         [CompletionOutput(j, f" {'ABCD'[j]}") for j in range(4)]))
    adapter = VLLMAdapter(llm, SamplingParams, k=20, fingerprint={}, description="vllm:test")
    assert adapter.generate(prompts, settings) == [[" A", " B", " C", " D"]] * 2
    (_, params, _), = llm.calls
    assert [p.kwargs["n"] for p in params] == [4, 4]
    assert [p.kwargs["seed"] for p in params] == [prompt_seed(3, p) for p in prompts]
    assert "n" not in generation_sampling_kwargs(GenerationSettings(max_new_tokens=8))


def test_vllm_sequences_read_the_continuation_tokens_from_prompt_logprobs(tokenizer):
    contexts = [Rendered(text="Question: capital of France?\nAnswer:")]
    inputs, starts = sequence_inputs(tokenizer, contexts, [[" Paris", " Lyon is nice"]])
    context_ids = tokenizer(contexts[0].text)["input_ids"]
    paris = tokenizer(" Paris", add_special_tokens=False)["input_ids"]
    assert inputs[0]["prompt_token_ids"] == context_ids + paris and starts == [len(context_ids)] * 2
    ids = inputs[1]["prompt_token_ids"]
    # vLLM's prompt_logprobs: None for the first position, then {token id: Logprob} including the actual token.
    logprobs = [None] + [{tid: Logprob(-0.5 * pos, 1), 7: Logprob(-9.0, 2)} for pos, tid in enumerate(ids) if pos]
    scored = parse_sequence_output(RequestOutput("0", None, ids, logprobs), starts[1])
    expected = [-0.5 * pos for pos in range(starts[1], len(ids))]
    assert scored == {"logprob": sum(expected), "tokens": len(expected), "token_logprobs": expected}
    assert sequence_sampling_kwargs()["prompt_logprobs"] == 0
    with pytest.raises(UserError, match="prompt logprobs"):
        parse_sequence_output(RequestOutput("0", None, ids, None), starts[1])


# OpenAI-compatible servers -----------------------------------------------------------------------------
def test_openai_answers_with_n_choices():
    answer = {"choices": [{"index": 1, "message": {"content": " B"}}, {"index": 0, "message": {"content": " A"}}]}
    assert parse_openai_generation(answer, 2) == [" A", " B"]
    assert parse_openai_generation({"choices": [{"index": 0, "text": " A"}]}) == " A"
    with pytest.raises(UserError, match="honours n"):
        parse_openai_generation({"choices": [{"index": 0, "text": " A"}]}, 20)


# lm-eval ------------------------------------------------------------------------------------------------
def test_lmeval_scores_option_texts_like_transformers(smollm2):
    pytest.importorskip("lm_eval", reason="lm-eval is not installed")
    from pluralbench.models import load_model
    from pluralbench.models.embedded import EMBEDDED_MODELS
    from pluralbench.models.hf import converted_gguf_dir

    weights = converted_gguf_dir(EMBEDDED_MODELS["smollm2-135m-instruct"].locate())
    lmeval = load_model(f"lmeval:hf,pretrained={weights},dtype=float32,batch_size=4")
    prompt = "Question: Should taxes on the rich be raised?\nOptions: A. Agree B. Disagree\nAnswer:"
    texts = [[" Agree", " Disagree strongly"]]
    ours = lmeval.sequence_logprobs([lmeval.render(prompt, "completion")], texts)[0]
    theirs = smollm2.sequence_logprobs([smollm2.render(prompt, "completion")], texts)[0]
    assert [s["logprob"] for s in ours] == pytest.approx([s["logprob"] for s in theirs], abs=1e-4)
    assert [s["tokens"] for s in ours] == [s["tokens"] for s in theirs]
