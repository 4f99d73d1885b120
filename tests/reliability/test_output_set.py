"""Multi-file outputs are swapped in as a set, and an --out holding other files is refused, not replaced."""
from __future__ import annotations

import pytest

from pluralbench.core import output_set
from pluralbench.core.output_set import MARKER, refuse_foreign_files, write_output_set
from pluralbench.errors import UserError


def writer(files: dict[str, str]):
    def write(staging):
        for name, text in files.items():
            (staging / name).parent.mkdir(parents=True, exist_ok=True)
            (staging / name).write_text(text)
        return {name: staging / name for name in files}
    return write


@pytest.mark.parametrize("exchange", [True, False], ids=["renameat2", "two-renames"])
def test_new_set_replaces_old_set_whole(tmp_path, monkeypatch, exchange):
    if not exchange:
        monkeypatch.setattr(output_set, "_exchange", lambda a, b: False)
    out = tmp_path / "out"
    written = write_output_set(out, writer({"a.md": "old", "figures/x.png": "old", "gone.csv": "old"}))
    assert written["a.md"] == out / "a.md" and (out / "figures" / "x.png").read_text() == "old"
    refuse_foreign_files(out, "--out")  # everything there is listed in the marker
    write_output_set(out, writer({"a.md": "new", "figures/x.png": "new"}))
    assert sorted(str(p.relative_to(out)) for p in out.rglob("*") if p.is_file()) == [MARKER, "a.md", "figures/x.png"]
    assert (out / "a.md").read_text() == "new" and (out / "figures" / "x.png").read_text() == "new"
    assert sorted(p.name for p in tmp_path.iterdir()) == [".out.lock", "out"]  # no staging or old set left


def test_a_failed_write_leaves_the_old_set(tmp_path):
    out = tmp_path / "out"
    write_output_set(out, writer({"a.md": "old"}))

    def broken(staging):
        (staging / "a.md").write_text("half")
        raise RuntimeError("disk full")

    with pytest.raises(RuntimeError):
        write_output_set(out, broken)
    assert (out / "a.md").read_text() == "old"
    assert sorted(p.name for p in tmp_path.iterdir()) == [".out.lock", "out"]


def test_foreign_files_are_refused(tmp_path):
    out = tmp_path / "out"
    out.mkdir()
    refuse_foreign_files(out, "--out")  # empty: fine
    (out / "thesis.tex").write_text("x")
    with pytest.raises(UserError, match="holds files pluralbench did not write there"):
        refuse_foreign_files(out, "--out")
    (tmp_path / "file").write_text("x")
    with pytest.raises(UserError, match="exists and is not a directory"):
        refuse_foreign_files(tmp_path / "file", "--out")
