"""compare on a metric some items do not have (Overton coverage of rights in a situation without
rights): only items that have it in both runs are paired, the others are counted out, and the
outputs stay valid JSON and readable Markdown."""
import json

import numpy as np
import pytest
from scipy import stats

from pluralbench.report.compare import compare_runs
from pluralbench.report.write_compare import write_outputs
from report_runs import write_run


def add_samples(run_dir, rows):
    lines = [json.dumps({"id": sid, "prompt_sha256": f"p{sid}", "group": group, "metrics": m})
             for sid, group, m in rows]
    (run_dir / "samples.jsonl").write_text("\n".join(lines) + "\n")


def test_items_without_a_metric_are_left_out_of_its_pairs(tmp_path):
    cov_a = [0.2, 0.3, 0.4, 0.5, 0.6, 0.1]
    cov_b = [0.5, 0.4, 0.6, 0.9, 0.7, 0.3]
    right_a = [0.1, None, 0.3, None, 0.5, 0.2]  # no rights in items 1 and 3
    right_b = [0.4, None, 0.2, None, 0.9, 0.6]
    runs = []
    for name, cov, right in (("a", cov_a, right_a), ("b", cov_b, right_b)):
        d = write_run(tmp_path / name, f"model-{name}", {"coverage": float(np.mean(cov))}, task="overton_valueprism",
                      items=6)
        add_samples(d, [(str(i), "g1" if i < 3 else "g2", {"coverage": c, "coverage_right": r})
                        for i, (c, r) in enumerate(zip(cov, right))])
        runs.append(d)
    result = compare_runs(runs[0], runs[1], resamples=200)
    right = result["overall"]["coverage_right"]
    kept = [i for i, r in enumerate(right_a) if r is not None]
    diffs = np.array([right_b[i] - right_a[i] for i in kept])
    assert right["n_rows"] == 4
    assert right["a"] == pytest.approx(np.mean([right_a[i] for i in kept]))
    assert right["diff"] == pytest.approx(diffs.mean())
    assert right["p_value"] == pytest.approx(stats.wilcoxon(diffs).pvalue)
    assert result["overall"]["coverage"]["n_rows"] == 6
    # group g1 has rights on items 0 and 2; a group where no item has the metric reports nothing, not NaN
    assert result["groups"]["g1"]["coverage_right"]["n_rows"] == 2

    written = write_outputs(result, tmp_path / "out", "A", "B")
    parsed = json.loads(written["compare.json"].read_text())  # strict JSON: a NaN would fail here
    assert parsed["overall"]["coverage_right"]["n_rows"] == 4
    assert "| coverage\\_right |" in written["compare.md"].read_text()


def test_a_group_without_the_metric_shows_dashes(tmp_path):
    runs = []
    for name, shift in (("a", 0.0), ("b", 0.1)):
        d = write_run(tmp_path / name, f"model-{name}", {"coverage": 0.5}, task="overton_valueprism", items=4)
        add_samples(d, [(str(i), "only" if i < 2 else "other",
                         {"coverage": 0.3 + 0.1 * i + shift * (i % 2 + 1),
                          "coverage_duty": None if i < 2 else 0.2 + shift * i}) for i in range(4)])
        runs.append(d)
    result = compare_runs(runs[0], runs[1], resamples=50)
    assert result["groups"]["only"]["coverage_duty"] == {
        "a": None, "b": None, "diff": None, "diff_ci_low": None, "diff_ci_high": None, "p_value": None,
        "n_rows": 0, "n_units": 0}
    written = write_outputs(result, tmp_path / "out", "A", "B")
    json.loads(written["compare.json"].read_text())
