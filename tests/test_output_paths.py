"""Output paths derived from model or task names cannot leave the output directory."""
import pytest

from pluralbench.runner.rundir import run_dir_for, run_id, safe_component


@pytest.mark.parametrize("name", ["../../etc/passwd", "/abs/path", "..", ".hidden", "hf:/a/b,gguf_file=../x.gguf",
                                  "a\\..\\b", "name\x00with nul", "x" * 500])
def test_unsafe_names_stay_inside(tmp_path, name):
    rid = run_id("task", name, {"k": 1})
    path = run_dir_for(tmp_path, rid)
    assert path.parent == tmp_path.resolve()
    assert "/" not in rid and not rid.startswith(".") and len(rid) < 200
    assert safe_component(name) not in ("", ".", "..")
