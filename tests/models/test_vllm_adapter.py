"""vLLM adapter without vLLM (CUDA-only, cannot run here): request building with the real SmolLM2
tokenizer, and response parsing against output objects in vLLM's shape (RequestOutput ->
CompletionOutput -> {token_id: Logprob}, tests/vllm_standin.py) built here from the real tokenizer's ids."""
from __future__ import annotations

import importlib.util
import math

import pytest

from conftest import assert_user_error, run_cli
from pluralbench.errors import UserError
from pluralbench.models.base import GenerationSettings, Rendered
from pluralbench.models.option_tokens import OptionTokenIndex
from pluralbench.models.spec import parse_model_spec
from pluralbench.models.vllm_engine import (VLLMAdapter, engine_kwargs, generation_sampling_kwargs,
                                            label_token_map, option_sampling_kwargs, parse_option_output,
                                            prompt_inputs, vllm_fingerprint)
from vllm_standin import CompletionOutput, Logprob, RecordedLLM, RequestOutput, SamplingParams


@pytest.fixture(scope="module")
def tokenizer():
    from transformers import AutoTokenizer

    from pluralbench.models.embedded import EMBEDDED_MODELS
    from pluralbench.models.hf import converted_gguf_dir

    return AutoTokenizer.from_pretrained(str(converted_gguf_dir(EMBEDDED_MODELS["smollm2-135m-instruct"].locate())))


def _request_output(top: dict[int, float], tokenizer, text="") -> RequestOutput:
    ranked = sorted(top.items(), key=lambda kv: -kv[1])
    logprobs = {tid: Logprob(lp, rank + 1, tokenizer.decode([tid])) for rank, (tid, lp) in enumerate(ranked)}
    return RequestOutput("0", None, [1, 2], None,
                         [CompletionOutput(0, text, [ranked[0][0]], ranked[0][1], [logprobs])])


def test_engine_kwargs_pass_parallel_settings_and_turn_prefix_caching_on():
    spec = parse_model_spec("vllm:meta-llama/Llama-3.1-70B-Instruct,tensor_parallel_size=4,pipeline_parallel_size=2,"
                            "dtype=bfloat16,max_model_len=4096,gpu_memory_utilization=0.85,"
                            "distributed_executor_backend=ray,logprobs=40")
    kwargs = engine_kwargs(spec)
    assert kwargs == {"model": "meta-llama/Llama-3.1-70B-Instruct", "enable_prefix_caching": True, "seed": 0,
                      "max_logprobs": 40, "tensor_parallel_size": 4, "pipeline_parallel_size": 2,
                      "dtype": "bfloat16", "max_model_len": 4096, "gpu_memory_utilization": 0.85,
                      "distributed_executor_backend": "ray"}
    assert engine_kwargs(parse_model_spec("vllm:m"))["max_logprobs"] == 20
    with pytest.raises(UserError, match="unknown option.*tensor_paralel_size"):
        engine_kwargs(parse_model_spec("vllm:m,tensor_paralel_size=2"))
    with pytest.raises(UserError, match="gpu_memory_utilization='lots' is not a number"):
        engine_kwargs(parse_model_spec("vllm:m,gpu_memory_utilization=lots"))


def test_sampling_kwargs():
    assert option_sampling_kwargs(20) == {"max_tokens": 1, "temperature": 0.0, "logprobs": 20}
    settings = GenerationSettings(max_new_tokens=64, temperature=0.7, top_p=0.9, seed=3, stop=("\n\n",))
    assert generation_sampling_kwargs(settings) == {"max_tokens": 64, "temperature": 0.7, "top_p": 0.9, "seed": 3,
                                                    "stop": ["\n\n"]}


def test_prompt_inputs_follow_the_special_token_rule(tokenizer):
    chat_text = tokenizer.apply_chat_template([{"role": "user", "content": "Hi"}], tokenize=False,
                                              add_generation_prompt=True)
    inputs = prompt_inputs(tokenizer, [Rendered(text="Question: x?\nAnswer:"),
                                       Rendered(text=chat_text, add_special_tokens=False)])
    assert inputs[0]["prompt_token_ids"] == tokenizer("Question: x?\nAnswer:")["input_ids"]
    assert inputs[1]["prompt_token_ids"] == tokenizer(chat_text, add_special_tokens=False)["input_ids"]
    # The template's <|im_start|> is one special token, not its characters.
    assert inputs[1]["prompt_token_ids"][0] == tokenizer.convert_tokens_to_ids("<|im_start|>")


def test_parse_option_output_sums_spellings_and_bounds_unreported_labels(tokenizer):
    index = OptionTokenIndex(tokenizer)
    labels = ("A", "B", "C")
    id_to_label = label_token_map(index, labels)
    a_ids, b_ids = index.token_ids("A"), index.token_ids("B")
    assert len(a_ids) >= 2, "SmolLM2 spells A at least as 'A' and ' A'"
    other = tokenizer.convert_tokens_to_ids("The")
    top = {a_ids[0]: math.log(0.5), a_ids[1]: math.log(0.2), b_ids[0]: math.log(0.1), other: math.log(0.05)}
    out = parse_option_output(_request_output(top, tokenizer), labels, id_to_label, k=4)
    assert out.label_logprobs[0] == pytest.approx(math.log(0.7))
    assert out.label_logprobs[1] == pytest.approx(math.log(0.1))
    assert out.label_logprobs[2] is None  # C was outside the top K: no known mass
    assert out.covered_mass == pytest.approx(0.8)
    assert out.topk["topk_mass"] == pytest.approx(0.85)
    assert out.topk["unreported_labels"] == ["C"]
    assert out.topk["unreported_token_max_prob"] == pytest.approx(0.05)  # the K-th token's probability
    assert out.topk["covered_mass_max"] == pytest.approx(0.8 + 0.15)

    from pluralbench.elicitation.readout import option_distribution

    dist = option_distribution(out)
    assert dist.tolist() == pytest.approx([0.7 / 0.8, 0.1 / 0.8, 0.0])


def test_adapter_hands_the_whole_batch_to_vllm_at_once(tokenizer):
    index = OptionTokenIndex(tokenizer)
    a, b = index.token_ids("A")[0], index.token_ids("B")[0]

    def answers(prompt):
        # Longer prompts favour B: lets us check every answer comes back to its own prompt.
        favour_b = len(prompt["prompt_token_ids"]) > 8
        top = {a: math.log(0.2), b: math.log(0.7)} if favour_b else {a: math.log(0.9), b: math.log(0.05)}
        return _request_output(top, tokenizer, text=" generated")

    llm = RecordedLLM(tokenizer, answers)
    fingerprint = vllm_fingerprint(parse_model_spec("vllm:/nonexistent"), {"max_logprobs": 20}, tokenizer, "0.33.0")
    adapter = VLLMAdapter(llm, SamplingParams, k=20, fingerprint=fingerprint, description="vllm:test")
    prompts = [Rendered(text="Q?"), Rendered(text="A much longer question with many more tokens in it?")]
    outs = adapter.option_distributions(prompts, [("A", "B"), ("A", "B")])
    assert len(llm.calls) == 1 and len(llm.calls[0][0]) == 2  # one generate() call for the batch
    assert llm.calls[0][1].kwargs == {"max_tokens": 1, "temperature": 0.0, "logprobs": 20}
    assert llm.calls[0][2] is False
    assert math.exp(outs[0].label_logprobs[0]) == pytest.approx(0.9)
    assert math.exp(outs[1].label_logprobs[1]) == pytest.approx(0.7)
    texts = adapter.generate(prompts, GenerationSettings(max_new_tokens=5))
    assert texts == [" generated", " generated"]
    assert llm.calls[1][1].kwargs["max_tokens"] == 5
    assert adapter.has_chat_template()
    rendered = adapter.render("Question: x?\nAnswer:", "chat", "Answer:")
    assert rendered.text.endswith("<|im_start|>assistant\nAnswer:") and not rendered.add_special_tokens
    assert fingerprint["engine"] == "vllm" and fingerprint["tokenizer_sha256"]


@pytest.mark.skipif(importlib.util.find_spec("vllm") is not None, reason="vLLM is installed here")
def test_missing_vllm_names_the_extra(isolated_env, tmp_path, shared_data):
    from pluralbench.models import load_model

    with pytest.raises(UserError, match=r"pip install 'pluralbench\[vllm\]'"):
        load_model("vllm:meta-llama/Llama-3.1-8B-Instruct,tensor_parallel_size=2")
    result = run_cli(["run", "--model", "vllm:meta-llama/Llama-3.1-8B-Instruct", "--tasks", "quick", "--limit", "2",
                      "--output", str(tmp_path / "out"), "--data-dir", str(shared_data)], env=isolated_env)
    assert_user_error(result, "vLLM", "pluralbench[vllm]")
