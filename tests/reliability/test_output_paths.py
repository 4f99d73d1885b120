"""Output paths derived from model or task names cannot leave the output directory."""
import pytest

from pluralbench.core.files import safe_component
from pluralbench.runner.rundir import run_dir_for, run_id


@pytest.mark.parametrize("name", ["../../etc/passwd", "/abs/path", "..", ".hidden", "hf:/a/b,gguf_file=../x.gguf",
                                  "a\\..\\b", "name\x00with nul", "x" * 500])
def test_unsafe_names_stay_inside(tmp_path, name):
    rid = run_id("task", name, {"k": 1})
    path = run_dir_for(tmp_path, rid)
    assert path.parent == tmp_path.resolve()
    assert "/" not in rid and not rid.startswith(".") and len(rid) < 200
    assert safe_component(name) not in ("", ".", "..")


@pytest.mark.model
def test_a_real_run_with_a_climbing_absolute_model_path_stays_inside(tmp_path, monkeypatch):
    """`hf:/abs/../dir` loads the model it names, and its run directory is still a child of --output."""
    from conftest import mc_row, write_mc_file
    from pluralbench.cli import main
    from pluralbench.models.embedded import EMBEDDED_MODELS
    from pluralbench.models.hf import converted_gguf_dir

    model_dir = converted_gguf_dir(EMBEDDED_MODELS["smollm2-135m-instruct"].locate())
    climbing = f"{model_dir.parent}/../{model_dir.parent.name}/{model_dir.name}"
    assert ".." in climbing and climbing.startswith("/")
    monkeypatch.setenv("PLURALBENCH_CACHE", str(tmp_path / "cache"))
    write_mc_file(tmp_path / "data" / "modular_pluralism" / "distributional_test_globalopinionqa_small.json",
                  [mc_row(1)])
    work = tmp_path / "work"
    (work / "out").mkdir(parents=True)
    assert main(["run", "--model", f"hf:{climbing}", "--tasks", "distributional_globalopinionqa", "--data-dir",
                 str(tmp_path / "data"), "--output", str(work / "out"), "--no-progress", "--no-cache"]) == 0
    assert sorted(p.name for p in work.iterdir()) == ["out"]  # nothing written beside the output directory
    [run_dir] = list((work / "out").iterdir())
    assert run_dir.is_dir() and run_dir.name.startswith("distributional_globalopinionqa__hf_")
    assert "/" not in run_dir.name and not run_dir.name.startswith(".")


def test_result_files_are_readable_like_any_file_the_user_writes(tmp_path):
    """mkstemp makes 0600 files; results follow the umask (0644 under the usual 022), journal included."""
    import os
    import stat

    from pluralbench.core.files import atomic_write_text

    old = os.umask(0o022)
    try:
        atomic_write_text(tmp_path / "metrics.json", "{}\n")
        os.umask(0o077)
        atomic_write_text(tmp_path / "private.json", "{}\n")
    finally:
        os.umask(old)
    assert stat.S_IMODE((tmp_path / "metrics.json").stat().st_mode) == 0o644
    assert stat.S_IMODE((tmp_path / "private.json").stat().st_mode) == 0o600
