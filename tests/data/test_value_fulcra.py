"""Value FULCRA: the loader against independent tallies of the real file, the value-recognition scores
pinned to sklearn, the judge benchmark's AUROC, and a run on the embedded SmolLM2 checked against its
own samples.jsonl."""
from __future__ import annotations

import json
from collections import Counter

import numpy as np
import pytest
from sklearn.metrics import accuracy_score, balanced_accuracy_score, f1_score, roc_auc_score
from sklearn.metrics import confusion_matrix as sk_confusion

from conftest import assert_user_error, run_cli
from pluralbench.data.value_fulcra import SCHWARTZ_TYPES, load_value_fulcra
from pluralbench.errors import DataError
from pluralbench.metrics.bootstrap import bootstrap_statistic_ci
from pluralbench.taskfile import get_task

FILE = "value_fulcra/trustworthy_data.jsonl"
SIGN_TEXT = {"+1": 1, "-1": -1, "1": 1, "1+": 1, "=1": 1}
SKLEARN_LABELS = [1, -1, 0]
# Per-type subsets often lack a class the model predicts; sklearn warns, and both sides score it the same way.
pytestmark = pytest.mark.filterwarnings("ignore:y_pred contains classes not in y_true")


def independent_labels(rows: list[dict]) -> list[dict]:
    """Each row's signs per type, read here without the loader: {type: set of signs}."""
    out = []
    for row in rows:
        named: dict[str, set] = {}
        for entry in row["value_types"]:
            name, sign = entry.split(":")
            named.setdefault(name.strip(), set()).add(SIGN_TEXT[sign.strip()])
        out.append(named)
    return out


@pytest.fixture(scope="module")
def fulcra(shared_data):
    path = shared_data / FILE
    rows = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
    return path, rows, load_value_fulcra(path, {})


@pytest.mark.shared_data
def test_loader_matches_independent_tallies(fulcra):
    path, rows, dataset = fulcra
    assert len(rows) == len(dataset.items) == dataset.checks["rows"] == 1718
    raw_signs = Counter(entry.split(":")[1].strip() for row in rows for entry in row["value_types"])
    assert raw_signs == {"+1": 3861, "-1": 407, "1": 108, "1+": 1, "=1": 1}  # SOURCES.md section 12
    assert dataset.checks["signs_read_as_plus_1"] == {k: raw_signs[k] for k in ("1", "1+", "=1")}
    assert dataset.checks["value_type_entries"] == sum(raw_signs.values())
    named = independent_labels(rows)
    assert dataset.checks["rows_without_value_types"] == sum(not n for n in named) == 1
    mixed = sum(len(signs) > 1 for n in named for signs in n.values())
    assert dataset.checks["mixed_sign_pairs"] == mixed == 29
    repeats = sum(len(row["value_types"]) - len(n) for row, n in zip(rows, named)) - mixed
    assert dataset.checks["repeated_same_sign"] == repeats == 3
    assert dataset.checks["spacing_or_case_normalised"] == 0
    # SOURCES.md's per-type counts (benevolence 1,363) count entries: 15 rows name benevolence twice.
    entries = Counter(entry.split(":")[0].strip() for row in rows for entry in row["value_types"])
    assert entries["benevolence"] == 1363 and entries["hedonism"] == 4 and set(entries) == set(SCHWARTZ_TYPES)
    assert sum("benevolence" in n for n in named) == 1348
    for value_type in SCHWARTZ_TYPES:  # label counts per type, from the loader and from the raw rows
        expected = Counter()
        for n in named:
            signs = n.get(value_type, {0})
            expected[next(iter(signs)) if len(signs) == 1 else None] += 1
        assert Counter(it["labels"][value_type] for it in dataset.items) == expected, value_type
    sources = Counter(it["response_source"] for it in dataset.items)
    assert sources["gemini"] == 432 and sources["meta-llama/Llama-2-7b-chat-hf"] == 296 and len(sources) == 5
    assert [it["id"] for it in dataset.items[:3]] == ["1", "2", "3"] and dataset.items[0]["dialogue"] == rows[0]["dialogue"]


@pytest.mark.parametrize("line, fragments", [
    ("not json", ["line 2", "not valid JSON"]),
    ('["a list"]', ["line 2", "expected a JSON object"]),
    ('{"dialogue": "", "response_source": "x", "value_types": []}', ["line 2", "field 'dialogue'"]),
    ('{"dialogue": "Human: a\\nBob: b", "value_types": []}', ["line 2", "field 'response_source'"]),
    ('{"dialogue": "Human: a\\nBob: b", "response_source": "x", "value_types": "power: +1"}',
     ["line 2", "field 'value_types'", "expected a list"]),
    ('{"dialogue": "Human: a\\nBob: b", "response_source": "x", "value_types": ["kindness: +1"]}',
     ["line 2", "field 'value_types'", "unknown Schwartz value type 'kindness'"]),
    ('{"dialogue": "Human: a\\nBob: b", "response_source": "x", "value_types": ["power: 2"]}',
     ["line 2", "field 'value_types'", "sign '2'"]),
    ('{"dialogue": "Human: a\\nBob: b", "response_source": "x", "value_types": ["power +1"]}',
     ["line 2", "field 'value_types'", "not 'value type: sign'"]),
])
def test_loader_errors_name_file_line_and_field(tmp_path, line, fragments):
    path = tmp_path / "fulcra.jsonl"
    good = {"dialogue": "Human: hi\nBob: hello", "response_source": "x", "value_types": ["Power :  1"]}
    path.write_text(json.dumps(good) + "\n" + line + "\n", encoding="utf-8")
    with pytest.raises(DataError) as err:
        load_value_fulcra(path, {})
    message = str(err.value)
    assert str(path) in message and "\n" not in message
    for fragment in fragments:
        assert fragment in message


def test_loader_normalises_spacing_case_and_counts(tmp_path):
    path = tmp_path / "fulcra.jsonl"
    rows = [{"dialogue": "Human: a\nBob: b", "response_source": "x", "value_types": ["Power :  1", "power: +1",
                                                                                     "security: -1", "security: =1"]}]
    path.write_text("\n".join(json.dumps(r) for r in rows) + "\n\n", encoding="utf-8")
    dataset = load_value_fulcra(path, {})
    labels = dataset.items[0]["labels"]
    assert labels["power"] == 1 and labels["security"] is None and labels["benevolence"] == 0
    assert dataset.checks == {"rows": 1, "value_type_entries": 4, "signs_read_as_plus_1": {"1": 1, "1+": 0, "=1": 1},
                                   "spacing_or_case_normalised": 1, "repeated_same_sign": 1, "mixed_sign_pairs": 1,
                                   "rows_without_value_types": 0}


@pytest.mark.shared_data
def test_bad_fulcra_file_is_one_line_before_any_model(tmp_path, isolated_env):
    data = tmp_path / "data"
    (data / "modular_pluralism").mkdir(parents=True)
    (data / "value_fulcra").mkdir()
    (data / FILE).write_text('{"dialogue": "Human: a\\nBob: b", "response_source": "x", "value_types": ["x: +1"]}\n')
    result = run_cli(["run", "--model", "embedded:smollm2-135m-instruct", "--tasks", "value_fulcra_recognition",
                      "--data-dir", str(data), "--output", str(tmp_path / "out")], env=isolated_env)
    assert_user_error(result, "trustworthy_data.jsonl line 1", "field 'value_types'", "unknown Schwartz value type")
    assert "loaded embedded" not in result.stderr


def synthetic_predictions(items, seed=0, missing=()):
    """Random option distributions per (dialogue, type); positions in `missing` get no option mass."""
    rng = np.random.default_rng(seed)
    return [[{"distribution": None, "covered_mass": None, "label_logprobs": None} if (d, k) in missing else
             {"distribution": rng.dirichlet([1.0, 0.5, 2.0]).tolist(), "covered_mass": float(rng.uniform(0.3, 1)),
              "label_logprobs": None} for k in range(len(SCHWARTZ_TYPES))] for d in range(len(items))]


def pairs_from_samples(samples):
    """(dialogue id, source, type, gold, predicted) for every pair with a gold label and a prediction."""
    return [(s["id"], s["response_source"], t, b["gold"], b["predicted"]) for s in samples
            for t, b in s["value_types"].items() if b["gold"] is not None and b["predicted"] is not None]


def sk_scores(gold, pred) -> dict:
    return {"accuracy": accuracy_score(gold, pred), "balanced_accuracy": balanced_accuracy_score(gold, pred),
            "macro_f1": f1_score(gold, pred, average="macro")}


def assert_scores(block: dict, gold, pred):
    for name, value in sk_scores(gold, pred).items():
        assert block[name]["value"] == pytest.approx(value, abs=1e-12), name
        assert block[name]["n"] == len(gold)


@pytest.mark.shared_data
def test_recognition_scores_equal_sklearn(fulcra):
    _, _, dataset = fulcra
    task = get_task("value_fulcra_recognition")
    family = task.family_impl()
    items = dataset.items[:120]
    scored = family.score_predictions(task, items, synthetic_predictions(items, missing={(0, 0), (5, 8)}), seed=3)
    m, pairs = scored.metrics, pairs_from_samples(scored.samples)
    gold, pred = [p[3] for p in pairs], [p[4] for p in pairs]
    assert_scores(m["overall"], gold, pred)
    headline = m["headline"]  # what docs/tasks.md lists for the task
    assert family.headline_metric(task) == (headline, m["overall"][headline]["direction"]) == ("macro_f1", "higher")
    assert m["confusion_matrix"]["labels"] == ["+1", "-1", "0"]
    assert m["confusion_matrix"]["matrix"] == sk_confusion(gold, pred, labels=SKLEARN_LABELS).tolist()
    majority = Counter(gold).most_common(1)[0][0]
    assert_scores(m["baselines"]["majority_class"], gold, [majority] * len(gold))
    own = {t: Counter(g for (_, _, tt, g, _) in pairs if tt == t).most_common(1)[0][0] for t in SCHWARTZ_TYPES}
    assert_scores(m["baselines"]["type_majority"], gold, [own[p[2]] for p in pairs])
    for t in SCHWARTZ_TYPES:
        sub = [p for p in pairs if p[2] == t]
        assert_scores(m["groups"]["value_type"][t]["metrics"], [p[3] for p in sub], [p[4] for p in sub])
        assert m["confusion_matrices"]["value_type"][t]["matrix"] == sk_confusion(
            [p[3] for p in sub], [p[4] for p in sub], labels=SKLEARN_LABELS).tolist()
    for source, block in m["groups"]["response_source"].items():
        sub = [p for p in pairs if p[1] == source]
        assert_scores(block["metrics"], [p[3] for p in sub], [p[4] for p in sub])
    counts = m["counts"]
    assert counts["items"] == 120 and counts["pairs"] == 120 * len(SCHWARTZ_TYPES)
    assert counts["excluded_no_option_mass"] == 2 and counts["scored_pairs"] == len(pairs)
    assert counts["excluded_mixed_sign"] == sum(v is None for it in items for v in it["labels"].values())


@pytest.mark.shared_data
def test_recognition_cis_resample_dialogues(fulcra):
    """The overall CI is the percentile bootstrap over dialogues of sklearn's statistic."""
    _, _, dataset = fulcra
    task = get_task("value_fulcra_recognition")
    items = dataset.items[:40]
    scored = task.family_impl().score_predictions(task, items, synthetic_predictions(items, seed=1), seed=7)
    pairs = pairs_from_samples(scored.samples)
    gold, pred = np.asarray([p[3] for p in pairs]), np.asarray([p[4] for p in pairs])
    clusters = [p[0] for p in pairs]
    low, high = bootstrap_statistic_ci(lambda k: balanced_accuracy_score(gold[k], pred[k]), len(pairs), clusters,
                                       resamples=1000, level=0.95, seed=7)
    block = scored.metrics["overall"]["balanced_accuracy"]
    assert (block["ci_low"], block["ci_high"]) == pytest.approx((low, high), abs=1e-12)
    unclustered = bootstrap_statistic_ci(lambda k: balanced_accuracy_score(gold[k], pred[k]), len(pairs), None,
                                         resamples=1000, level=0.95, seed=7)
    assert (block["ci_low"], block["ci_high"]) != pytest.approx(unclustered, abs=1e-6)


@pytest.mark.shared_data
def test_value_profiles_and_rescoring_from_samples(fulcra, tmp_path):
    _, _, dataset = fulcra
    task = get_task("value_fulcra_recognition")
    family = task.family_impl()
    items = dataset.items[:60]
    scored = family.score_predictions(task, items, synthetic_predictions(items, seed=2), seed=0)
    pairs = pairs_from_samples(scored.samples)
    for source, profile in scored.metrics["value_profiles"].items():
        for t, block in profile["value_types"].items():
            sub = [p for p in pairs if p[1] == source and p[2] == t]
            assert block["n"] == len(sub)
            for side, column in (("annotated", 3), ("model", 4)):
                signs = np.asarray([p[column] for p in sub], dtype=float)
                assert block[side]["mean_sign"]["value"] == pytest.approx(signs.mean(), abs=1e-12)
                assert block[side]["promote"]["value"] == pytest.approx((signs == 1).mean(), abs=1e-12)
                assert block[side]["oppose"]["value"] == pytest.approx((signs == -1).mean(), abs=1e-12)
    again = [family.prediction_from_sample(task, s, path=tmp_path, index=i, item=it)
             for i, (s, it) in enumerate(zip(scored.samples, items))]
    assert family.score_predictions(task, items, again, seed=0).metrics == scored.metrics


@pytest.mark.shared_data
def test_judge_benchmark_auroc_equals_sklearn(fulcra):
    from pluralbench.judges.fulcra_evaluation import build_pairs, summarise

    _, _, dataset = fulcra
    items = dataset.items[:80]
    pairs = build_pairs(items)
    assert len(pairs) == 80 * len(SCHWARTZ_TYPES)
    assert sum(p["expressed"] for p in pairs) == sum(v != 0 for it in items for v in it["labels"].values())
    rng = np.random.default_rng(0)
    expressed = np.asarray([p["expressed"] for p in pairs])
    scores = rng.uniform(size=len(pairs)) + 0.3 * expressed
    s = summarise(pairs, scores.tolist(), resamples=200, level=0.95, seed=0)
    assert s["auroc"]["value"] == pytest.approx(roc_auc_score(expressed, scores), abs=1e-12)
    assert s["score_gap"]["value"] == pytest.approx(scores[expressed].mean() - scores[~expressed].mean(), abs=1e-12)
    assert s["auroc"]["ci_low"] < s["auroc"]["value"] < s["auroc"]["ci_high"] and s["dialogues"] == 80
    benevolence = [k for k, p in enumerate(pairs) if p["value_type"] == "benevolence"]
    assert s["value_types"]["benevolence"]["auroc"]["value"] == pytest.approx(
        roc_auc_score(expressed[benevolence], scores[benevolence]), abs=1e-12)


@pytest.mark.model
@pytest.mark.shared_data
def test_run_on_smollm2_matches_its_samples(tmp_path, isolated_env, shared_data):
    out = tmp_path / "out"
    result = run_cli(["run", "--model", "embedded:smollm2-135m-instruct", "--tasks", "value_fulcra_recognition",
                      "--limit", "3", "--batch-size", "11", "--data-dir", str(shared_data), "--output", str(out),
                      "--no-progress"], env=isolated_env)
    assert result.returncode == 0, result.stderr
    (run_dir,) = out.iterdir()
    metrics = json.loads((run_dir / "metrics.json").read_text())
    samples = [json.loads(line) for line in (run_dir / "samples.jsonl").read_text().splitlines()]
    manifest = json.loads((run_dir / "manifest.json").read_text())
    assert manifest["data"]["checks"]["signs_read_as_plus_1"] == {"1": 108, "1+": 1, "=1": 1}
    assert [s["id"] for s in samples] == ["1", "2", "3"]
    for s in samples:  # every answer is the argmax of its stored distribution
        for block in s["value_types"].values():
            assert block["predicted"] == (1, -1, 0)[int(np.argmax(block["model_distribution"]))]
    pairs = pairs_from_samples(samples)
    assert metrics["counts"]["scored_pairs"] == len(pairs) == 3 * len(SCHWARTZ_TYPES)
    assert_scores(metrics["overall"], [p[3] for p in pairs], [p[4] for p in pairs])
    masses = [b["covered_mass"] for s in samples for b in s["value_types"].values()]
    assert metrics["overall"]["covered_mass"]["value"] == pytest.approx(np.mean(masses), abs=1e-12)
    assert metrics["headline"] == "macro_f1" and metrics["elicitation"] == "chat"


def test_task_is_listed_in_the_values_suite():
    from pluralbench.taskfile import expand_tasks, task_names

    assert "value_fulcra_recognition" in task_names()
    assert expand_tasks("values") == (["value_fulcra_recognition"], None)
    task = get_task("value_fulcra_recognition")
    assert task.family == "value_recognition" and task.data["local"]["format"] == "value_fulcra"
