"""The response cache cannot answer for a different model, dtype, chat template, elicitation, prompt,
request or decoding setting: each is changed in turn, and a real cache that holds the original answer
misses. The model parts come from the real embedded model's fingerprint (two dtypes, two chat templates,
its weights hashed here independently)."""
from __future__ import annotations

import copy
import dataclasses
import hashlib

import pytest

from pluralbench.models.base import GenerationSettings, Rendered
from pluralbench.runner.cache import ResponseCache, cache_key
from pluralbench.core.records import ModelRequest

pytestmark = pytest.mark.model

PROMPT = "Question: Is the sky blue?\nOptions: A. Yes B. No\nAnswer:"


def changed(value):
    """A different value of the same type, for any GenerationSettings field."""
    if isinstance(value, bool):
        return not value
    if isinstance(value, (int, float)):
        return value + 1
    if isinstance(value, tuple):
        return value + ("\n\n",)
    raise AssertionError(f"no variation for {value!r}: extend changed()")


def test_every_setting_is_in_the_key(smollm2, tmp_path):
    from pluralbench.models import load_model
    from pluralbench.models.embedded import EMBEDDED_MODELS
    from pluralbench.models.hf import HFAdapter

    fingerprint = smollm2.fingerprint()
    rendered = smollm2.render(PROMPT, "completion")
    generate = ModelRequest(op="generate", prompt=PROMPT, generation=GenerationSettings())
    options = ModelRequest(op="options", prompt=PROMPT, labels=("A", "B"), answer_prefix="Answer:")
    base = {"generate": cache_key(fingerprint, "completion", rendered.key(), generate.params_key()),
            "options": cache_key(fingerprint, "completion", rendered.key(), options.params_key())}
    cache = ResponseCache(tmp_path / "cache")
    cache.put_many({base["generate"]: "a generated answer", base["options"]: {"label_logprobs": [-1.0, -2.0],
                                                                              "covered_mass": 0.5}})
    assert cache.get_many(list(base.values())).keys() == set(base.values())  # the unchanged keys hit

    variants: dict[str, str] = {}
    # Model weights: the fingerprint carries the GGUF's sha256 (checked against a hash computed here).
    gguf = EMBEDDED_MODELS["smollm2-135m-instruct"].locate()
    assert fingerprint["weights"]["gguf_sha256"] == hashlib.sha256(gguf.read_bytes()).hexdigest()
    other_weights = fingerprint | {"weights": fingerprint["weights"] | {"gguf_sha256": "0" * 64}}
    variants["weights"] = cache_key(other_weights, "completion", rendered.key(), generate.params_key())

    # dtype: the same weights loaded in bfloat16.
    bf16 = load_model("embedded:smollm2-135m-instruct,dtype=bfloat16").fingerprint()
    assert {k for k in fingerprint if fingerprint[k] != bf16[k]} == {"dtype"}
    variants["dtype"] = cache_key(bf16, "completion", rendered.key(), generate.params_key())

    # Chat template: the same model and tokenizer with one character of the template changed. Even for the
    # same rendered text the key differs, because the fingerprint carries the template itself.
    tokenizer = copy.deepcopy(smollm2.tokenizer)
    tokenizer.chat_template = smollm2.tokenizer.chat_template.replace("<|im_start|>", "<|im_start|> ", 1)
    templated = HFAdapter(smollm2.model, tokenizer, weights=fingerprint["weights"], dtype=smollm2.dtype,
                          description="template variant")
    other_template = templated.fingerprint()
    assert {k for k in fingerprint if fingerprint[k] != other_template[k]} == {"chat_template_sha256"}
    variants["chat_template"] = cache_key(other_template, "completion", rendered.key(), generate.params_key())
    assert templated.render(PROMPT, "chat", "Answer:") != smollm2.render(PROMPT, "chat", "Answer:")

    # Elicitation, prompt text and special tokens.
    variants["elicitation"] = cache_key(fingerprint, "chat", rendered.key(), generate.params_key())
    variants["prompt"] = cache_key(fingerprint, "completion", Rendered(text=PROMPT + " ").key(), generate.params_key())
    variants["special_tokens"] = cache_key(fingerprint, "completion",
                                           dataclasses.replace(rendered, add_special_tokens=False).key(),
                                           generate.params_key())

    # Every decoding setting GenerationSettings has, one at a time.
    fields = [f.name for f in dataclasses.fields(GenerationSettings)]
    assert {"max_new_tokens", "temperature", "top_p", "seed", "stop"} <= set(fields)
    for name in fields:
        settings = dataclasses.replace(GenerationSettings(), **{name: changed(getattr(GenerationSettings(), name))})
        request = dataclasses.replace(generate, generation=settings)
        variants[f"decoding.{name}"] = cache_key(fingerprint, "completion", rendered.key(), request.params_key())

    # What an option or log-likelihood request asks for.
    variants["labels"] = cache_key(fingerprint, "completion", rendered.key(),
                                   dataclasses.replace(options, labels=("A", "B", "C")).params_key())
    variants["op"] = cache_key(fingerprint, "completion", rendered.key(),
                               dataclasses.replace(options, op="loglikelihood", continuation=" A").params_key())

    assert len(set(variants.values())) == len(variants)  # all distinct from each other
    assert not set(variants.values()) & set(base.values())
    found = cache.get_many(list(variants.values()))
    assert found == {}, [name for name, key in variants.items() if key in found]
    cache.close()
