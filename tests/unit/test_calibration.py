"""`logprob_calibrated`: the temperature fit recovers a known temperature, every item is scored with a
temperature fitted without its question, and changing one item's human distribution never changes
the temperature that item is scored with (it changes other folds' instead)."""
from __future__ import annotations

import numpy as np
import pytest

from pluralbench.elicitation import OptionQuery, get_method
from pluralbench.elicitation.temperature import assign_folds, fit_temperature, mean_tv, padded, scaled
from pluralbench.errors import UserError


def synthetic(n_questions: int, temperature: float, seed: int = 0):
    """Questions whose human distribution is exactly softmax(log-probs / temperature)."""
    rng = np.random.default_rng(seed)
    queries, preds, refs = [], [], []
    for q in range(n_questions):
        k = int(rng.integers(2, 6))
        logps = np.log(rng.dirichlet(np.ones(k)) * 0.9)  # the labels cover 90% of the mass
        queries.append(OptionQuery(f"Question {q}?\nAnswer:", tuple(f"option {j}" for j in range(k)), "Answer:"))
        preds.append({"distribution": None, "covered_mass": 0.9, "label_logprobs": logps.tolist()})
        refs.append(scaled(logps[None, :], temperature)[0].tolist())
    return queries, preds, refs


def test_the_fit_recovers_a_known_temperature():
    _, preds, refs = synthetic(40, 2.5)
    logps, targets = padded([p["label_logprobs"] for p in preds], refs)
    fitted = fit_temperature(logps, targets)
    assert fitted == pytest.approx(2.5, rel=1e-3)
    assert mean_tv(logps, targets, fitted) < 1e-3


def test_each_item_is_scored_with_a_temperature_fitted_without_its_question():
    queries, preds, refs = synthetic(23, 0.5)
    method = get_method("logprob_calibrated", seed=7)
    final, record = method.finalize(queries, preds, refs)
    assert record["k_folds"] == 5 and len(record["fold_temperatures"]) == 5
    assert sum(record["fold_items"]) == 23 and all(n >= 4 for n in record["fold_items"])  # dealt round-robin
    for pred, out in zip(preds, final):
        fold = out["calibration"]["fold"]
        assert out["calibration"]["temperature"] == record["fold_temperatures"][fold]
        assert out["label_logprobs"] == pred["label_logprobs"] and out["covered_mass"] == 0.9
        expected = scaled(np.asarray(pred["label_logprobs"])[None, :], out["calibration"]["temperature"])[0]
        assert out["distribution"] == pytest.approx(expected.tolist(), abs=1e-12)
    assert all(t == pytest.approx(0.5, rel=1e-3) for t in record["fold_temperatures"])


def test_perturbing_one_items_target_leaves_its_own_temperature_unchanged():
    queries, preds, refs = synthetic(30, 1.7, seed=3)
    method = get_method("logprob_calibrated:5", seed=0)
    before, record_before = method.finalize(queries, preds, refs)
    for victim in (0, 11, 29):
        changed = list(refs)
        changed[victim] = [1.0] + [0.0] * (len(refs[victim]) - 1)  # all mass on the first option
        after, record_after = method.finalize(queries, preds, changed)
        assert after[victim]["calibration"] == before[victim]["calibration"]
        others = [f for f in range(5) if f != before[victim]["calibration"]["fold"]]
        # The perturbed item is training data for every other fold, and moves their temperatures.
        assert all(record_after["fold_temperatures"][f] != record_before["fold_temperatures"][f] for f in others)


def test_items_of_one_question_share_a_fold_and_a_prediction():
    queries, preds, refs = synthetic(8, 1.0)
    # Question 0 asked of three populations: one query, one prediction object, three references.
    queries3 = [queries[0]] * 3 + queries[1:]
    preds3 = [preds[0]] * 3 + preds[1:]
    refs3 = [refs[0], [0.5, 0.5] + [0.0] * (len(refs[0]) - 2), refs[0]] + refs[1:]
    final, _ = get_method("logprob_calibrated").finalize(queries3, preds3, refs3)
    assert final[0] is final[1] is final[2]
    folds = assign_folds(["q0", "q0", "q1", "q2"], 2, seed=0)
    assert set(folds) == {"q0", "q1", "q2"} and sorted(folds.values()) == [0, 0, 1]


def test_items_without_reference_or_mass_are_scored_but_not_fitted_on():
    queries, preds, refs = synthetic(10, 1.0)
    refs[2] = None
    preds[3] = {"distribution": None, "covered_mass": 0.0, "label_logprobs": [float("-inf")] * len(queries[3].options)}
    final, record = get_method("logprob_calibrated").finalize(queries, preds, refs)
    assert final[2]["distribution"] is not None  # scored with its fold's temperature
    assert final[3]["distribution"] is None  # no mass: still no answer, never a uniform guess
    assert sum(record["fold_fitted_on"]) == 8 * (5 - 1)


def test_too_few_questions_is_a_user_error():
    queries, preds, refs = synthetic(1, 1.0)
    with pytest.raises(UserError, match="at least two questions"):
        get_method("logprob_calibrated").finalize(queries * 2, preds * 2, refs * 2)
    with pytest.raises(UserError, match="number of folds"):
        get_method("logprob_calibrated:x")
