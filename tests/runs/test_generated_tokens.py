"""Every run records how many tokens the model generated (manifest counts `generated_tokens`, this run's,
and `generated_tokens_total`, every answer it used): on the real embedded SmolLM2, a `sampled:3` run counts
the tokens of its samples' texts, a `logprob` run counts 0, and a run answered from the cache or resumed
from its journal reports the same total; the elicitation report shows the column."""
from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from conftest import run_cli

pytestmark = [pytest.mark.model, pytest.mark.shared_data]


def args(data_dir: Path, output: Path, methods: str) -> list[str]:
    return ["run", "--model", "embedded:smollm2-135m-instruct", "--tasks", "distributional_globalopinionqa",
            "--limit", "2", "--elicit", methods, "--data-dir", str(data_dir), "--output", str(output), "--no-progress"]


def by_method(output: Path) -> dict[str, Path]:
    return {json.loads((d / "manifest.json").read_text())["elicitation_method"]["spec"]: d
            for d in output.iterdir() if (d / "manifest.json").is_file()}


def counts(run_dir: Path) -> dict:
    return json.loads((run_dir / "manifest.json").read_text())["counts"]


def journalled_samples(run_dir: Path) -> list[str]:
    values = [json.loads(line)["output"] for line in (run_dir / "journal.jsonl").read_text().splitlines() if line]
    return [text for samples in values for text in samples]


@pytest.fixture(scope="module")
def first(tmp_path_factory, shared_data):
    root = tmp_path_factory.mktemp("tokens")
    env = dict(os.environ, PLURALBENCH_CACHE=str(root / "cache"), OMP_NUM_THREADS="1")
    env.pop("PLURALBENCH_DATA", None)
    done = run_cli(args(shared_data, root / "out", "logprob,sampled:3"), env=env)
    assert done.returncode == 0, done.stderr
    return root, env, done


def test_a_sampled_run_counts_the_tokens_of_its_samples(first, smollm2):
    root, _, done = first
    run_dir = by_method(root / "out")["sampled:3"]
    c = counts(run_dir)
    texts = journalled_samples(run_dir)
    assert len(texts) == 3 * c["unique_requests"] and c["model_calls"] == c["unique_requests"]
    # Independently: the model's own tokenizer on each sample's text, no special tokens.
    expected = sum(len(smollm2.tokenizer.encode(t, add_special_tokens=False)) for t in texts)
    assert expected > 0
    assert c["generated_tokens"] == c["generated_tokens_total"] == expected
    assert f"{expected} tokens generated" in done.stdout


def test_a_logprob_run_generates_zero_tokens(first):
    root, _, done = first
    c = counts(by_method(root / "out")["logprob"])
    assert c["generated_tokens"] == 0 and c["generated_tokens_total"] == 0  # zero, not missing
    assert "tokens generated" not in next(line for line in done.stdout.splitlines() if "jsd_base2" in line
                                           and "[sampled" not in line)


def test_a_cached_or_resumed_run_reports_the_same_total(first, shared_data):
    root, env, _ = first
    total = counts(by_method(root / "out")["sampled:3"])["generated_tokens_total"]
    cached = run_cli(args(shared_data, root / "again", "sampled:3"), env=env)  # another output: all from the cache
    assert cached.returncode == 0, cached.stderr
    c = counts(by_method(root / "again")["sampled:3"])
    assert c["model_calls"] == 0 and c["cache_hits"] == c["unique_requests"]
    assert (c["generated_tokens"], c["generated_tokens_total"]) == (0, total)

    run_dir = by_method(root / "again")["sampled:3"]
    (run_dir / "samples.jsonl").unlink()  # unfinished: the next command resumes it from its journal alone
    resumed = run_cli(args(shared_data, root / "again", "sampled:3"),
                      env=dict(env, PLURALBENCH_CACHE=str(root / "empty-cache")))
    assert resumed.returncode == 0, resumed.stderr
    c = counts(run_dir)
    assert c["journal_hits"] == c["unique_requests"] and c["model_calls"] == 0
    assert (c["generated_tokens"], c["generated_tokens_total"]) == (0, total)


def test_the_elicitation_report_shows_generated_tokens(first):
    root, _, _ = first
    (report_dir,) = [d for d in (root / "out").iterdir() if d.name.startswith("elicitation__")]
    report = json.loads((report_dir / "elicitation.json").read_text())
    (section,) = report["sections"]
    sampled = section["by_method"]["sampled:3"]["cost"]
    total = counts(by_method(root / "out")["sampled:3"])["generated_tokens_total"]
    assert sampled["generated_tokens_total"] == sampled["generated_tokens"] == total
    assert section["by_method"]["logprob"]["cost"]["generated_tokens_total"] == 0
    lines = (report_dir / "elicitation.md").read_text().splitlines()
    header = cells(next(line for line in lines if line.startswith("| method | TV")))
    column = header.index("generated tokens")
    assert header[column - 1:] == ["model calls", "generated tokens", "seconds"]
    rows = {cells(line)[0]: cells(line) for line in lines  # the methods table, not the reference points below it
            if line.startswith("| `") and len(cells(line)) == len(header)}
    assert rows["`sampled:3`"][column] == str(total) and rows["`logprob`"][column] == "0"


def cells(line: str) -> list[str]:
    return [c.strip() for c in line.strip().strip("|").split("|")]
