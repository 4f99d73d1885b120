"""The batch plan: every request once, batches never mix ops or decoding settings; scored prompts in
whichever order (by text or by length) leaves less to compute; generation prompts by length; option
batches for a packing adapter cut by packed size."""
from pluralbench.models.base import GenerationSettings, Rendered
from pluralbench.runner.batch_plan import (
    GENERATE_ROWS_FACTOR,
    PACKED_ROWS_FACTOR,
    estimated_work,
    packed_batches,
    packed_work,
    plan_batches,
)
from pluralbench.core.records import ModelRequest


def _unique():
    greedy, sampled = GenerationSettings(max_new_tokens=8), GenerationSettings(max_new_tokens=8, temperature=0.7)
    reqs = [ModelRequest(op="options", prompt=p, labels=("A", "B")) for p in
            ("Persona Z. q1", "Persona A. a much longer question two", "Persona Z. q0", "Persona A. q3")]
    reqs += [ModelRequest(op="generate", prompt=p, generation=greedy) for p in ("zz", "a longer prompt", "bbb", "c")]
    reqs += [ModelRequest(op="generate", prompt="s", generation=sampled)]
    return {f"k{i}": (r, Rendered(text=r.prompt)) for i, r in enumerate(reqs)}


def test_every_request_once_and_batches_are_homogeneous():
    unique = _unique()
    for by_text in (True, False):
        batches = plan_batches(unique, 3, by_text)
        flat = [k for b in batches for k in b]
        assert sorted(flat) == sorted(unique) and len(flat) == len(set(flat))
        for b in batches:
            factor = {"options": PACKED_ROWS_FACTOR, "generate": GENERATE_ROWS_FACTOR}[unique[b[0]][0].op]
            assert len(b) <= (3 * factor if by_text else 3)
            assert len({(unique[k][0].op, unique[k][0].generation) for k in b}) == 1


def _options(texts):
    return {f"k{i}": (ModelRequest(op="options", prompt=t, labels=("A", "B")), Rendered(text=t))
            for i, t in enumerate(texts)}


def _likelihoods(texts):
    return {f"k{i}": (ModelRequest(op="loglikelihood", prompt=t, continuation=" x"), Rendered(text=t))
            for i, t in enumerate(texts)}


def _planned_texts(unique, batch_size, by_text):
    return [[unique[k][1].text for k in b] for b in plan_batches(unique, batch_size, by_text)]


def test_estimated_work_by_hand():
    # batch ["persona:X", "persona:YY"]: shared "persona:" -> 2 x 2 + 8 = 12 <= 0.8 x 20; batch ["zz"]: 2
    assert estimated_work(["persona:X", "persona:YY", "zz"], 2) == 12 + 2
    # two personas in one batch, each row reusing its own: 4 x 2 + 8 + 8 against a padded 4 x 10
    assert estimated_work(["persona:X", "persona:YY", "personB:X", "personB:YY"], 4) == 8 + 16
    # ["aX", "bYYYY"]: nothing shared -> padded 2 x 5 = 10
    assert estimated_work(["aX", "bYYYY"], 2) == 10


def test_text_order_wins_when_personas_share_long_prefixes():
    persona_a, persona_b = "You are a farmer from Kansas who votes. ", "You are a nurse in Ohio, retired now. "
    texts = [persona_a + "Q1?", persona_b + "Question two?", persona_a + "Question two?", persona_b + "Q1?"]
    planned = _planned_texts(_likelihoods(texts), 2, by_text=True)
    assert all(len({t[:20] for t in batch}) == 1 for batch in planned)  # one persona per batch
    assert _planned_texts(_options(texts), 2, by_text=True) == [sorted(texts)]  # packed: all four in 100 characters
    by_length = _planned_texts(_options(texts), 2, by_text=False)
    assert [len(t) for b in by_length for t in b] == sorted(len(t) for t in texts)


def test_length_order_wins_when_only_a_system_prompt_is_shared():
    """Prompts that reuse cached prefixes run padded: short with short, long with long."""
    system = "System: be helpful. "
    texts = [system + q for q in ("a" * 40, "b", "c" * 40, "d")]
    planned = _planned_texts(_likelihoods(texts), 2, by_text=True)
    assert [len(t) for b in planned for t in b] == sorted(len(t) for t in texts)


def test_packed_work_by_hand():
    # sorted ["persona:X", "persona:YY"] share 8 characters: 9 + 10 - 8 = 11 <= 0.8 x 20; ["zz"] alone: 2
    assert packed_work(["persona:YY", "persona:X", "zz"], 2) == 11 + 2
    # a trie over four texts: 9 + 10 + 9 + 10 less the neighbours' shared 8, 6 and 8 = 16 against a padded 40
    assert packed_work(["persona:X", "persona:YY", "personB:X", "personB:YY"], 4) == 16
    # nothing shared, but no padding either: 2 + 5 = 7 <= 0.8 x 10; equal lengths save nothing: padded 2 x 5
    assert packed_work(["aX", "bYYYY"], 2) == 7
    assert packed_work(["aXXXX", "bYYYY"], 2) == 10


def test_option_scoring_packs_by_text_even_when_only_a_system_prompt_is_shared():
    """A packed batch runs no padding, so grouping prompts by text wins: 61 + 61 characters by text against
    22 + 120 by length (two long prompts share too little of themselves to pack). In text order the four
    then pack into one batch of 102 characters, within the 2 x 60 a padded batch of two would run."""
    system = "System: be helpful. "
    texts = [system + q for q in ("a" * 40, "b", "c" * 40, "d")]
    planned = _planned_texts(_options(texts), 2, by_text=True)
    assert planned == [[system + "a" * 40, system + "b", system + "c" * 40, system + "d"]]
    assert _planned_texts(_likelihoods(texts), 2, by_text=True) != planned  # other ops keep the batch size


def _packed(texts, batch_size):
    return [[texts[int(k)] for k in b] for b in packed_batches([str(i) for i in range(len(texts))], texts, batch_size)]


def test_packed_batches_grow_while_they_share_up_to_four_times_the_batch_size():
    persona = "x" * 30
    texts = [persona + q for q in "abcdefghij"]  # each adds one character to the trie
    assert [len(b) for b in _packed(texts, 2)] == [8, 2]


def test_packed_batches_keep_the_batch_size_when_nothing_is_shared():
    assert [len(b) for b in _packed(["a" * 10, "b" * 10, "c" * 10], 1)] == [1, 1, 1]  # 20 > 1 x 10


def test_a_packed_batch_stops_growing_when_packing_would_not_save_a_fifth():
    """["ab", "cd"] then "ef": 6 characters, within the budget of 2 x 10, but a padded 3 x 2 x 0.8 = 4.8."""
    assert [len(b) for b in _packed(["ab", "cd", "ef", "z" * 10], 2)] == [2, 2]


def test_a_packed_batch_stays_under_the_adapters_token_cap():
    """Texts of 5,000 characters sharing 4,000: two pack into 6,000, a third would make 7,000, over the
    2,048 tokens x 3 characters the adapter packs (the padded budget of 2 x 5,000 would allow it)."""
    texts = ["p" * 4000 + str(i) * 1000 for i in range(4)]
    assert [len(b) for b in _packed(texts, 2)] == [2, 2]


def test_generation_is_always_by_length():
    unique = _unique()
    planned = _planned_texts(unique, 10, by_text=True)
    greedy = next(t for t in planned if "zz" in t)
    assert [len(t) for t in greedy] == sorted(len(t) for t in greedy)


def test_generate_batches_hold_four_times_the_batch_size_for_a_prefix_sharing_adapter():
    """Ten greedy prompts at batch size 2: batches of 8 and 2 in length order for an adapter that decodes
    them as one flat sequence (hf), of 2 otherwise."""
    greedy = GenerationSettings(max_new_tokens=8)
    texts = ["x" * (10 - i) for i in range(10)]
    unique = {f"k{i}": (ModelRequest(op="generate", prompt=t, generation=greedy), Rendered(text=t))
              for i, t in enumerate(texts)}
    grown = _planned_texts(unique, 2, by_text=True)
    assert [len(b) for b in grown] == [8, 2] and [t for b in grown for t in b] == sorted(texts, key=len)
    assert [len(b) for b in _planned_texts(unique, 2, by_text=False)] == [2] * 5
