"""The batch plan: every request once, batches never mix ops or decoding settings, scored prompts
sorted by text (shared prefixes side by side), generation prompts by length (little padding)."""
from pluralbench.models.base import GenerationSettings, Rendered
from pluralbench.runner.execute import plan_batches
from pluralbench.runner.requests import ModelRequest


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
            assert len(b) <= 3
            assert len({(unique[k][0].op, unique[k][0].generation) for k in b}) == 1


def test_scored_prompts_by_text_generation_by_length():
    unique = _unique()
    batches = plan_batches(unique, 10, by_text=True)
    texts = [[unique[k][1].text for k in b] for b in batches]
    options = next(t for t in texts if t[0].startswith("Persona"))
    assert options == sorted(options)  # alphabetical, so the "Persona A." prompts are adjacent
    greedy = next(t for t in texts if "zz" in t)
    assert [len(t) for t in greedy] == sorted(len(t) for t in greedy)
    by_length = [[unique[k][1].text for k in b] for b in plan_batches(unique, 10, by_text=False)]
    options = next(t for t in by_length if t[0].startswith("Persona"))
    assert [len(t) for t in options] == sorted(len(t) for t in options)
