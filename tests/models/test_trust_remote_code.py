"""A model directory that ships its own Python code runs it only when the model spec says
trust_remote_code=true: off by default and when set false (refused in one line, nothing executed), on
when asked (the code runs, as the user chose). Offline: a local directory whose config needs custom code."""
from __future__ import annotations


import pytest

from conftest import assert_user_error, mc_row, run_cli, write_custom_code_model, write_mc_file

GOQA = "modular_pluralism/distributional_test_globalopinionqa_small.json"


@pytest.fixture
def custom_model(tmp_path):
    marker = tmp_path / "MARKER"
    model = tmp_path / "custom_model"
    write_custom_code_model(model, marker)
    return model, marker


def run(tmp_path, env, spec):
    write_mc_file(tmp_path / "data" / GOQA, [mc_row(1)])
    env = dict(env, HF_HUB_OFFLINE="1", HF_HOME=str(tmp_path / "hf"), HF_MODULES_CACHE=str(tmp_path / "hf_modules"))
    return run_cli(["run", "--model", spec, "--tasks", "distributional_globalopinionqa", "--data-dir",
                    str(tmp_path / "data"), "--output", str(tmp_path / "out"), "--no-progress"], env=env)


@pytest.mark.parametrize("suffix", ["", ",trust_remote_code=false"])
def test_custom_code_is_refused_unless_asked_for(tmp_path, isolated_env, custom_model, suffix):
    model, marker = custom_model
    assert_user_error(run(tmp_path, isolated_env, f"hf:{model}{suffix}"), "needs custom code from its repository",
                      "trust_remote_code=true")
    assert not marker.exists()  # nothing from the directory ran
    assert not (tmp_path / "out").exists()


def test_lmeval_bridge_refuses_custom_code_too(tmp_path, isolated_env, custom_model):
    pytest.importorskip("lm_eval")
    model, marker = custom_model
    assert_user_error(run(tmp_path, isolated_env, f"lmeval:hf,pretrained={model}"),
                      "lm-eval model hf(", "needs custom code from its repository", "trust_remote_code=True")
    assert not marker.exists()


def test_custom_code_runs_when_the_spec_asks(tmp_path, isolated_env, custom_model):
    model, marker = custom_model
    result = run(tmp_path, isolated_env, f"hf:{model},trust_remote_code=true")
    assert marker.read_text() == "ran"  # the flag is what stood between the directory's code and this process
    # This directory is no real model, so the load still fails, but with a one-line error.
    assert_user_error(result, f"could not load model '{model}' (its own code, run under trust_remote_code=true, raised")
