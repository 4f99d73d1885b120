"""The transformers adapter on the real embedded SmolLM2 (and Gemma for the base-model cases)."""
import json
import os

import numpy as np
import pytest
import torch

from conftest import forward_shapes
from pluralbench.errors import UserError
from pluralbench.elicitation.readout import option_distribution
from pluralbench.models.base import GenerationSettings

pytestmark = pytest.mark.model

PROMPTS = [
    "Question: Is it ever acceptable to lie to protect someone's feelings?\nOptions: A. Yes B. No\nAnswer:",
    "Question: How important is religion in your life?\nOptions: A. Very important B. Somewhat important "
    "C. Not too important D. Not at all important\nAnswer:",
    "Question: Should the government spend more on public transport?\nOptions: A. More B. The same C. Less\nAnswer:",
    "Question: Do you favor or oppose the death penalty?\nOptions: A. Strongly favor B. Somewhat favor "
    "C. Somewhat oppose D. Strongly oppose E. DK/Refused\nAnswer:",
]
LABELS = [tuple("AB"), tuple("ABCD"), tuple("ABC"), tuple("ABCDE")]


def _prompt_pass_logprobs(adapter, rendered) -> np.ndarray:
    """Next-token log-probabilities from the prompt pass that sequence scoring and sampling continue (the
    one that reuses cached prefixes; option scoring packs its batch instead, models/packed_prompts.py)."""
    import torch

    with torch.inference_mode():
        out, _ = adapter.prompt_pass(adapter._encode(rendered))
        return torch.log_softmax(out.logits[:, -1, :].float(), dim=-1).numpy()


def test_option_tokens_cover_every_spelling(smollm2):
    spellings = smollm2.option_index.spellings("A")
    assert "A" in spellings and " A" in spellings


def test_chat_elicitation_puts_most_mass_on_the_options(smollm2):
    chat = smollm2.option_distributions([smollm2.render(p, "chat", "Answer:") for p in PROMPTS], LABELS)
    raw = smollm2.option_distributions([smollm2.render(p, "completion", "Answer:") for p in PROMPTS], LABELS)
    chat_mass = np.mean([o.covered_mass for o in chat])
    raw_mass = np.mean([o.covered_mass for o in raw])
    # Measured: ~0.8-0.95 in the chat template with the answer primed, a few percent on the raw prompt.
    assert chat_mass > 0.5 and raw_mass < chat_mass
    for out, labels in zip(chat, LABELS):
        dist = option_distribution(out)
        assert len(dist) == len(labels) and dist.sum() == pytest.approx(1.0)
        assert 0 < out.covered_mass <= 1


def test_chat_render_primes_the_answer(smollm2):
    rendered = smollm2.render(PROMPTS[0], "chat", "Answer:")
    assert rendered.text.startswith("<|im_start|>system") and rendered.text.endswith("<|im_start|>assistant\nAnswer:")
    assert "Options: A. Yes B. No<|im_end|>" in rendered.text and rendered.add_special_tokens is False
    assert smollm2.render(PROMPTS[0], "completion").text == PROMPTS[0]


def test_batched_equals_single_in_float32(smollm2):
    rendered = [smollm2.render(p, "chat", "Answer:") for p in PROMPTS]
    batched = smollm2.option_distributions(rendered, LABELS)
    for r, labels, b in zip(rendered, LABELS, batched):
        single = smollm2.option_distributions([r], [labels])[0]
        assert np.allclose(single.label_logprobs, b.label_logprobs, atol=1e-4)
        assert single.covered_mass == pytest.approx(b.covered_mass, abs=1e-4)


def test_loglikelihood_prefers_the_sensible_continuation(smollm2):
    ctx = smollm2.render("The capital of France is", "completion")
    good, bad = smollm2.loglikelihoods([ctx, ctx], [" Paris", " banana"])
    assert good > bad and good < 0
    # Batched with a longer context, the same pair scores the same.
    other = smollm2.render("Water is made of hydrogen and", "completion")
    again = smollm2.loglikelihoods([other, ctx], [" oxygen", " Paris"])
    assert again[1] == pytest.approx(good, abs=1e-4)


def test_greedy_generation_is_batch_invariant(smollm2):
    settings = GenerationSettings(max_new_tokens=12)
    prompts = [smollm2.render("Name a colour.", "chat"), smollm2.render("Say hello in French.", "chat")]
    batched = smollm2.generate(prompts, settings)
    assert batched == [smollm2.generate([p], settings)[0] for p in prompts]
    assert all(isinstance(t, str) and t.strip() for t in batched)


GREEDY_PROMPTS = ["Name a colour.", "Say hello in French.", "List three fruits, one per line.",
                  "What is two plus two? Explain briefly.", "Write one sentence about the sea."]


@pytest.mark.parametrize("spec", ["embedded:smollm2-135m-instruct", "embedded:gemma3-270m"])
def test_greedy_flat_decoding_equals_transformers_generate(smollm2, spec):
    """Greedy answers decode as one flat sequence (one token per running prompt, no padding, no cache
    growth) and equal transformers' generate on the same prompts, with and without a stop string, on the
    chat model and on Gemma (sliding-window layers, no chat template)."""
    from pluralbench.models import load_model

    adapter = smollm2 if spec.startswith("embedded:smollm2") else load_model(spec)
    style = "chat" if adapter.has_chat_template() else "completion"
    prompts = [adapter.render(p, style) for p in GREEDY_PROMPTS]
    assert adapter.decodes_greedy_flat
    for settings in (GenerationSettings(max_new_tokens=12), GenerationSettings(max_new_tokens=12, stop=("\n",))):
        flat, shapes = forward_shapes(adapter, lambda: adapter.generate(prompts, settings))
        assert flat == adapter._generate(adapter._encode(prompts), settings)  # transformers' generate
        decoding = [w for b, w in shapes[1:]]
        assert all(b == 1 for b, _ in shapes[1:]) and decoding == sorted(decoding, reverse=True)
        assert len(decoding) <= settings.max_new_tokens - 1 and all(w <= len(prompts) for w in decoding)
        if not settings.stop:
            assert decoding and any(t.strip() for t in flat)


def test_a_grown_generate_batch_encodes_in_halves(smollm2):
    """The planner grows generate batches past the batch size. Twelve prompts that do not pack are encoded
    in two padded passes of six (never one of twelve) whose caches are joined, then decoded together, and
    the answers equal transformers' generate on the default batch at a time."""
    from pluralbench.models.base import Rendered

    story = "The council debated the new park at length, and the vote was close. " * 3
    rendered = [Rendered(text=f"Case {i}: {story}Was it fair? Answer:") for i in range(12)]
    settings = GenerationSettings(max_new_tokens=5)
    grown, shapes = forward_shapes(smollm2, lambda: smollm2.generate(rendered, settings))
    assert [b for b, _ in shapes[:2]] == [6, 6] and all(b == 1 for b, _ in shapes[2:])
    assert shapes[2][1] <= 12
    smollm2._greedy_flat = False  # transformers' generate, a default batch (8) at a time
    try:
        fallback, shapes = forward_shapes(smollm2, lambda: smollm2.generate(rendered, settings))
    finally:
        smollm2._greedy_flat = None
    assert fallback == grown and shapes[0][0] == 8 and max(b for b, _ in shapes) == 8


def test_fingerprint_changes_with_dtype_and_names_the_weights(smollm2):
    fp = smollm2.fingerprint()
    assert fp["dtype"] == "float32" and len(fp["weights"]["gguf_sha256"]) == 64
    assert fp["chat_template_sha256"] and fp["tokenizer_sha256"]
    json.dumps(fp)  # recorded in every manifest


def test_gemma_base_model_has_no_chat_template(smollm2):
    from pluralbench.models import load_model

    gemma = load_model("embedded:gemma3-270m")
    assert not gemma.has_chat_template()
    with pytest.raises(UserError, match="no chat template"):
        gemma.render(PROMPTS[0], "chat", "Answer:")
    out = gemma.option_distributions([gemma.render(p, "completion") for p in PROMPTS[:2]], LABELS[:2])
    assert all(0 < o.covered_mass <= 1 for o in out)
    assert gemma.fingerprint_id() != smollm2.fingerprint_id()


def test_shared_prefix_reuse_matches_the_unshared_pass(smollm2):
    rendered = [smollm2.render(p, "chat", "Answer:") for p in PROMPTS]
    smollm2.share_prefix = False
    try:
        plain = _prompt_pass_logprobs(smollm2, rendered)
    finally:
        smollm2.share_prefix = True
    misses, hits = smollm2.prefix_cache.misses, smollm2.prefix_cache.hits
    shared = _prompt_pass_logprobs(smollm2, rendered)
    shared_again = _prompt_pass_logprobs(smollm2, rendered)
    assert smollm2.prefix_cache.misses <= misses + 1  # the system-prompt prefix is computed once, then reused
    assert smollm2.prefix_cache.hits >= hits + 1  # ... and the shared path really ran
    assert np.allclose(plain, shared, atol=1e-4)
    assert np.array_equal(shared, shared_again)  # reuse is deterministic


def test_prefix_reuse_is_exact_whatever_ran_before(smollm2):
    """A batch's numbers must not depend on what the process computed earlier: a run resumed in a new
    process has to reproduce an uninterrupted run bit for bit."""
    from pluralbench.models.base import Rendered
    from pluralbench.models.prefix_cache import CHUNK, PrefixCache

    start = "Question: " + "The quick brown fox jumps over the lazy dog near the river bank today. " * 3
    texts = [start + q + " Options: A. Yes B. No\nAnswer:" for q in
             ("Is it red?", "Is it red or blue?", "What about you?", "What about me?")]
    batches = [[Rendered(text=t) for t in texts[:2]], [Rendered(text=t) for t in texts[2:]]]
    rows = smollm2._encode(batches[1])
    prefix_len = min(len(os.path.commonprefix(rows)), min(map(len, rows)) - 1)
    assert prefix_len > CHUNK  # long enough that a boundary is reused
    original = smollm2.prefix_cache
    try:
        smollm2.share_prefix = False
        plain = _prompt_pass_logprobs(smollm2, batches[1])
        smollm2.share_prefix = True
        smollm2.prefix_cache = PrefixCache(smollm2.model, smollm2.device)
        alone = _prompt_pass_logprobs(smollm2, batches[1])  # a fresh process
        smollm2.prefix_cache = cache = PrefixCache(smollm2.model, smollm2.device)
        _prompt_pass_logprobs(smollm2, batches[0])
        computed = cache.computed_tokens
        after = _prompt_pass_logprobs(smollm2, batches[1])  # after a batch sharing the first chunks
    finally:
        smollm2.prefix_cache = original
    assert cache.extended == 1 and cache.computed_tokens - computed < prefix_len  # paid only past a boundary
    assert np.array_equal(alone, after)  # bit for bit
    assert np.allclose(plain, alone, atol=1e-4)


def test_prefix_is_shared_only_when_it_saves_work():
    from pluralbench.models.prefix_cache import worth_sharing

    long_prefix = [list(range(40)) + [100 + i] for i in range(4)]  # 4 x 41 tokens -> 4 x 1 + 40
    assert worth_sharing(long_prefix, [40] * 4)
    # 4 rows of 32 shared + 30 own tokens: 4 x 30 <= 0.8 x 4 x 62 (32 ends at a chunk boundary: assumed cached)
    middling = [list(range(32)) + [200 + i] * 30 for i in range(4)]
    assert worth_sharing(middling, [32] * 4) and not worth_sharing(middling, [0] * 4)
    ragged = [list(range(10)) + [7] * n for n in (1, 2, 60, 61)]  # the longest suffix dominates the padded batch
    assert not worth_sharing(ragged, [10] * 4)
    assert not worth_sharing(long_prefix[:1], [40])  # one row: nothing to share
    assert not worth_sharing([r[:6] + [1] for r in long_prefix], [6] * 4)  # too short to bother
    # two personas, each its own cached prefix: 4 x 1 + 2 x 40 new tokens against 4 x 41
    two = [[1] * 40 + [i] for i in (5, 6)] + [[2] * 40 + [i] for i in (5, 6)]
    assert worth_sharing(two, [40] * 4) and not worth_sharing(two, [0] * 4)


def test_each_row_takes_the_shortest_shared_prefix_that_fits_the_batch_width():
    from pluralbench.models.prefix_cache import row_prefix_lengths

    system = list(range(10))
    persona_a, persona_b = system + [50] * 20, system + [60] * 20
    rows = [persona_a + [1, 2, 3], persona_a + [4, 5], persona_b + [7], persona_b + [8, 9], system + [3] * 3]
    # a persona's rows take the persona (30 tokens); the last row shares only the system prompt (10)
    assert row_prefix_lengths(rows) == [30, 30, 30, 30, 10]
    # a row whose suffix after the shared system prompt is no wider than the batch's widest keeps that shorter prefix
    rows = [persona_a + [1] * 25, persona_a + [2] * 25, system + [9] * 50]
    assert row_prefix_lengths(rows) == [10, 10, 10]
    assert row_prefix_lengths([[1, 2], [3, 4]]) == [0, 0]  # nothing shared
    assert row_prefix_lengths([system, system]) == [9, 9]  # every row keeps a token to run


def test_rows_with_different_cached_prefixes_match_the_unshared_pass(smollm2):
    """Two personas in one batch: each row continues its own persona's cached prefix (padded to one length
    inside the key/value cache) and scores what it scores alone."""
    from pluralbench.models.prefix_cache import PrefixCache, row_prefix_lengths, worth_sharing

    rendered = _persona_prompts(smollm2, beginning_of_another=False)
    rows = smollm2._encode(rendered)
    prefixes = row_prefix_lengths(rows)
    assert prefixes[0] == prefixes[1] != prefixes[2] == prefixes[3] and prefixes[4] == 0  # one prefix per persona
    assert worth_sharing(rows, prefixes)
    original = smollm2.prefix_cache
    try:
        smollm2.share_prefix = False
        plain = _prompt_pass_logprobs(smollm2, rendered)
        smollm2.share_prefix = True
        smollm2.prefix_cache = cache = PrefixCache(smollm2.model, smollm2.device)
        shared = _prompt_pass_logprobs(smollm2, rendered)
        again = _prompt_pass_logprobs(smollm2, rendered)
    finally:
        smollm2.prefix_cache = original
    assert cache.misses == 2 and cache.hits == 2  # one prefix per persona, computed once, reused by the next batch
    assert np.allclose(plain, shared, atol=1e-4)
    assert np.array_equal(shared, again)


def _persona_prompts(adapter, beginning_of_another: bool = True):
    """Two personas x two questions (chat), a completion prompt sharing nothing, and optionally a prompt
    that is the beginning of another (its last token is inside the other's branch of the trie)."""
    from pluralbench.models.base import Rendered

    personas = ("You are a retired farmer from rural Kansas who votes in every single election, rain or shine.\n",
                "Pretend to be a night-shift nurse in a big hospital in Ohio with three children at home.\n")
    questions = ("Question: Is the economy of your country getting better these days? Options: A. Yes B. No",
                 "Question: Should taxes on large companies be raised or lowered? Options: A. Raised B. Lowered")
    rendered = [adapter.render(p + q, "chat", "Answer:") for p in personas for q in questions]
    rendered.append(Rendered(text="A completion prompt shares nothing. Options: A. Yes B. No\nAnswer:"))
    if beginning_of_another:
        rendered.append(Rendered(text=rendered[0].text[:-len("\nAnswer:")]))
    return rendered


def test_packed_option_scoring_matches_the_unshared_pass(smollm2):
    """Option scoring runs a batch as one token trie (models/packed_prompts.py): every row scores what it
    scores alone in a padded batch, and shared tokens run once."""
    from pluralbench.models.packed_prompts import token_trie, worth_packing

    rendered = _persona_prompts(smollm2)
    labels = [("A", "B")] * len(rendered)
    rows = smollm2._encode(rendered)
    tokens, _, _, _ = token_trie(rows)
    assert worth_packing(rows, len(tokens)) and len(tokens) < sum(map(len, rows)) - 2 * 30  # the shared path runs
    smollm2.share_prefix = False
    try:
        plain = smollm2.option_distributions(rendered, labels)
        alone = [smollm2.option_distributions([r], [lab])[0] for r, lab in zip(rendered, labels)]
    finally:
        smollm2.share_prefix = True
    packed = smollm2.option_distributions(rendered, labels)
    for a, b, c in zip(plain, packed, alone):
        assert np.allclose(a.label_logprobs, b.label_logprobs, atol=1e-4)
        assert np.allclose(c.label_logprobs, b.label_logprobs, atol=1e-4)
        assert b.covered_mass == pytest.approx(a.covered_mass, abs=1e-4)


def test_packed_numbers_depend_on_the_batch_alone(smollm2):
    """No state is kept between packed batches: a batch scored after others (or in a resumed process)
    gives the same bits."""
    rendered = _persona_prompts(smollm2)
    labels = [("A", "B")] * len(rendered)
    first = smollm2.option_distributions(rendered[:4], labels[:4])
    smollm2.option_distributions(rendered[2:], labels[2:])
    again = smollm2.option_distributions(rendered[:4], labels[:4])
    assert [o.label_logprobs for o in first] == [o.label_logprobs for o in again]


def test_a_grown_batch_that_does_not_pack_runs_in_halves(smollm2):
    """The planner grows option batches that share most of their text past the batch size. Twelve prompts
    that share nothing past their first word pack into more than the 2,048-token cap, so the batch runs in
    two halves of six (each too evenly long to pack: padded), never one padded pass of twelve, and scores
    what one padded pass of twelve scores."""
    from pluralbench.models.base import Rendered
    from pluralbench.models.packed_prompts import MAX_PACKED_TOKENS

    story = "The council debated the new park at length, and the vote was close. " * 12
    rendered = [Rendered(text=f"Case {i}: {story}Was it fair? A. Yes B. No\nAnswer:") for i in range(12)]
    rows = smollm2._encode(rendered)
    assert sum(map(len, rows)) - 11 > MAX_PACKED_TOKENS > 6 * max(map(len, rows))
    heights = []
    hook = smollm2.model.register_forward_pre_hook(lambda _, args, kwargs: heights.append(kwargs["input_ids"].shape[0]),
                                                   with_kwargs=True)
    try:
        grown = smollm2.option_distributions(rendered, [("A", "B")] * 12)
        smollm2.share_prefix = False  # no packing, no grown batches: the batch runs as given
        whole = smollm2.option_distributions(rendered, [("A", "B")] * 12)
    finally:
        smollm2.share_prefix = True
        hook.remove()
    assert heights == [6, 6, 12]
    for a, b in zip(whole, grown):
        assert np.allclose(a.label_logprobs, b.label_logprobs, atol=1e-4)


def test_packing_stays_within_a_sliding_attention_window():
    """Gemma 3 attends within 512 tokens on its sliding layers; the packed mask has no window, so rows
    longer than it run the plain padded pass (which applies the window), and shorter ones still pack and
    match it."""
    from pluralbench.models import load_model
    from pluralbench.models.base import Rendered
    from pluralbench.models.packed_prompts import packed_last_logits, sliding_window

    gemma = load_model("embedded:gemma3-270m")
    assert sliding_window(gemma.model) == 512
    story = "The committee met again on Tuesday to discuss the budget for the coming year. " * 45
    long_rows = gemma._encode([Rendered(text=story + q) for q in ("Is it fair? A. Yes B. No\nAnswer:",
                                                                   "Is it wise? A. Yes B. No\nAnswer:")])
    assert min(map(len, long_rows)) > 512
    assert packed_last_logits(gemma.model, long_rows, gemma.device) is None
    short = [Rendered(text=story[:400] + q) for q in ("Is it fair? A. Yes B. No\nAnswer:",
                                                      "Is it wise? A. Yes B. No\nAnswer:")]
    assert packed_last_logits(gemma.model, gemma._encode(short), gemma.device) is not None  # these do pack
    packed = gemma.option_distributions(short, [("A", "B")] * 2)
    gemma.share_prefix = False
    plain = gemma.option_distributions(short, [("A", "B")] * 2)
    for a, b in zip(plain, packed):
        assert np.allclose(a.label_logprobs, b.label_logprobs, atol=1e-4)


def test_threads_option_sets_torch_threads_and_rejects_zero():
    import torch

    from pluralbench.models import load_model

    before = torch.get_num_threads()
    with pytest.raises(UserError, match="threads must be at least 1"):
        load_model("embedded:smollm2-135m-instruct,threads=0")
    try:
        load_model("embedded:smollm2-135m-instruct,threads=1")
        assert torch.get_num_threads() == 1
    finally:
        torch.set_num_threads(before)


def test_packed_batches_keep_a_models_own_attention_when_it_is_not_torchs(smollm2):
    """A model on another attention implementation (here transformers' eager one) is not swapped to the
    row-by-row trie attention: the packed pass runs its own attention under the dense ancestor mask, and
    both agree with the plain padded pass."""
    from pluralbench.models.packed_prompts import packed_last_logits

    rendered = [smollm2.render(f"Question {i}: do you agree that cities should plant more trees?\nOptions: "
                               f"A. Yes B. No\nAnswer:", "chat", "Answer:") for i in range(6)]
    rows = smollm2._encode(rendered)
    with torch.inference_mode():
        padded = torch.log_softmax(smollm2.prompt_pass(rows)[0].logits[:, -1, :].float(), -1)
        by_rows = torch.log_softmax(packed_last_logits(smollm2.model, rows, smollm2.device).float(), -1)
        smollm2.model.set_attn_implementation("eager")
        try:
            dense = torch.log_softmax(packed_last_logits(smollm2.model, rows, smollm2.device).float(), -1)
        finally:
            smollm2.model.set_attn_implementation("sdpa")
    assert smollm2.model.config._attn_implementation == "sdpa"
    assert float((by_rows - padded).abs().max()) < 1e-4 and float((dense - padded).abs().max()) < 1e-4
