"""Configuration YAML read within limits: an alias bomb, deep nesting and an oversized file are refused
at once, naming the file; ordinary aliases and nesting still load."""
from __future__ import annotations

import time

import pytest

from pluralbench.errors import UserError
from pluralbench.report.spec import load_spec
from pluralbench.taskfile import read_yaml


def bomb(levels: int) -> str:
    lines = ["a0: &a0 [x, x, x, x, x, x, x, x, x, x]"]
    lines += [f"a{i}: &a{i} [" + ", ".join([f"*a{i - 1}"] * 10) + "]" for i in range(1, levels + 1)]
    return "\n".join(lines) + "\n"


def test_a_billion_laughs_is_refused_fast(tmp_path):
    path = tmp_path / "bomb.yaml"
    path.write_text(bomb(9))  # 10**10 values once expanded
    start = time.perf_counter()
    with pytest.raises(UserError, match="bomb.yaml: would expand to more than 100,000 values"):
        read_yaml(path)
    assert time.perf_counter() - start < 2.0


def test_aliases_within_the_limit_still_load(tmp_path):
    path = tmp_path / "ok.yaml"
    path.write_text(bomb(3))  # 10**4 values expanded: fine
    data, _ = read_yaml(path)
    assert len(data["a3"]) == 10 and data["a3"][0][0][0] == ["x"] * 10


def test_nesting_depth_is_limited_before_python_recursion_fails(tmp_path):
    path = tmp_path / "deep.yaml"
    path.write_text("x: " + "[" * 5000 + "]" * 5000 + "\n")
    with pytest.raises(UserError, match="deep.yaml: nested more than 64 levels deep"):
        read_yaml(path)
    path.write_text("x: " + "[" * 60 + "]" * 60 + "\n")
    assert read_yaml(path)[0]["x"] is not None


def test_an_oversized_file_is_refused_before_it_is_read(tmp_path):
    path = tmp_path / "big.yaml"
    with path.open("wb") as fh:
        fh.truncate(450_000_000)  # sparse: 450 MB that cost no disk
    with pytest.raises(UserError, match=r"big.yaml: is 450,000,000 bytes; a configuration file may hold at most"):
        read_yaml(path)


def test_a_leaderboard_spec_goes_through_the_same_limits(tmp_path):
    path = tmp_path / "board.yaml"
    path.write_text("name: board\n" + bomb(9))
    with pytest.raises(UserError, match="board.yaml: would expand"):
        load_spec(str(path))
