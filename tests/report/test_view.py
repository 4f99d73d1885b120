"""`pluralbench view` without a browser: the pure pieces (item reduction, JSON for a script element, reference
rows, the country chart) against hand-worked cases, and every shipped task's stored samples (tests/golden)
turned into a page."""
import json

from report_runs import golden_runs


def test_rounding_keeps_four_significant_digits_and_drops_non_finite():
    from pluralbench.report.view_items import rounded

    assert rounded({"a": [0.123456, 1234.5678, float("nan")], "b": 3, "c": "x"}) == {
        "a": [0.1235, 1235.0, None], "b": 3, "c": "x"}


def test_series_of_a_steered_row_and_a_jury_row():
    from pluralbench.report.view_items import extras, human_series, model_series

    steered = {"id": "1", "human_distribution": [0.5, 0.5], "population_marginal": [0.4, 0.6],
               "styles": {"QA": {"model_distribution": [0.9, 0.1], "covered_mass": 0.7, "label_logprobs": [-1, -2],
                                 "metrics": {"js_distance": 0.3}}},
               "unsteered": {"model_distribution": [0.2, 0.8], "covered_mass": 0.5}, "prompt_sha256": "x"}
    assert human_series(steered) == {"people": [0.5, 0.5], "population marginal": [0.4, 0.6]}
    assert model_series(steered) == ({"QA": [0.9, 0.1], "unsteered": [0.2, 0.8]}, {"QA": 0.7, "unsteered": 0.5})
    assert extras(steered) == {"styles": {"QA": {"metrics": {"js_distance": 0.3}}}}
    jury = {"id": "q", "human_distributions": {"Spain": [1, 0], "Japan": [0, 1]}, "model_distribution": [0.5, 0.5]}
    assert human_series(jury) == {"Spain": [1, 0], "Japan": [0, 1]}
    assert model_series(jury) == ({"model": [0.5, 0.5]}, {})


def test_overton_rows_name_each_values_best_sentence():
    from pluralbench.report.view_items import extras

    row = {"id": "1", "sentences": ["First.", "Second."], "vrds": [{"text": "Justice", "best_sentence": 1, "score": 0.4}],
           "judge_scores": [[0.1, 0.4]]}
    assert extras(row)["vrds"] == [{"text": "Justice", "best_sentence": "Second.", "score": 0.4}]
    assert "judge_scores" not in extras(row)
    assert row["vrds"][0]["best_sentence"] == 1  # the sample itself is left as it was


def test_json_for_a_script_element_cannot_end_it():
    from pluralbench.report.view_page import json_for_script

    document = {"x": "</script><script>alert(1)</script> <!-- & \u2028"}
    text = str(json_for_script(document))
    assert "<" not in text and ">" not in text and "&" not in text
    assert json.loads(text) == document


def test_reference_rows_from_any_nesting_and_the_country_chart():
    from pluralbench.report.view_summary import country_chart, value_rows

    block = {"jsd": {"uniform": {"value": 0.4, "ci_low": 0.3, "ci_high": 0.5, "n": 10, "direction": "lower"},
                     "split_half": {"value": None, "n": 0}}, "note": "text"}
    assert [(r["path"], r["value"]) for r in value_rows(block)] == [(["jsd", "uniform"], 0.4), (["jsd", "split_half"], None)]
    rows = [{"name": "A", "cells": [{"value": 0.2, "ci_low": 0.1, "ci_high": 0.4, "direction": "lower"}]},
            {"name": "B", "cells": [{"value": 0.1, "ci_low": 0.05, "ci_high": 0.2, "direction": "lower"}]},
            {"name": "C", "cells": [None]}]
    chart = country_chart(rows, ["jsd"])
    assert [b["name"] for b in chart["bars"]] == ["B", "A"]  # best first for lower-is-better
    assert chart["bars"][1] == {"name": "A", "value": 0.2, "width": 50.0, "lo": 25.0, "hi": 100.0}


def test_every_shipped_tasks_samples_make_a_page(tmp_path):
    from pluralbench.cli import main

    runs = golden_runs(tmp_path / "runs")
    assert main(["view", str(runs), "--out", str(tmp_path / "page")]) == 0
    html = (tmp_path / "page" / "view.html").read_text()
    start = html.index('<script type="application/json" id="view-data">') + len('<script type="application/json" id="view-data">')
    data = json.loads(html[start:html.index("</script>", start)])
    expected = sum(len((run / "samples.jsonl").read_text().splitlines()) for run in runs.iterdir())
    assert sum(len(r["entries"]) for r in data["runs"]) == expected
    assert {r["task"] for r in data["runs"]} >= {"overton_valueprism", "jury_polis", "tradeoff_values",
                                                   "steerable_valueprism", "distributional_mpi"}
    assert "Groups: country" in html and 'class="chart"' in html


def test_no_runs_is_one_line_error(tmp_path):
    from conftest import assert_user_error, run_cli

    (tmp_path / "empty").mkdir()
    assert_user_error(run_cli(["view", str(tmp_path / "empty"), "--out", str(tmp_path / "page")]),
                      str(tmp_path / "empty"), "holds no run directories")
    assert not (tmp_path / "page").exists()


def test_a_prediction_asked_in_another_order_is_drawn_in_the_items_order():
    from pluralbench.report.view_items import item_options, model_series

    row = {"id": "55", "orders": {
        "to_do_first": {"options": ["Yes", "No"], "model_distribution": [0.6, 0.4], "covered_mass": 0.85},
        "not_to_do_first": {"options": ["No", "Yes"], "model_distribution": [0.49, 0.51], "covered_mass": 0.9}}}
    assert item_options(row) == ["Yes", "No"]
    assert model_series(row) == ({"to_do_first": [0.6, 0.4], "not_to_do_first": [0.51, 0.49]},
                                 {"to_do_first": 0.85, "not_to_do_first": 0.9})
