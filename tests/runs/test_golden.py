"""Refactors keep results: every shipped task's outputs, made by the code before the scoring-core
redesign (tests/golden, regenerated only by a commit that lists the numbers it changes), must come out
of today's code identical (floats to 1e-12), from the stored model answers and with zero model calls:
the prompts, request keys, samples, metrics, `score` re-scoring, compare and leaderboard files."""
from __future__ import annotations

import json

import pytest

from golden.golden import ANSWERS, STORE, compare_text, execute, load_answers

pytestmark = [pytest.mark.model, pytest.mark.shared_data]


@pytest.fixture(scope="module")
def rerun(tmp_path_factory, shared_data):
    root = tmp_path_factory.mktemp("golden")
    stored = load_answers(ANSWERS, root / "cache")
    texts, counts = execute(root / "out", root / "cache", shared_data)
    return stored, texts, counts


def test_every_golden_output_is_reproduced(rerun):
    _, texts, _ = rerun
    expected = {p.parent.name: None for p in STORE.glob("*/*")}
    assert set(texts) == set(expected), "the plan's outputs differ from the stored ones"
    problems = []
    for name, files in sorted(texts.items()):
        for fname, text in files.items():
            stored = (STORE / name / fname).read_text(encoding="utf-8")
            diffs = compare_text(fname, stored, text)
            problems += [f"{name}/{fname}: {d}" for d in diffs[:5]]
    assert not problems, "\n".join(problems[:40])


def test_golden_runs_make_no_model_call(rerun):
    """Same prompts, same request keys: every answer comes from the stored ones."""
    stored, _, counts = rerun
    assert stored > 0
    calls = {name: c.get("model_calls") for name, c in counts.items() if c.get("model_calls")}
    judged = {name: c.get("judge_calls") for name, c in counts.items() if c.get("judge_calls")}
    assert not calls and not judged, json.dumps({"model_calls": calls, "judge_calls": judged})
