"""Bad input: a one-line error naming the file/row/field, exit code 2, no traceback, nothing lost."""
import json


from conftest import assert_user_error, mc_row, run_cli, write_mc_file

GOQA = "modular_pluralism/distributional_test_globalopinionqa_small.json"


def run(tmp_path, env, *args):
    return run_cli(["run", "--output", str(tmp_path / "out"), "--no-progress", *args], env=env)


def test_unknown_task_lists_known_tasks(tmp_path, isolated_env):
    assert_user_error(run(tmp_path, isolated_env, "--tasks", "nope"), "unknown task 'nope'",
                      "distributional_globalopinionqa")


def test_unknown_model_kind_and_embedded_name(tmp_path, isolated_env):
    assert_user_error(run(tmp_path, isolated_env, "--model", "foo:bar", "--data-dir", str(tmp_path)),
                      "unknown model kind 'foo'", "embedded, hf")
    data = tmp_path / "data"
    write_mc_file(data / GOQA, [mc_row(1)])
    assert_user_error(run(tmp_path, isolated_env, "--model", "embedded:gpt5", "--data-dir", str(data)),
                      "unknown embedded model 'gpt5'", "smollm2-135m-instruct")


def test_malformed_model_spec(tmp_path, isolated_env):
    assert_user_error(run(tmp_path, isolated_env, "--model", "hf:x,dtype", "--data-dir", str(tmp_path)),
                      "is not key=value")


def test_missing_data_file_hints_at_data_dir(tmp_path, isolated_env):
    err = assert_user_error(run(tmp_path, isolated_env, "--data-dir", str(tmp_path)), GOQA, "--data-dir")
    assert "not found" in err


def test_malformed_distribution_row_fails_before_the_model_loads(tmp_path, isolated_env):
    data = tmp_path / "data"
    rows = [mc_row(1), mc_row(2), mc_row(3, gold=(0.5, float("nan"), 0.5))]
    write_mc_file(data / GOQA, rows)
    result = run(tmp_path, isolated_env, "--data-dir", str(data))
    assert_user_error(result, GOQA, "row 2", "(id 3)", "'gold_distribution'", "not finite")
    assert "loaded" not in result.stderr  # no model was loaded for nothing


def test_bad_flags_exit_2(tmp_path, isolated_env):
    result = run(tmp_path, isolated_env, "--limit", "0")
    assert result.returncode == 2 and "must be at least 1" in result.stderr and "Traceback" not in result.stderr


def test_task_file_schema_error_shows_json_path(tmp_path, isolated_env):
    bad = tmp_path / "bad_task.yaml"
    bad.write_text("name: bad_task\nversion: one\nfamily: multiple_choice_distribution\ndescription: x\n"
                   "data: {local: {path: a.json, format: modular_pluralism_mc}}\nparams: {metrics: []}\n")
    assert_user_error(run_cli(["validate", str(bad)], env=isolated_env), "bad_task.yaml", "$.version")
    bad.write_text("name: bad_task\nversion: 1\n  family: [\n")
    assert_user_error(run_cli(["validate", str(bad)], env=isolated_env), "bad_task.yaml", "malformed YAML", "line")
    bad.write_text("name: bad_task\nversion: 1\nfamily: multiple_choice_distribution\ndescription: x\n"
                   "data: {local: {path: a.json, format: modular_pluralism_mc}}\nparams: {metrics: []}\n")
    assert_user_error(run_cli(["validate", str(bad)], env=isolated_env), "(params)", "$.metrics")


def test_validate_reports_a_broken_run_directory(tmp_path, isolated_env):
    run_dir = tmp_path / "r"
    run_dir.mkdir()
    (run_dir / "manifest.json").write_text(json.dumps({"run_id": "r", "status": "running"}))
    result = run_cli(["validate", str(run_dir)], env=isolated_env)
    assert result.returncode == 2 and "Traceback" not in result.stderr
    assert "status is 'running'" in result.stderr and "metrics.json: missing" in result.stderr


def test_shipped_task_files_validate(isolated_env):
    from pluralbench.taskfile import builtin_task_dirs

    for path in builtin_task_dirs()[0].glob("[!_]*.yaml"):
        result = run_cli(["validate", str(path)], env=isolated_env)
        assert result.returncode == 0 and "valid task file" in result.stdout, result.stderr
