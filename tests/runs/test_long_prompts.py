"""Prompts longer than the model's context, by policy (--on-long-prompt): skip the item, truncate the
prompt's beginning, or stop. Never silent: counted in manifest.json and metrics.json and said on stderr;
the run id reflects what was evaluated; `error` leaves no run directory behind.

The real embedded SmolLM2 with its context lowered to 96 tokens (the hf adapter's max_length option);
one of three GlobalOpinionQA-shaped items has a ~410-token question, the others ~52 tokens.
"""
from __future__ import annotations

import json

import pytest

from conftest import assert_user_error, mc_row, write_mc_file
from pluralbench.cli import main

pytestmark = pytest.mark.model

GOQA = "modular_pluralism/distributional_test_globalopinionqa_small.json"
TASK = "distributional_globalopinionqa"
CONTEXT = 96
MODEL = f"embedded:smollm2-135m-instruct,max_length={CONTEXT}"
LONG_QUESTION = ("Question: " + "The committee discussed the proposal at great length. " * 40
                 + "Is it true?\nOptions: A. Yes B. No C. Maybe\nAnswer:")


@pytest.fixture(scope="module")
def data_dir(tmp_path_factory):
    root = tmp_path_factory.mktemp("long")
    rows = [mc_row(1), mc_row(2, question=LONG_QUESTION), mc_row(3, attribute="Peru")]
    write_mc_file(root / GOQA, rows)
    return root


def run(data_dir, output, policy, capsys):
    code = main(["run", "--model", MODEL, "--tasks", TASK, "--data-dir", str(data_dir), "--output", str(output),
                 "--no-progress", "--no-cache", "--on-long-prompt", policy])
    captured = capsys.readouterr()
    return code, captured


def read(run_dir, name):
    path = run_dir / name
    if name.endswith(".jsonl"):
        return [json.loads(line) for line in path.read_text().splitlines()]
    return json.loads(path.read_text())


def test_policies(data_dir, tmp_path, capsys, smollm2):
    # The long item really is longer than the context, the others fit, by the model's own token count.
    sizes = [smollm2.prompt_tokens(smollm2.render(q, "chat", "Answer:"))
             for q in (mc_row(1)["question"], LONG_QUESTION, mc_row(3)["question"])]
    assert sizes[0] <= CONTEXT and sizes[2] <= CONTEXT < sizes[1]

    # skip: the long item is left out, counted and named, and said on stderr.
    code, out = run(data_dir, tmp_path / "skip", "skip", capsys)
    assert code == 0, out.err
    [skip_dir] = list((tmp_path / "skip").iterdir())
    assert "1 items skipped and 0 truncated" in out.err and f"context of {CONTEXT} tokens" in out.err
    metrics, manifest = read(skip_dir, "metrics.json"), read(skip_dir, "manifest.json")
    for report in (metrics["long_prompts"], manifest["long_prompts"]):
        assert report["policy"] == "skip" and report["context_length"] == CONTEXT and report["checked"] is True
        assert report["skipped_items"] == 1 and report["skipped_ids"] == ["2"] and report["truncated_items"] == 0
        assert report["longest_prompt_tokens"] == sizes[1]
    assert [s["id"] for s in read(skip_dir, "samples.jsonl")] == ["1", "3"]
    assert metrics["counts"]["items"] == 2 and manifest["data"]["items_used"] == 2

    # truncate: every item is evaluated; the long one with its beginning cut so that it fits.
    code, out = run(data_dir, tmp_path / "truncate", "truncate", capsys)
    assert code == 0, out.err
    [trunc_dir] = list((tmp_path / "truncate").iterdir())
    assert "0 items skipped and 1 truncated" in out.err
    report = read(trunc_dir, "metrics.json")["long_prompts"]
    assert report["policy"] == "truncate" and report["truncated_ids"] == ["2"] and report["skipped_items"] == 0
    samples = read(trunc_dir, "samples.jsonl")
    assert [s["id"] for s in samples] == ["1", "2", "3"]
    assert all(s["model_distribution"] is not None for s in samples)
    assert read(trunc_dir, "manifest.json")["counts"]["model_calls"] == 3
    # Short items get the same answer as under `skip` (up to float rounding from another batch composition).
    skipped = {s["id"]: s["model_distribution"] for s in read(skip_dir, "samples.jsonl")}
    for s in samples:
        if s["id"] != "2":
            assert s["model_distribution"] == pytest.approx(skipped[s["id"]], abs=1e-5)

    # A different set of items (or prompts) is a different run: its own id and directory.
    assert skip_dir.name != trunc_dir.name

    # error: one line naming the item, exit 2, and no run directory at all.
    code, out = run(data_dir, tmp_path / "error", "error", capsys)
    assert_user_error(type("R", (), {"returncode": code, "stderr": out.err})(),
                      f"task {TASK}: item '2'", f"its prompt needs {sizes[1]} tokens",
                      f"more than the model's context of {CONTEXT}")
    assert not (tmp_path / "error").exists()
    assert main(["validate", str(skip_dir), str(trunc_dir)]) == 0  # the reports fit the results schemas


def test_merge_refuses_shards_that_skipped_items(data_dir, tmp_path, capsys):
    """Shards of a run that left items out (or cut prompts) cannot be merged as if they covered everything."""
    assert main(["run", "--model", MODEL, "--tasks", TASK, "--data-dir", str(data_dir), "--output",
                 str(tmp_path / "shards"), "--no-progress", "--no-cache", "--shard", "1/1"]) == 0
    [shard] = list((tmp_path / "shards").iterdir())
    capsys.readouterr()
    code = main(["merge", str(shard), "--output", str(tmp_path / "merged"), "--data-dir", str(data_dir)])
    result = type("R", (), {"returncode": code, "stderr": capsys.readouterr().err})()
    assert_user_error(result, str(shard), "(1 skipped, 0 truncated)", "merging such shards is not supported")
    assert not (tmp_path / "merged").exists()


def test_truncation_keeps_the_end_and_fits(smollm2):
    from pluralbench.models import load_model
    from pluralbench.runner.long_prompts import apply_long_prompt_policy
    from pluralbench.core.records import ModelRequest

    small = load_model(MODEL)
    items = [{"id": "a"}, {"id": "b"}]
    reqs = [[ModelRequest(op="options", prompt=mc_row(1)["question"], labels=("A", "B", "C"),
                          answer_prefix="Answer:")],
            [ModelRequest(op="options", prompt=LONG_QUESTION, labels=("A", "B", "C"), answer_prefix="Answer:")]]
    kept, kept_reqs, report = apply_long_prompt_policy(small, "chat", "t", items, reqs, "truncate")
    assert [i["id"] for i in kept] == ["a", "b"] and report.truncated == ["b"]
    assert kept_reqs[0] == reqs[0]  # what fits is untouched
    cut = kept_reqs[1][0].prompt
    assert LONG_QUESTION.endswith(cut) and len(cut) < len(LONG_QUESTION)  # the beginning went, the end stayed
    fits = small.prompt_tokens(small.render(cut, "chat", "Answer:"))
    one_more = small.prompt_tokens(small.render(LONG_QUESTION[-len(cut) - 1:], "chat", "Answer:"))
    assert fits <= CONTEXT < one_more  # the fewest characters removed
