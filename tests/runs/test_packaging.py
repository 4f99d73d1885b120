"""An installed (non-editable) package carries the task files and schemas."""
import subprocess
import sys
import zipfile
from pathlib import Path

from conftest import REPO


def test_wheel_ships_task_files_and_schemas(tmp_path):
    build = subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "-q",
                            "-w", str(tmp_path), str(REPO)], capture_output=True, text=True, timeout=300)
    assert build.returncode == 0, build.stderr
    wheel = next(Path(tmp_path).glob("pluralbench-*.whl"))
    names = set(zipfile.ZipFile(wheel).namelist())
    assert "pluralbench/task_files/distributional_globalopinionqa.yaml" in names
    assert "pluralbench/task_files/_suites.yaml" in names
    assert "pluralbench/schemas/manifest.schema.json" in names
    assert "pluralbench/leaderboard_specs/default.yaml" in names
    assert "pluralbench/schemas/leaderboard.schema.json" in names
    assert not any(n.startswith("tests/") for n in names)
    target = tmp_path / "site"
    install = subprocess.run([sys.executable, "-m", "pip", "install", "--no-deps", "-q", "--target", str(target),
                              str(wheel)], capture_output=True, text=True, timeout=300)
    assert install.returncode == 0, install.stderr
    listing = subprocess.run([sys.executable, "-c", "from pluralbench.taskfile import task_names, builtin_task_dirs;"
                              "print(task_names(), builtin_task_dirs()[0])"],
                             capture_output=True, text=True, cwd=tmp_path, env={"PYTHONPATH": str(target)})
    assert listing.returncode == 0, listing.stderr
    assert "distributional_globalopinionqa" in listing.stdout and str(target) in listing.stdout
