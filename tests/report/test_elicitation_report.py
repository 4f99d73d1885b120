"""The elicitation report's numbers against independent calculations: TV, JSD and the SimBench-style
score per row, paired differences on the rows two methods share, CIs that resample prompts."""
from __future__ import annotations

import numpy as np
import pytest
from scipy.spatial.distance import jensenshannon

from pluralbench.metrics.bootstrap import bootstrap_mean_ci
from pluralbench.report.elicitation import BOOTSTRAP, item_values, mean_block, paired_block
from pluralbench.report.write_elicitation import to_markdown

HUMAN = {"q1": [0.7, 0.3], "q2": [0.2, 0.5, 0.3]}


def sample(sid, group, prompt, model, human):
    return {"id": sid, "group": group, "prompt_sha256": prompt, "model_distribution": model,
            "human_distribution": human}


def rows(models: dict) -> list[dict]:
    """Two rows (countries) share prompt q1, as GlobalOpinionQA rows of one question do."""
    return [sample("1", "Peru", "q1", models["q1"], [0.7, 0.3]), sample("1b", "Japan", "q1", models["q1"], [0.4, 0.6]),
            sample("2", "Peru", "q2", models["q2"], [0.2, 0.5, 0.3]),
            {"id": "3", "group": "Peru", "prompt_sha256": "q3", "model_distribution": None,
             "human_distribution": [0.5, 0.5], "excluded": "no readable answer (parse_failure)"}]


def test_per_row_distances_match_hand_and_scipy():
    v = item_values(rows({"q1": [1.0, 0.0], "q2": [0.2, 0.2, 0.6]}))
    assert v.keys == [("1", "Peru"), ("1b", "Japan"), ("2", "Peru")]  # the excluded row is not scored
    assert v.prompts == ["q1", "q1", "q2"]
    assert np.allclose(v.tv, [0.3, 0.6, 0.3])  # 0.5 * (|1-.7| + |0-.3|), 0.5 * (.6 + .6), 0.5 * (0 + .3 + .3)
    assert np.allclose(v.jsd, [jensenshannon([1, 0], [0.7, 0.3], base=2), jensenshannon([1, 0], [0.4, 0.6], base=2),
                               jensenshannon([0.2, 0.2, 0.6], [0.2, 0.5, 0.3], base=2)])
    assert np.allclose(v.tv_uniform, [0.2, 0.1, 0.5 * (abs(0.2 - 1 / 3) + abs(0.5 - 1 / 3) + abs(0.3 - 1 / 3))])


def test_mean_block_resamples_prompts():
    block = mean_block([0.3, 0.6, 0.3], ["q1", "q1", "q2"], seed=3)
    assert block["value"] == pytest.approx(0.4) and block["n"] == 3 and block["clusters"] == 2
    low, high = bootstrap_mean_ci([0.3, 0.6, 0.3], ["q1", "q1", "q2"], resamples=BOOTSTRAP["resamples"],
                                  level=BOOTSTRAP["level"], seed=3)
    assert (block["ci_low"], block["ci_high"]) == (low, high)
    assert mean_block([], [], seed=0) is None


def test_paired_differences_on_the_shared_rows():
    a = item_values(rows({"q1": [1.0, 0.0], "q2": [0.2, 0.2, 0.6]}))
    b_rows = rows({"q1": [0.6, 0.4], "q2": [0.2, 0.5, 0.3]})[:1] + rows({"q1": [0.6, 0.4], "q2": [0.2, 0.5, 0.3]})[2:]
    b = item_values(b_rows)  # B has no row for Japan
    p = paired_block("logprob", "sampled:20", a, b, seed=0)
    assert (p["rows"], p["prompts"]) == (2, 2)
    tv_b = np.array([0.1, 0.0])  # Peru q1: 0.5 * (.1 + .1); q2 exact
    tv_a = np.array([0.3, 0.3])
    assert p["tv_diff"]["value"] == pytest.approx(np.mean(tv_b - tv_a))
    norm = np.mean([0.2, a.tv_uniform[2]])  # SimBench's norm: the mean uniform TV of the shared rows
    assert p["simbench_diff"]["value"] == pytest.approx(np.mean(100 * (1 - tv_b / norm) - 100 * (1 - tv_a / norm)))
    assert p["jsd_diff"]["value"] < 0  # B is closer


def test_markdown_shows_each_method_and_pair():
    a = item_values(rows({"q1": [1.0, 0.0], "q2": [0.2, 0.2, 0.6]}))
    block = {"tv": mean_block(a.tv, a.prompts, 0), "jsd": None, "simbench_score": None, "scored_rows": 3,
             "parse_rate": 0.5, "cost": {"model_calls": 2, "generated_tokens": 10, "generated_tokens_total": 30,
                                         "total_s": 1.25}}
    report = {"bootstrap": BOOTSTRAP | {"seed": 0},
              "sections": [{"task": "t_x", "model": "m|1", "methods": ["logprob", "verbalized"],
                            "by_method": {"logprob": block, "verbalized": block},
                            "paired": [paired_block("logprob", "verbalized", a, a, 0)]}]}
    text = to_markdown(report)
    assert "## t\\_x — `m|1`" in text
    assert "| `verbalized` | 0.4000 [" in text and "| 3 | 0.500 | 2 | 30 (10 this run) | 1.2 |" in text
    assert "| `logprob` | `verbalized` | 3 (2) | 0.0000 [0.0000, 0.0000]" in text


@pytest.mark.parametrize("cost, shown", [
    ({"generated_tokens": 0, "generated_tokens_total": 0}, "0"),  # a log-prob read-out generates nothing
    ({"generated_tokens": 27, "generated_tokens_total": 27}, "27"),
    ({"generated_tokens": 0, "generated_tokens_total": 27}, "27 (0 this run)"),  # answered from the cache
    ({"generated_tokens": None, "generated_tokens_total": None}, "—"),  # a server that reports no usage
    ({}, "—"),  # a run made before the count existed
])
def test_generated_tokens_cell(cost, shown):
    from pluralbench.report.write_elicitation import tokens_cell

    assert tokens_cell(cost) == shown


@pytest.mark.parametrize("js_base, jsd_shown", [("2", 0.33), ("e", None)])
def test_a_steering_run_reports_its_recorded_best_style_numbers(tmp_path, js_base, jsd_shown):
    """Steering rows hold one distribution per style, so the report reads what the run recorded: its TV, its
    JS distance only when base 2 (the report's JSD), and its own count of scored rows."""
    from pluralbench.report.elicitation import method_block
    from pluralbench.report.results import RunResult

    overall = {"tv": {"value": 0.32, "ci_low": 0.28, "ci_high": 0.35, "n": 100},
               "js_distance": {"value": 0.33, "ci_low": 0.29, "ci_high": 0.36, "n": 100}}
    run = RunResult(tmp_path, {"run_id": "r", "overall": overall, "counts": {"items": 100, "scored": 97}},
                    {"metric_parameters": {"js_base": js_base}, "counts": {}, "timings": {}})
    steering_rows = [{"id": "1", "group": "g", "style_distributions": {"QA": [0.5, 0.5]}}]
    block = method_block(run, item_values(steering_rows), 0)
    assert block["tv"]["value"] == 0.32 and block["scored_rows"] == 97
    assert (block["jsd"] or {}).get("value") == jsd_shown
