"""`hf:` specs naming local files: a gguf_file that leads out of the model directory, an empty, non-GGUF or
truncated GGUF, and a directory that does not exist each end in one line naming the file (real files: a
truncated copy of the embedded SmolLM2 GGUF)."""
from __future__ import annotations

import pytest

from pluralbench.errors import UserError
from pluralbench.models import load_model
from pluralbench.models.embedded import EMBEDDED_MODELS


def test_gguf_file_cannot_leave_the_model_directory(tmp_path):
    (tmp_path / "model").mkdir()
    for name in ("../../../etc/passwd", "/etc/passwd", "sub/../../x.gguf"):
        with pytest.raises(UserError, match=r"gguf_file .* leads outside the model directory"):
            load_model(f"hf:{tmp_path / 'model'},gguf_file={name}")


@pytest.mark.parametrize("content, message", [
    (b"", "the GGUF file is empty"),
    (b"<html>not found</html>", "not a GGUF file (it starts with b'<htm'"),
])
def test_empty_or_non_gguf_file_is_named(tmp_path, content, message):
    (tmp_path / "m.gguf").write_bytes(content)
    with pytest.raises(UserError) as info:
        load_model(f"hf:{tmp_path},gguf_file=m.gguf")
    assert str(info.value).startswith(f"{tmp_path / 'm.gguf'}: ") and message in str(info.value)


def test_truncated_gguf_is_named(tmp_path):
    original = EMBEDDED_MODELS["smollm2-135m-instruct"].locate()
    with original.open("rb") as src:
        (tmp_path / "cut.gguf").write_bytes(src.read(original.stat().st_size // 2))  # a download cut in half
    with pytest.raises(UserError) as info:
        load_model(f"hf:{tmp_path},gguf_file=cut.gguf")
    assert str(info.value).startswith(f"{tmp_path / 'cut.gguf'}: not a readable GGUF file (truncated or damaged?)")
    assert "\n" not in str(info.value)


def test_a_missing_local_directory_says_so(tmp_path):
    for name in ("/nonexistent", str(tmp_path / "gone"), "./not-here"):
        with pytest.raises(UserError, match=f"model hf:{name}: no such directory"):
            load_model(f"hf:{name}")
    (tmp_path / "file").write_text("x")
    with pytest.raises(UserError, match="is a file, not a model directory"):
        load_model(f"hf:{tmp_path / 'file'}")
