"""A failed re-run never turns a finished run into an unfinished one, and a cache that cannot be written
costs no answer: the journal is written first and the cache failure is one warning."""
from __future__ import annotations

import json

import pytest

from pluralbench.cli import main
from pluralbench.errors import UserError
from pluralbench.runner import cache as cache_module
from pluralbench.runner import execute, fingerprint_cache

pytestmark = [pytest.mark.model, pytest.mark.shared_data]


def command(shared_data, tmp_path) -> list[str]:
    return ["run", "--model", "embedded:smollm2-135m-instruct", "--tasks", "distributional_globalopinionqa",
            "--limit", "3", "--batch-size", "2", "--data-dir", str(shared_data), "--output", str(tmp_path / "out"),
            "--cache-dir", str(tmp_path / "cache"), "--no-progress"]


def test_cache_write_failure_keeps_every_answer_and_a_failed_rerun_keeps_the_run_complete(
        shared_data, tmp_path, capsys, monkeypatch):
    def locked(self, entries):
        raise UserError(f"response cache {self.path}: database is locked")

    monkeypatch.setattr(cache_module.ResponseCache, "put_many", locked)
    assert main(command(shared_data, tmp_path)) == 0
    err = capsys.readouterr().err
    assert err.count("database is locked") == 1 and "kept in the run's journal" in err  # one warning, not per batch
    [run_dir] = list((tmp_path / "out").iterdir())
    manifest = json.loads((run_dir / "manifest.json").read_text())
    assert manifest["status"] == "complete"
    journal_lines = (run_dir / "journal.jsonl").read_text().splitlines()
    assert len(journal_lines) == manifest["counts"]["unique_requests"] == manifest["counts"]["model_calls"]

    # The same command again, with a cache that cannot be opened once the run starts: the finished run
    # stays finished, byte for byte.
    before = {p.name: p.read_bytes() for p in run_dir.iterdir() if p.is_file()}
    # Forget the remembered fingerprint, so the re-run takes the loading path (a finished run is otherwise
    # answered from its directory without opening the cache: runner/finished.py).
    (tmp_path / "cache" / fingerprint_cache.FILE).unlink()

    def broken(directory):
        raise UserError(f"response cache {directory}: file is not a database")

    monkeypatch.setattr(execute, "ResponseCache", broken)
    assert main(command(shared_data, tmp_path)) == 2
    assert "file is not a database" in capsys.readouterr().err
    assert json.loads((run_dir / "manifest.json").read_text())["status"] == "complete"
    assert {p.name: p.read_bytes() for p in run_dir.iterdir() if p.is_file()} == before
