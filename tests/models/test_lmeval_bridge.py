"""lmeval:TYPE,ARGS wraps a real lm-eval 0.4 LM (its HFLM on the embedded SmolLM2's weights) and must
agree with the in-process transformers adapter on the same weights."""
from __future__ import annotations

import json
import math

import pytest

pytest.importorskip("lm_eval", reason="lm-eval is not installed (./scripts/setup.sh installs it)")

from pluralbench.cli import main  # noqa: E402
from pluralbench.errors import UserError  # noqa: E402
from pluralbench.models import load_model  # noqa: E402
from pluralbench.models.lmeval_bridge import label_continuation  # noqa: E402

PROMPTS = [
    "Question: Is the sky blue?\nOptions: A. Yes B. No C. Maybe\nAnswer:",
    "Question: Should taxes on the rich be raised?\nOptions: A. Agree B. Disagree\nAnswer:",
]


@pytest.fixture(scope="module")
def smollm2_dir():
    from pluralbench.models.embedded import EMBEDDED_MODELS
    from pluralbench.models.hf import converted_gguf_dir

    return converted_gguf_dir(EMBEDDED_MODELS["smollm2-135m-instruct"].locate())


@pytest.fixture(scope="module")
def lmeval_smollm2(smollm2_dir):
    return load_model(f"lmeval:hf,pretrained={smollm2_dir},dtype=float32,batch_size=4")


def test_label_continuation():
    assert label_continuation("Answer:", "A") == " A"
    assert label_continuation("Answer: ", "A") == "A"
    assert label_continuation("Pick one\n", "B") == "B"


@pytest.mark.parametrize("elicitation", ["completion", "chat"])
def test_option_logprobs_equal_transformers_loglikelihoods(lmeval_smollm2, smollm2, elicitation):
    labels = [("A", "B", "C"), ("A", "B")]
    ours = [lmeval_smollm2.render(p, elicitation, "Answer:") for p in PROMPTS]
    theirs = [smollm2.render(p, elicitation, "Answer:") for p in PROMPTS]
    assert [r.text for r in ours] == [r.text for r in theirs]  # lm-eval's chat template is the tokenizer's
    outs = lmeval_smollm2.option_distributions(ours, labels)
    for out, rendered, labs in zip(outs, theirs, labels):
        expected = smollm2.loglikelihoods([rendered] * len(labs), [" " + lab for lab in labs])
        assert list(out.label_logprobs) == pytest.approx(expected, abs=1e-4)
        assert out.covered_mass == pytest.approx(sum(math.exp(v) for v in expected), rel=1e-4)


def test_fingerprint_hashes_the_local_weights(lmeval_smollm2, smollm2_dir):
    fp = lmeval_smollm2.fingerprint()
    assert fp["engine"] == "lm-eval" and fp["engine_version"] == "0.4.13" and fp["model_type"] == "hf"
    assert len(fp["weights"]["local_dir_sha256"]) == 64
    assert fp["model_args"]["device"] == "cpu"  # HFLM asserts on CUDA without it


def test_unknown_model_type_is_a_user_error():
    with pytest.raises(UserError, match="lm-eval has no model type 'no-such-backend'"):
        load_model("lmeval:no-such-backend,pretrained=x")


def test_run_a_task_through_lmeval(smollm2_dir, shared_data, tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("PLURALBENCH_CACHE", str(tmp_path / "cache"))
    out = tmp_path / "out"
    assert main(["run", "--model", f"lmeval:hf,pretrained={smollm2_dir},dtype=float32", "--tasks",
                 "distributional_globalopinionqa", "--limit", "6", "--data-dir", str(shared_data), "--output", str(out),
                 "--no-progress"]) == 0
    [run_dir] = list(out.iterdir())
    assert main(["validate", str(run_dir)]) == 0
    manifest = json.loads((run_dir / "manifest.json").read_text())
    assert manifest["model"]["adapter"] == "lmeval" and manifest["elicitation"]["resolved"] == "chat"
    samples = [json.loads(l) for l in (run_dir / "samples.jsonl").read_text().splitlines()]
    assert len(samples) == 6 and all(abs(sum(s["model_distribution"]) - 1) < 1e-9 for s in samples)
    assert all(0 < s["covered_mass"] <= 1 for s in samples)


def test_greedy_generation_matches_transformers(lmeval_smollm2, smollm2):
    from pluralbench.models.base import GenerationSettings

    settings = GenerationSettings(max_new_tokens=10)
    ours = lmeval_smollm2.generate([lmeval_smollm2.render(PROMPTS[0], "chat", "Answer:")], settings)
    theirs = smollm2.generate([smollm2.render(PROMPTS[0], "chat", "Answer:")], settings)
    assert ours == theirs and ours[0].strip()
