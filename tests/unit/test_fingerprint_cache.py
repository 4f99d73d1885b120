"""The remembered fingerprints: keyed by each model file's resolved path, size and mtime; a changed file or
--no-cache misses."""
import os

from pluralbench.models import parse_model_spec
from pluralbench.runner import fingerprint_cache
from pluralbench.runner.fingerprint_cache import KnownModel, lookup, model_key, remember

FINGERPRINT = {"engine": "transformers", "weights": {"gguf_sha256": "ab" * 32}, "dtype": "float32"}


def _model(tmp_path):
    directory = tmp_path / "m"
    directory.mkdir()
    (directory / "w.gguf").write_bytes(b"weights")
    return directory / "w.gguf", parse_model_spec(f"hf:{directory},gguf_file=w.gguf")


def test_a_remembered_fingerprint_is_found_while_the_file_is_unchanged(tmp_path):
    weights, spec = _model(tmp_path)
    cache = tmp_path / "cache"
    key = model_key(cache, spec)
    remember(cache, key, spec, KnownModel(FINGERPRINT, True, "hf:m"))
    known = lookup(cache, model_key(cache, spec))
    assert known == KnownModel(FINGERPRINT, True, "hf:m") and len(known.fingerprint_id()) == 24
    # threads changes speed, not the model: the same entry
    assert lookup(cache, model_key(cache, parse_model_spec(f"{spec.canonical()},threads=1"))) == known


def test_a_touched_or_resized_file_or_another_spec_misses(tmp_path):
    weights, spec = _model(tmp_path)
    cache = tmp_path / "cache"
    remember(cache, model_key(cache, spec), spec, KnownModel(FINGERPRINT, False, "hf:m"))
    st = weights.stat()
    os.utime(weights, ns=(st.st_atime_ns, st.st_mtime_ns + 1))
    assert lookup(cache, model_key(cache, spec)) is None
    remember(cache, model_key(cache, spec), spec, KnownModel(FINGERPRINT, False, "hf:m"))
    os.utime(weights, ns=(st.st_atime_ns, st.st_mtime_ns + 1))
    with weights.open("ab") as fh:  # another size under the same mtime
        fh.write(b"x")
    os.utime(weights, ns=(st.st_atime_ns, st.st_mtime_ns + 1))
    assert lookup(cache, model_key(cache, spec)) is None
    assert lookup(cache, model_key(cache, parse_model_spec(f"{spec.canonical()},dtype=bfloat16"))) is None


def test_no_cache_hub_models_and_damage_are_misses_not_errors(tmp_path):
    weights, spec = _model(tmp_path)
    assert model_key(None, spec) is None  # --no-cache neither reads nor writes
    assert model_key(tmp_path, parse_model_spec("hf:HuggingFaceTB/SmolLM2-135M-Instruct")) is None  # needs the hub
    assert model_key(tmp_path, parse_model_spec(f"hf:{weights.parent},gguf_file=missing.gguf")) is None
    (tmp_path / fingerprint_cache.FILE).write_text("{not json")
    assert lookup(tmp_path, model_key(tmp_path, spec)) is None
    remember(tmp_path, model_key(tmp_path, spec), spec, KnownModel(FINGERPRINT, False, "hf:m"))  # rewrites it whole
    assert lookup(tmp_path, model_key(tmp_path, spec)) is not None
