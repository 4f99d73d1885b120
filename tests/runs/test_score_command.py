"""`pluralbench score`: predictions made elsewhere, scored to the reference definitions (scipy / sklearn
computed here), written as a valid run directory that names the predictions file instead of a model."""
import hashlib
import json

import numpy as np
import pytest
from scipy.spatial.distance import jensenshannon
from sklearn.metrics import accuracy_score, balanced_accuracy_score, f1_score

from conftest import assert_user_error, run_cli
from pluralbench.validation import validate_run_dir

pytestmark = pytest.mark.shared_data
MP = "modular_pluralism"


def score(tmp_path, env, task, predictions, *extra):
    result = run_cli(["score", "--task", task, "--predictions", str(predictions), "--output", str(tmp_path / "out"),
                      *extra], env=env)
    assert result.returncode == 0, result.stderr
    (run_dir,) = [d for d in (tmp_path / "out").iterdir() if d.name.startswith(task + "__")]
    problems, _ = validate_run_dir(run_dir)
    assert problems == []
    metrics = json.loads((run_dir / "metrics.json").read_text())
    manifest = json.loads((run_dir / "manifest.json").read_text())
    samples = [json.loads(line) for line in (run_dir / "samples.jsonl").read_text().splitlines()]
    return metrics, manifest, samples, result


def test_moralchoice_example_reproduces_the_reference_definitions(tmp_path, isolated_env, shared_data):
    path = shared_data / MP / "distributional_test_moralchoice_example.json"
    rows = json.loads(path.read_text())
    metrics, manifest, samples, result = score(tmp_path, isolated_env, "distributional_moralchoice", path)
    # Modular Pluralism's evaluation: scipy's jensenshannon (natural log) and argmax agreement, averaged.
    jsd = [jensenshannon(r["pred_distribution"], r["gold_distribution"]) for r in rows]
    ml = [float(np.argmax(r["pred_distribution"]) == np.argmax(r["gold_distribution"])) for r in rows]
    assert metrics["overall"]["jsd_natural"]["value"] == pytest.approx(np.mean(jsd), abs=1e-9)
    assert metrics["overall"]["most_likely_match"]["value"] == pytest.approx(np.mean(ml), abs=1e-9)
    assert metrics["overall"]["jsd_base2"]["value"] == pytest.approx(
        np.mean([jensenshannon(r["pred_distribution"], r["gold_distribution"], base=2) for r in rows]), abs=1e-9)
    for level in ("low_ambiguity", "high_ambiguity"):
        idx = [k for k, r in enumerate(rows) if r["attribute"] == level]
        group = metrics["groups"]["ambiguity"][level]
        assert group["n"] == len(idx)
        assert group["metrics"]["jsd_natural"]["value"] == pytest.approx(np.mean([jsd[k] for k in idx]), abs=1e-9)
    assert metrics["counts"]["items"] == len(rows) == 1367
    assert metrics["reference_distributions"]["kind"] == "synthetic"
    assert 0.0 <= metrics["overall"]["entropy_auroc_high_vs_low"]["value"] <= 1.0
    # The manifest names the predictions file and its hash, not a model; there is no covered mass.
    assert "model" not in manifest
    assert manifest["predictions"]["sha256"] == hashlib.sha256(path.read_bytes()).hexdigest()
    assert manifest["predictions"]["format"] == "modular_pluralism" and manifest["counts"]["model_calls"] == 0
    assert metrics["elicitation"] == "external" and metrics["source"]["sha256"] == manifest["predictions"]["sha256"]
    assert samples[0]["covered_mass"] is None and metrics["coverage"]["unknown"] == 1367
    assert "jsd_base2 =" in result.stdout


def test_valueprism_generated_text_in_mp_format(tmp_path, isolated_env, shared_data):
    rows = json.loads((shared_data / MP / "steerable_test_valuekaleidoscope_small.json").read_text())[:60]
    rng = np.random.default_rng(0)
    texts = {"A": "A. Support", "B": "B", "C": "(C) Either", "X": "I cannot answer that."}
    predicted = [str(rng.choice(list("ABCX"))) for _ in rows]
    for row, label in zip(rows, predicted):
        row["output"] = texts[label]
    path = tmp_path / "vk_predictions.json"
    path.write_text(json.dumps(rows))
    metrics, manifest, samples, _ = score(tmp_path, isolated_env, "steerable_valueprism", path)
    gold = [r["label"] for r in rows]
    pred = ["unparseable" if p == "X" else p for p in predicted]
    overall = metrics["overall"]
    assert metrics["primary_mode"] == "generate" and list(metrics["modes"]) == ["generate"]
    assert overall["accuracy"]["value"] == pytest.approx(accuracy_score(gold, pred), abs=1e-12)
    assert overall["balanced_accuracy"]["value"] == pytest.approx(balanced_accuracy_score(gold, pred), abs=1e-12)
    assert overall["macro_f1"]["value"] == pytest.approx(f1_score(gold, pred, average="macro", zero_division=0),
                                                         abs=1e-12)
    keep = [k for k in range(len(gold)) if gold[k] != "C" and pred[k] != "C"]
    assert overall["binary_macro_f1"]["value"] == pytest.approx(
        f1_score([gold[k] for k in keep], [pred[k] for k in keep], average="macro", zero_division=0), abs=1e-12)
    assert metrics["counts"]["unparseable"] == pred.count("unparseable")
    assert "unparseable" in metrics["confusion_matrix"]["labels"]


def test_steerable_opinionqa_pred_distribution_in_mp_format(tmp_path, isolated_env, shared_data):
    rows = json.loads((shared_data / MP / "steerable_test_opinionqa_small.json").read_text())[:40]
    rng = np.random.default_rng(1)
    for row in rows:
        row["pred_distribution"] = rng.dirichlet(np.ones(len(row["options"]))).tolist()
    path = tmp_path / "oqa_predictions.json"
    path.write_text(json.dumps(rows))
    # The data directory supplies the ordinal positions (OpinionQA's info.csv), not the items.
    metrics, _, samples, _ = score(tmp_path, isolated_env, "steerable_opinionqa", path, "--data-dir", str(shared_data))
    scored = [r for r in rows if len(r["options"]) > 1]
    assert metrics["counts"]["items"] == len(scored)
    counts = metrics["counts"]
    assert counts["ordinal_positions_from_data"] + counts["ordinal_positions_option_order"] == len(scored)
    assert counts["ordinal_positions_reordered"] > 0  # the first 40 rows hold reordered questions
    assert list(metrics["styles"]) == ["external"] and "unsteered_most_likely_match" not in metrics["overall"]
    groups = {}
    for r in scored:
        groups.setdefault(r["attribute"], []).append(r)
    for g, members in groups.items():
        block = metrics["groups"]["group"][g]
        assert block["metrics"]["most_likely_match"]["value"] == pytest.approx(
            np.mean([np.argmax(r["pred_distribution"]) == np.argmax(r["gold_distribution"]) for r in members]))
        assert block["metrics"]["js_distance"]["value"] == pytest.approx(
            np.mean([jensenshannon(r["pred_distribution"], r["gold_distribution"], base=2) for r in members]),
            abs=1e-12)
    # Headline: categories averaged, each the mean of its groups.
    cats = {}
    for g, members in groups.items():
        cats.setdefault(g.split("_")[0], []).append(
            np.mean([np.argmax(r["pred_distribution"]) == np.argmax(r["gold_distribution"]) for r in members]))
    assert metrics["overall"]["most_likely_match"]["value"] == pytest.approx(np.mean([np.mean(v) for v in cats.values()]))


def test_mpi_predictions_join_the_task_data_by_id(tmp_path, isolated_env, shared_data):
    rng = np.random.default_rng(2)
    rows = [{"id": str(k), "pred_distribution": rng.dirichlet(np.ones(5)).tolist()} for k in range(120)]
    path = tmp_path / "mpi_predictions.json"
    path.write_text(json.dumps(rows))
    metrics, _, samples, _ = score(tmp_path, isolated_env, "distributional_mpi", path, "--data-dir", str(shared_data))
    import csv

    items = list(csv.DictReader((shared_data / "mpi" / "mpi_questions.csv").open(), delimiter="\t"))
    n_scores = [np.dot(r["pred_distribution"], [5, 4, 3, 2, 1]) for r in rows]
    n_scores = [s if int(it["key"]) == 1 else 6 - s for s, it in zip(n_scores, items)]
    neuro = [s for s, it in zip(n_scores, items) if it["label_ocean"] == "N"]
    assert metrics["trait_profile"]["N"]["score"] == pytest.approx(np.mean(neuro), abs=1e-12)
    assert metrics["trait_profile"]["N"]["spread"] == pytest.approx(np.std(neuro), abs=1e-12)
    assert metrics["human_comparison"]["status"] == "skipped"


def test_bad_predictions_fail_with_one_line(tmp_path, isolated_env, shared_data):
    rows = json.loads((shared_data / MP / "distributional_test_moralchoice_example.json").read_text())[:5]
    rows[3]["pred_distribution"] = [0.5]
    path = tmp_path / "bad.json"
    path.write_text(json.dumps(rows))
    result = run_cli(["score", "--task", "distributional_moralchoice", "--predictions", str(path), "--output",
                      str(tmp_path / "out")], env=isolated_env)
    assert_user_error(result, "bad.json row 3", "pred_distribution", "1 values but there are 2 options")
    stray = tmp_path / "samples.jsonl"
    stray.write_text(json.dumps({"id": "nope", "prompt_sha256": "0" * 64, "metrics": None}) + "\n")
    result = run_cli(["score", "--task", "distributional_mpi", "--predictions", str(stray), "--data-dir",
                      str(shared_data), "--output", str(tmp_path / "out")], env=isolated_env)
    assert_user_error(result, "samples.jsonl row 1 (id nope)", "not in the task's data")
