"""The distributional family's scoring, checked against independent scipy computations."""

import numpy as np
import pytest
from scipy.spatial.distance import jensenshannon
from scipy.special import softmax
from scipy.stats import entropy as scipy_entropy

from pluralbench.core.items import OptionItem
from pluralbench.families.multiple_choice_distribution import derangement
from pluralbench.core.records import OptionOutput
from pluralbench.elicitation.predictions import from_option_output
from pluralbench.taskfile import get_task

TASK = get_task("distributional_globalopinionqa")
FAMILY = TASK.family_impl()

Q1 = "Question: one?\nOptions: A. a B. b C. c\nAnswer:"
Q2 = "Question: two?\nOptions: A. a B. b\nAnswer:"
ITEMS = [
    OptionItem(id="1", prompt=Q1, options=["a", "b", "c"], gold=[0.6, 0.3, 0.1], group="Japan"),
    OptionItem(id="2", prompt=Q1, options=["a", "b", "c"], gold=[0.2, 0.2, 0.6], group="Peru"),
    OptionItem(id="3", prompt=Q1, options=["a", "b", "c"], gold=[0.3, 0.4, 0.3], group="Chile"),
    OptionItem(id="4", prompt=Q2, options=["a", "b"], gold=[0.9, 0.1], group="Japan"),
]
LOGPS = {Q1: [-0.5, -1.5, -3.0], Q2: [-2.0, -0.2]}


def outputs_for(items, masses=None):
    return [[from_option_output(OptionOutput(tuple(LOGPS[it["prompt"]]), (masses or {}).get(it["id"], 0.8)))] for it in items]


def test_requests_dedupe_by_prompt_and_carry_labels():
    reqs = FAMILY.requests(TASK, ITEMS)
    assert reqs[0][0] == reqs[1][0] == reqs[2][0] != reqs[3][0]
    assert reqs[0][0].option_labels() == ("A", "B", "C") and reqs[3][0].option_labels() == ("A", "B")
    assert reqs[0][0].answer_prefix == "Answer:"


def test_scores_equal_scipy():
    scored = FAMILY.score(TASK, ITEMS, outputs_for(ITEMS), seed=0)
    preds = {q: softmax(v) for q, v in LOGPS.items()}
    expected2 = [jensenshannon(preds[it["prompt"]], it["gold"], base=2) for it in ITEMS]
    expected_e = [jensenshannon(preds[it["prompt"]], it["gold"]) for it in ITEMS]
    overall = scored.metrics["overall"]
    assert overall["jsd_base2"]["value"] == pytest.approx(np.mean(expected2), abs=1e-12)
    assert overall["jsd_natural"]["value"] == pytest.approx(np.mean(expected_e), abs=1e-12)
    assert overall["similarity"]["value"] == pytest.approx(1 - np.mean(expected2), abs=1e-12)
    assert overall["entropy_model"]["value"] == pytest.approx(
        np.mean([scipy_entropy(preds[it["prompt"]], base=2) for it in ITEMS]), abs=1e-12)
    assert overall["entropy_human"]["value"] == pytest.approx(np.mean([scipy_entropy(it["gold"], base=2) for it in ITEMS]))
    assert overall["jsd_base2"]["ci_low"] <= overall["jsd_base2"]["value"] <= overall["jsd_base2"]["ci_high"]
    japan = scored.metrics["groups"]["country"]["Japan"]
    assert japan["n"] == 2
    assert japan["metrics"]["jsd_base2"]["value"] == pytest.approx((expected2[0] + expected2[3]) / 2, abs=1e-12)
    ties = sum(int(np.sum(np.asarray(it["gold"]) == max(it["gold"]))) > 1 for it in ITEMS)
    assert scored.metrics["counts"] == {"items": 4, "scored": 4, "excluded_no_option_mass": 0, "unique_prompts": 2,
                                        "groups": 3, "human_modal_ties": ties}
    sample = scored.samples[0]
    assert sample["model_distribution"] == pytest.approx(list(preds[Q1]))
    assert sample["metrics"]["jsd_base2"] == pytest.approx(expected2[0])


def test_baselines_by_hand():
    scored = FAMILY.score(TASK, ITEMS, outputs_for(ITEMS), seed=0)
    base = scored.metrics["baselines"]
    uniform = [jensenshannon(np.full(len(it["gold"]), 1 / len(it["gold"])), it["gold"], base=2) for it in ITEMS]
    assert base["uniform"]["jsd_base2"]["value"] == pytest.approx(np.mean(uniform), abs=1e-12)
    # Leave-one-out marginal: item 1 is compared with the mean of items 2 and 3; item 4 has no peer.
    g = [np.array(it["gold"]) for it in ITEMS]
    loo = [jensenshannon((g[1] + g[2]) / 2, g[0], base=2), jensenshannon((g[0] + g[2]) / 2, g[1], base=2),
           jensenshannon((g[0] + g[1]) / 2, g[2], base=2)]
    assert base["marginal_loo"]["jsd_base2"]["n"] == 3
    assert base["marginal_loo"]["jsd_base2"]["value"] == pytest.approx(np.mean(loo), abs=1e-12)
    # The two-option question's shuffle must swap the options.
    swapped = softmax(LOGPS[Q2])[::-1]
    shuffled_q2 = jensenshannon(swapped, ITEMS[3]["gold"], base=2)
    shuffled = FAMILY.score(TASK, ITEMS[3:], outputs_for(ITEMS[3:]), seed=5).metrics["baselines"]["shuffled"]
    assert shuffled["jsd_base2"]["value"] == pytest.approx(shuffled_q2, abs=1e-12)


def test_derangement_moves_every_option():
    rng = np.random.default_rng(0)
    for k in range(2, 7):
        for _ in range(50):
            perm = derangement(k, rng)
            assert sorted(perm) == list(range(k)) and not (perm == np.arange(k)).any()


def test_no_option_mass_is_excluded_not_replaced_by_uniform():
    items = ITEMS[:2]
    outs = [[from_option_output(OptionOutput((float("-inf"),) * 3, 0.0))], [from_option_output(OptionOutput(tuple(LOGPS[Q1]), 0.8))]]
    scored = FAMILY.score(TASK, items, outs, seed=0)
    assert scored.metrics["counts"]["excluded_no_option_mass"] == 1
    assert scored.samples[0]["model_distribution"] is None and "excluded" in scored.samples[0]
    assert scored.metrics["overall"]["jsd_base2"]["n"] == 1
    assert scored.metrics["coverage"]["min"] == 0.0


def test_scoring_is_deterministic():
    a = FAMILY.score(TASK, ITEMS, outputs_for(ITEMS), seed=3).metrics
    b = FAMILY.score(TASK, ITEMS, outputs_for(ITEMS), seed=3).metrics
    assert a == b
