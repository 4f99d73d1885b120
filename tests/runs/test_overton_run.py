"""`pluralbench run` on the Overton task end to end: real SmolLM2 generations (few tokens), real
judges, real ValuePrism data. Judge and direction are recorded and separate run directories; a
re-run costs nothing; a run whose journals were cut short resumes to the same numbers."""
import json
from pathlib import Path

import numpy as np
import pytest

from conftest import REPO, assert_user_error, run_cli
from judge_fixtures import build_plumbing_nli
from pluralbench.validation import validate_run_dir

pytestmark = [pytest.mark.model, pytest.mark.shared_data]
MODEL = "embedded:smollm2-135m-instruct"


@pytest.fixture(scope="module")
def small_task(tmp_path_factory) -> Path:
    """The shipped task file with few new tokens, so a test generates in seconds."""
    text = (REPO / "tasks" / "overton_valueprism.yaml").read_text()
    assert "max_new_tokens: 256" in text
    path = tmp_path_factory.mktemp("tasks") / "overton_small.yaml"
    path.write_text(text.replace("max_new_tokens: 256", "max_new_tokens: 20")
                    .replace("name: overton_valueprism", "name: overton_small"))
    return path


def run(tmp_path, env, shared_data, task, *extra, output="results", limit="3"):
    args = ["run", "--model", MODEL, "--tasks", str(task), "--limit", limit, "--data-dir", str(shared_data),
            "--output", str(tmp_path / output), "--no-progress", *extra]
    result = run_cli(args, env=env)
    assert result.returncode == 0, result.stderr
    return result


def only_dir(root: Path) -> Path:
    dirs = [d for d in root.iterdir() if d.is_dir()]
    assert len(dirs) == 1, dirs
    return dirs[0]


def load(run_dir: Path, name: str):
    if name.endswith(".jsonl"):
        return [json.loads(line) for line in (run_dir / name).read_text().splitlines()]
    return json.loads((run_dir / name).read_text())


def test_run_records_the_judge_and_is_reproducible_from_its_directory(tmp_path, isolated_env, shared_data,
                                                                      small_task, smollm2):
    first = run(tmp_path, isolated_env, shared_data, small_task)
    run_dir = only_dir(tmp_path / "results")
    problems, facts = validate_run_dir(run_dir)
    assert problems == [] and facts["samples"] == 3
    manifest, metrics, samples = load(run_dir, "manifest.json"), load(run_dir, "metrics.json"), load(run_dir, "samples.jsonl")
    assert "[judge embedding, explanation_entails_sentence]" in first.stdout

    judge = metrics["judge"]
    assert judge["name"] == "embedding" and judge["direction"] == "explanation_entails_sentence"
    assert metrics["parameters"]["judge"] == judge and manifest["judge"]["fingerprint"]["weights"]["files_sha256"]
    assert metrics["parameters"]["generation"]["max_new_tokens"] == 20
    assert metrics["parameters"]["generation"]["temperature"] == 0.0
    assert manifest["counts"]["model_calls"] == 3 and manifest["counts"]["judge_calls"] > 0
    assert manifest["elicitation"]["resolved"] == "chat"
    # A generation family's cost: its answers' tokens, by the model's own tokenizer on the journalled texts.
    texts = [json.loads(line)["output"] for line in (run_dir / "journal.jsonl").read_text().splitlines()]
    expected = sum(len(smollm2.tokenizer.encode(t, add_special_tokens=False)) for t in texts)
    assert len(texts) == 3 and manifest["counts"]["generated_tokens"] == manifest["counts"]["generated_tokens_total"]
    assert manifest["counts"]["generated_tokens_total"] == expected > 0

    # Every number in metrics.json follows from samples.jsonl alone (independent recomputation).
    situation = []
    for s in samples:
        assert s["response"] and s["prompt"].startswith("Please comment on the following situation:")
        assert s["judge"] == {"name": "embedding", "fingerprint_id": judge["fingerprint_id"],
                              "direction": judge["direction"]}
        matrix = np.asarray(s["judge_scores"], dtype=float).reshape(len(s["vrds"]), len(s["sentences"]))
        per_vrd = matrix.max(axis=1) if matrix.shape[1] else np.zeros(len(s["vrds"]))
        assert [v["score"] for v in s["vrds"]] == pytest.approx(per_vrd.tolist())
        situation.append(per_vrd.mean())
        assert s["metrics"]["coverage"] == pytest.approx(per_vrd.mean())
    overall = metrics["overall"]
    assert overall["coverage"]["value"] == pytest.approx(np.mean(situation))
    assert overall["accuracy_at_0.33"]["value"] == pytest.approx(np.mean(np.asarray(situation) > 0.33))
    for kind in ("value", "right", "duty"):
        per = [np.mean([v["score"] for v in s["vrds"] if v["kind"] == kind]) for s in samples
               if any(v["kind"] == kind for v in s["vrds"])]
        assert overall[f"coverage_{kind}"]["value"] == pytest.approx(np.mean(per))
        assert overall[f"coverage_{kind}"]["ci_low"] <= overall[f"coverage_{kind}"]["ci_high"]
    c = overall["coverage"]
    assert 0 <= c["ci_low"] <= c["value"] <= c["ci_high"] <= 1 and c["n"] == 3
    curve = {p["threshold"]: p["value"] for p in metrics["coverage_curve"]}
    assert curve[0.5] == pytest.approx(np.mean(np.asarray(situation) > 0.5)) and len(curve) == 21

    # The same command again: answered from the run directory, no model load or call, identical files.
    before = {p.name: p.read_bytes() for p in run_dir.iterdir() if p.is_file()}
    again = run(tmp_path, isolated_env, shared_data, small_task)
    assert {p.name: p.read_bytes() for p in run_dir.iterdir() if p.is_file()} == before
    assert "0 model calls" in again.stdout and "finished earlier" in again.stderr

    # The other direction and another judge: new run directories; generations come from the cache.
    run(tmp_path, isolated_env, shared_data, small_task, "--judge-direction", "sentence_entails_explanation",
        output="flipped")
    flipped = only_dir(tmp_path / "flipped")
    assert flipped.name != run_dir.name
    fm, fc = load(flipped, "metrics.json"), load(flipped, "manifest.json")["counts"]
    assert fm["judge"]["direction"] == fm["parameters"]["direction"] == "sentence_entails_explanation"
    assert fc["model_calls"] == 0 and fc["cache_hits"] == 3 and fc["judge_calls"] > 0
    # MiniLM cosine is symmetric, so the coverage barely moves with the direction.
    assert fm["overall"]["coverage"]["value"] == pytest.approx(overall["coverage"]["value"], abs=1e-5)

    nli_dir = build_plumbing_nli(tmp_path / "plumbing-nli", {0: "entailment", 1: "neutral", 2: "contradiction"})
    run(tmp_path, isolated_env, shared_data, small_task, "--judge", f"nli:{nli_dir}", output="nli")
    nli_run = only_dir(tmp_path / "nli")
    nm = load(nli_run, "metrics.json")
    assert nli_run.name.rsplit("__", 1)[1] != run_dir.name.rsplit("__", 1)[1]
    assert nm["judge"]["name"] == "nli" and nm["judge"]["fingerprint_id"] != judge["fingerprint_id"]
    assert load(nli_run, "manifest.json")["counts"]["model_calls"] == 0


def test_a_run_cut_short_resumes_generation_and_judging_to_the_same_numbers(tmp_path, isolated_env, shared_data,
                                                                           small_task):
    spec = "embedding:,batch_size=8"  # several judge batches, so the journal can stop between them
    run(tmp_path, isolated_env, shared_data, small_task, "--judge", spec, "--no-cache")
    run_dir = only_dir(tmp_path / "results")
    before = (run_dir / "metrics.json").read_bytes()
    total_pairs = load(run_dir, "manifest.json")["counts"]["judge_unique_pairs"]
    assert total_pairs > 16

    # As if killed after two judge batches and before any generation was journalled (a torn last line too).
    lines = (run_dir / "judgements.jsonl").read_text().splitlines(keepends=True)
    (run_dir / "judgements.jsonl").write_text("".join(lines[:16]) + lines[16][:25])
    (run_dir / "journal.jsonl").write_text("")
    for name in ("metrics.json", "samples.jsonl"):
        (run_dir / name).unlink()

    run(tmp_path, isolated_env, shared_data, small_task, "--judge", spec, "--no-cache")
    counts = load(run_dir, "manifest.json")["counts"]
    assert counts["model_calls"] == 3
    assert counts["judge_journal_hits"] == 16 and counts["judge_calls"] == total_pairs - 16
    assert (run_dir / "metrics.json").read_bytes() == before


def test_judge_errors_are_one_line_and_come_before_the_model(tmp_path, isolated_env, shared_data):
    from pluralbench.judges.hf_hub import hub_reachable, in_hub_cache

    bad = run_cli(["run", "--model", MODEL, "--tasks", "overton_valueprism", "--judge", "oracle", "--limit", "2",
                   "--data-dir", str(shared_data), "--output", str(tmp_path / "r")], env=isolated_env)
    assert_user_error(bad, "unknown judge 'oracle'", "embedding, kaleido, llm, nli")
    if hub_reachable() or in_hub_cache("microsoft/deberta-v2-xlarge-mnli", None):
        pytest.skip("the hub is reachable here: the offline error cannot be shown")
    offline = run_cli(["run", "--model", MODEL, "--tasks", "overton_valueprism", "--judge", "nli", "--limit", "2",
                       "--data-dir", str(shared_data), "--output", str(tmp_path / "r")], env=isolated_env)
    line = assert_user_error(offline, "microsoft/deberta-v2-xlarge-mnli", "Offline judges: embedding", "llm:")
    assert "loaded embedded" not in offline.stderr and not (tmp_path / "r").exists()
    assert len(line) < 400


def test_judge_eval_reports_auroc_and_warns_at_chance(tmp_path, isolated_env, shared_data):
    nli_dir = build_plumbing_nli(tmp_path / "plumbing-nli", {0: "CONTRADICTION", 1: "NEUTRAL", 2: "ENTAILMENT"})
    result = run_cli(["judge-eval", "--judge", "embedding", "--judge", f"nli:{nli_dir}", "--limit", "6",
                      "--data-dir", str(shared_data), "--output", str(tmp_path / "out"), "--no-progress",
                      "--resamples", "300"], env=isolated_env)
    assert result.returncode == 0, result.stderr
    records = {json.loads(p.read_text())["judge"]["name"]: json.loads(p.read_text())
               for p in (tmp_path / "out" / "judge-eval").glob("*.json")}
    emb, nli = records["embedding"], records["nli"]
    assert emb["pairs"]["n"] == nli["pairs"]["n"] > 30 and emb["judge"]["direction"] == "explanation_entails_sentence"
    assert emb["auroc"]["value"] > 0.7 and emb["warning"] is None
    assert emb["score_gap"]["value"] == pytest.approx(emb["matched_mean"] - emb["mismatched_mean"])
    assert "embedding" in result.stdout and f"nli:{nli_dir}" in result.stdout
    # The random-head NLI model: whatever its AUROC, the printed warning agrees with the recorded verdict.
    a = nli["auroc"]
    near_chance = abs(a["value"] - 0.5) < 0.05 or a["ci_low"] <= 0.5 <= a["ci_high"]
    assert (nli["warning"] is not None) == (near_chance or a["ci_high"] < 0.5)
    assert ("WARNING: judge nli:" in result.stdout) == (nli["warning"] is not None)
    # Scores were cached: a second evaluation makes no judge call.
    again = run_cli(["judge-eval", "--judge", "embedding", "--limit", "6", "--data-dir", str(shared_data),
                     "--output", str(tmp_path / "out2"), "--no-progress", "--resamples", "300"], env=isolated_env)
    assert again.returncode == 0, again.stderr
    record = json.loads(next((tmp_path / "out2" / "judge-eval").glob("*.json")).read_text())
    assert record["counts"]["judge_calls"] == 0 and record["auroc"] == emb["auroc"]
