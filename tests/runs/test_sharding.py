"""`run --shard i/n` and `merge`: three shards merged equal one unsharded run, byte for byte."""
from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pytest

from pluralbench.cli import main
from pluralbench.errors import UserError
from pluralbench.runner.shard import parse_shard, shard_slot

MODEL = "embedded:smollm2-135m-instruct"
TASK = "distributional_globalopinionqa"
LIMIT = "12"


def test_parse_shard():
    assert (parse_shard("2/3").index, parse_shard("2/3").count) == (2, 3)
    for bad in ("0/3", "4/3", "3", "a/b", "1/0", "-1/3"):
        with pytest.raises(UserError, match="--shard"):
            parse_shard(bad)


def test_slots_are_a_stable_partition():
    ids = [f"q{i}-country{j}" for i in range(50) for j in range(3)]
    for n in (1, 2, 3, 7):
        slots = [shard_slot(i, n) for i in ids]
        # Independent of order and of the other ids: recompute from the hash alone.
        assert slots == [int(hashlib.sha256(i.encode()).hexdigest()[:16], 16) % n for i in ids]
        assert set(slots) <= set(range(n))
    assert len({shard_slot(i, 3) for i in ids}) == 3


def _run(args: list[str], output: Path) -> Path:
    """Run the CLI in-process into a fresh results root; return the one run directory it wrote."""
    assert main(args + ["--output", str(output)]) == 0
    [run_dir] = [p for p in output.iterdir() if p.is_dir()]
    return run_dir


@pytest.fixture(scope="module")
def shard_runs(tmp_path_factory, shared_data):
    """The unsharded run and three shard runs of the same evaluation (each prompt scored alone, so batch
    composition, which differs between shards, cannot move the last digits)."""
    root = tmp_path_factory.mktemp("shards")
    common = ["run", "--model", MODEL, "--tasks", TASK, "--limit", LIMIT, "--data-dir", str(shared_data),
              "--no-cache", "--no-progress", "--batch-size", "1"]
    full = _run(common, root / "full")
    shards = [_run(common + ["--shard", f"{i}/3"], root / f"s{i}") for i in (1, 2, 3)]
    return root, full, shards, common


def test_three_shards_merge_to_the_unsharded_run(shard_runs, shared_data, capsys):
    root, full, shards, _ = shard_runs
    ids = [set(json.loads(l)["id"] for l in (s / "samples.jsonl").read_text().splitlines()) for s in shards]
    assert all(ids) and sum(len(i) for i in ids) == int(LIMIT) and len(set().union(*ids)) == int(LIMIT)
    manifests = [json.loads((s / "manifest.json").read_text()) for s in shards]
    assert [m["shard"]["index"] for m in manifests] == [1, 2, 3]
    assert len({m["run_id"] for m in manifests}) == 3  # the shard is part of the run identity

    assert main(["validate", *map(str, shards)]) == 0  # each shard is a valid run on its own
    capsys.readouterr()

    assert main(["merge", *map(str, reversed(shards)), "--output", str(root / "merged"),
                 "--data-dir", str(shared_data)]) == 0
    merged = Path(capsys.readouterr().out.strip().rsplit("-> ", 1)[1])
    assert merged.name == full.name  # the unsharded run's id
    assert (merged / "metrics.json").read_text() == (full / "metrics.json").read_text()
    assert (merged / "samples.jsonl").read_text() == (full / "samples.jsonl").read_text()
    manifest = json.loads((merged / "manifest.json").read_text())
    assert "shard" not in manifest and [m["shard"]["index"] for m in manifest["merged_from"]] == [1, 2, 3]
    # merge records content hashes like a run: the same result files hash as the unsharded run's
    full_hashes = json.loads((full / "manifest.json").read_text())["content_sha256"]
    assert set(manifest["content_sha256"]) == {"samples.jsonl", "metrics.json", "journal.jsonl", "requests.jsonl"}
    assert all(manifest["content_sha256"][n] == full_hashes[n] for n in ("samples.jsonl", "metrics.json"))
    assert manifest["data"]["items_used"] == int(LIMIT)
    assert main(["validate", str(merged)]) == 0


def test_merge_refuses_mismatched_or_incomplete_shards(shard_runs, shared_data, capsys, tmp_path):
    root, full, shards, common = shard_runs

    def merge(*paths):
        code = main(["merge", *map(str, paths), "--output", str(tmp_path / "m"), "--data-dir", str(shared_data)])
        return code, capsys.readouterr().err

    code, err = merge(shards[0], shards[1])
    assert code == 2 and "shard(s) 3/3 missing" in err
    code, err = merge(shards[0], shards[0], shards[1])
    assert code == 2 and "are both shard 1/3" in err
    code, err = merge(full, shards[1])
    assert code == 2 and "not a shard run" in err

    # Another model (bfloat16 weights fingerprint differently), another data slice (limit), another task split.
    other_model = _run([a if a != MODEL else MODEL + ",dtype=bfloat16" for a in common]
                       + ["--shard", "3/3"], tmp_path / "bf16")
    code, err = merge(shards[0], shards[1], other_model)
    assert code == 2 and "their model differ" in err
    other_limit = _run([a if a != LIMIT else "9" for a in common]
                       + ["--shard", "3/3"], tmp_path / "l12")
    code, err = merge(shards[0], shards[1], other_limit)
    assert code == 2 and "their limit differ" in err
    four = _run(common + ["--shard", "4/4"], tmp_path / "n4")
    code, err = merge(shards[0], shards[1], four)
    assert code == 2 and "their shard count differ" in err
    assert not (tmp_path / "m").exists() or not any((tmp_path / "m").iterdir())


def _tree_digest(root: Path) -> dict[str, str]:
    return {str(p.relative_to(root)): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(root.rglob("*")) if p.is_file()}


def _damage(journal: Path, line: int, *, replace: bool) -> None:
    lines = journal.read_text().splitlines(keepends=True)
    lines[line - 1: line - 1 + replace] = ["garbage {\n"]
    journal.write_text("".join(lines))


@pytest.mark.parametrize("replace", [False, True], ids=["inserted", "replaced"])
def test_commands_that_read_runs_never_write_to_them(shard_runs, shared_data, capsys, tmp_path, replace):
    """merge, leaderboard, compare and validate leave their inputs byte for byte as they were, even with a
    damaged journal line in a shard; a merge that lacks the damaged line's answer names file and line."""
    import shutil

    root, full, shards, _ = shard_runs
    inputs = tmp_path / "inputs"
    copies = [Path(shutil.copytree(s, inputs / f"s{i}" / s.name)) for i, s in enumerate(shards, start=1)]
    full_copy = Path(shutil.copytree(full, inputs / "full" / full.name))
    _damage(copies[1] / "journal.jsonl", 2, replace=replace)
    before = _tree_digest(inputs)

    code = main(["merge", *map(str, copies), "--output", str(tmp_path / "merged"), "--data-dir", str(shared_data)])
    err = capsys.readouterr().err
    assert f"{copies[1] / 'journal.jsonl'}: line 2" in err  # the damage is reported by file and line
    if replace:
        assert code == 2 and f"{copies[1] / 'journal.jsonl'} line 2 is damaged" in err
        assert not (tmp_path / "merged").exists() or not any((tmp_path / "merged").iterdir())
        readers = [["validate", *map(str, copies)], ["leaderboard", str(inputs), "--out", str(tmp_path / "lb")]]
    else:
        assert code == 0
        merged = tmp_path / "merged" / full.name
        readers = [["validate", *map(str, copies), str(merged)],
                   ["leaderboard", str(inputs), str(merged), "--out", str(tmp_path / "lb")],
                   ["compare", str(full_copy), str(merged), "--out", str(tmp_path / "cmp"), "--resamples", "20"]]
    assert _tree_digest(inputs) == before
    for args in readers:
        main(args)
        capsys.readouterr()
        assert _tree_digest(inputs) == before, args
