"""Kaleido judge PLUMBING. The real checkpoints (allenai/kaleido-*) are gated on the hub and not
reachable here, so these tests build a tiny FLAN-T5-shaped seq2seq model with random weights (2
layers, the packaged MiniLM tokenizer). They check how inputs are built and outputs read; the
numbers they produce are noise and are never a result."""
from __future__ import annotations

import json

import numpy as np
import pytest
import torch

from conftest import assert_user_error, run_cli
from pluralbench.judges import load_judge
from pluralbench.judges.kaleido import CARD_TEMPLATES, fill, vrd_kind
from pluralbench.judges.minilm import packaged_minilm_dir

CONFIG_TEMPLATES = {  # the shape KaleidoSys reads from a checkpoint's config
    "relevance": {"template": "[Relevance]: ACTION | VRD: TEXT", "args": ["ACTION", "VRD", "TEXT"]},
    "valence": {"template": "[Valence]: ACTION | VRD: TEXT", "args": ["ACTION", "VRD", "TEXT"]},
}


def build_plumbing_kaleido(directory, templates=None):
    """A random 2-layer T5 with the MiniLM tokenizer, saved like a checkpoint. Plumbing only."""
    from transformers import AutoTokenizer, T5Config, T5ForConditionalGeneration

    tokenizer = AutoTokenizer.from_pretrained(str(packaged_minilm_dir()))
    config = T5Config(vocab_size=len(tokenizer), d_model=16, d_ff=32, d_kv=8, num_layers=2, num_decoder_layers=2,
                      num_heads=2, pad_token_id=tokenizer.pad_token_id, decoder_start_token_id=tokenizer.pad_token_id,
                      eos_token_id=tokenizer.sep_token_id, task_specific_params=templates)
    torch.manual_seed(0)
    T5ForConditionalGeneration(config).save_pretrained(directory)
    tokenizer.save_pretrained(directory)
    return directory


@pytest.fixture(scope="module")
def plumbing_dirs(tmp_path_factory):
    root = tmp_path_factory.mktemp("kaleido")
    return {"card": build_plumbing_kaleido(root / "card"),
            "config": build_plumbing_kaleido(root / "config", CONFIG_TEMPLATES)}


def test_inputs_follow_the_checkpoint_config_else_the_model_card(plumbing_dirs):
    card = load_judge(f"kaleido:{plumbing_dirs['card']}")
    assert card.template_source == {"relevance": "model card", "valence": "model card"}
    assert fill(card.templates["relevance"], "Do a pushup", "value", "Health") == \
        "[Relevance]:\tSituation: Do a pushup\tValue: Health"  # the model card's widget input
    assert fill(card.templates["valence"], "Do a pushup", "rights", "Right to rest") == \
        "[Valence]:\tSituation: Do a pushup\tRight: Right to rest"
    configured = load_judge(f"kaleido:{plumbing_dirs['config']}")
    assert configured.template_source == {"relevance": "checkpoint config", "valence": "checkpoint config"}
    # One pass: a situation that contains an arg name is not rewritten.
    assert fill(CONFIG_TEMPLATES["valence"], "Explain the TEXT to ACTION", "duty", "Duty to care") == \
        "[Valence]: Explain the TEXT to ACTION | Duty: Duty to care"
    assert configured.fingerprint_id() != card.fingerprint_id()
    assert vrd_kind("Duties") == "Duty" and CARD_TEMPLATES["relevance"]["args"][1] == "VRD"


def test_read_out_is_kaleidosys_get_probs(plumbing_dirs):
    """Decoder input [start, 0], last-position softmax over the vocabulary, class words' first tokens
    renormalised; batched and one-by-one agree (padding is masked)."""
    judge = load_judge(f"kaleido:{plumbing_dirs['card']},batch_size=3")
    triples = [("Biking to work instead of driving", "Value", "Health"), ("Lying to a friend", "Duty", "Duty to be honest"),
               ("Taking a long walk on a sunny afternoon with the dog", "Right", "Right to rest"),
               ("Eating", "Value", "Pleasure")]
    tokenizer, model = judge.tokenizer, judge.model
    manual = []
    for situation, kind, text in triples:
        enc = tokenizer([fill(judge.templates["valence"], situation, kind, text)], return_tensors="pt")
        with torch.inference_mode():
            logits = model(input_ids=enc.input_ids, attention_mask=enc.attention_mask,
                           decoder_input_ids=torch.tensor([[model.config.decoder_start_token_id, 0]])).logits
        probs = torch.softmax(logits[0, -1].double(), -1)
        ids = [tokenizer("Supports", add_special_tokens=False).input_ids[0],
               tokenizer("Opposes", add_special_tokens=False).input_ids[0],
               tokenizer("Either", add_special_tokens=False).input_ids[0]]
        manual.append((probs[ids] / probs[ids].sum()).numpy())
    valence = judge.valence(triples)
    np.testing.assert_allclose(valence, np.asarray(manual), atol=1e-6)
    np.testing.assert_allclose(valence.sum(axis=1), 1.0, atol=1e-12)
    relevance = judge.relevance(triples)
    assert relevance.shape == (4,) and ((relevance > 0) & (relevance < 1)).all()
    np.testing.assert_allclose(judge.score_pairs([(s, t) for s, k, t in triples if k == "Value"]),
                               relevance[[0, 3]], atol=1e-6)  # as a judge: premise = situation, kind Value


def test_spec_errors_are_one_line(tmp_path, plumbing_dirs):
    from pluralbench.errors import UserError

    with pytest.raises(UserError, match="needs a checkpoint"):
        load_judge("kaleido")
    with pytest.raises(UserError, match="unknown option"):
        load_judge(f"kaleido:{plumbing_dirs['card']},temperature=1")
    with pytest.raises(UserError, match="is not Value, Right or Duty"):
        load_judge(f"kaleido:{plumbing_dirs['card']},kind=virtue")
    missing = tmp_path / "no-such-checkpoint"
    missing.mkdir()
    with pytest.raises(UserError) as err:
        load_judge(f"kaleido:{missing}")
    assert str(err.value).startswith("Kaleido judge: could not load") and "\n" not in str(err.value)


@pytest.mark.shared_data
def test_judge_eval_and_valence_predictions_run_end_to_end(tmp_path, isolated_env, shared_data, plumbing_dirs):
    """judge-eval (both benchmarks) and kaleido-valence -> pluralbench score run with a Kaleido judge."""
    spec = f"kaleido:{plumbing_dirs['card']}"
    for benchmark in ("fulcra", "valueprism"):
        result = run_cli(["judge-eval", "--benchmark", benchmark, "--judge", spec, "--limit", "2", "--data-dir",
                          str(shared_data), "--output", str(tmp_path / "eval"), "--no-progress", "--resamples", "50"],
                         env=isolated_env)
        assert result.returncode == 0, result.stderr
    records = {p.name.split("__")[0]: json.loads(p.read_text()) for p in (tmp_path / "eval" / "judge-eval").iterdir()}
    assert records["fulcra"]["pairs"] == {"expressed": 6, "not_expressed": 16}
    assert records["fulcra"]["judge"]["name"] == "kaleido" and records["fulcra"]["dialogues"] == 2
    predictions = tmp_path / "kaleido_valence.json"
    made = run_cli(["kaleido-valence", "--judge", spec, "--limit", "5", "--data-dir", str(shared_data),
                    "--output", str(predictions)], env=isolated_env)
    assert made.returncode == 0, made.stderr
    rows = json.loads(predictions.read_text())
    assert len(rows) == 5 and all(abs(sum(r["pred_distribution"]) - 1) < 1e-9 for r in rows)
    scored = run_cli(["score", "--task", "steerable_valueprism", "--predictions", str(predictions), "--output",
                      str(tmp_path / "score")], env=isolated_env)
    assert scored.returncode == 0, scored.stderr
    (run_dir,) = (tmp_path / "score").iterdir()
    assert json.loads((run_dir / "metrics.json").read_text())["counts"]["items"] == 5
    wrong = run_cli(["kaleido-valence", "--judge", "embedding", "--data-dir", str(shared_data), "--output",
                     str(tmp_path / "x.json")], env=isolated_env)
    assert_user_error(wrong, "kaleido-valence needs a Kaleido checkpoint")
